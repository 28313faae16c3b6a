#include "ferry/regconf/registries_conf.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

constexpr const char* kEnclave = R"(
unqualified-search-registries = ["registry.example.com"]
short-name-mode = "enforcing"

[[registry]]
prefix = "registry.example.com/team"
location = "internal.example:5000/mirrors/team"
insecure = true

[[registry.mirror]]
location = "cache.example:5000/team"
pull-from-mirror = "digest-only"

[[registry.mirror]]
location = "backup.example/team"
insecure = true

[[registry]]
location = "registry.example.com"

[[registry]]
prefix = "*.blocked.example"
blocked = true

[aliases]
"app" = "registry.example.com/team/app"
)";

TEST(RegistriesConf, EntriesMirrorsAndTheLongestPrefixAtAPathBoundary) {
  auto conf = parseRegistriesConf(kEnclave, "registries.conf");
  ASSERT_EQ(conf.registries.size(), 3u);
  const auto* team = conf.find("registry.example.com/team/app");
  ASSERT_NE(team, nullptr);
  EXPECT_EQ(team->prefix, "registry.example.com/team");
  EXPECT_EQ(team->where, "registries.conf:5");
  ASSERT_EQ(team->mirrors.size(), 2u);
  EXPECT_EQ(team->mirrors[0].pullFromMirror, "digest-only");
  EXPECT_EQ(team->mirrors[1].pullFromMirror, "all");
  EXPECT_EQ(rewrittenName(*team, team->location, "registry.example.com/team/app"),
            "internal.example:5000/mirrors/team/app");
  EXPECT_EQ(rewrittenName(*team, team->mirrors[1].location, "registry.example.com/team/app"), "backup.example/team/app");
  // "team-other" is not under "team": the registry-wide entry (prefix = its location) takes it.
  EXPECT_EQ(conf.find("registry.example.com/team-other/app")->prefix, "registry.example.com");
  EXPECT_TRUE(conf.find("a.blocked.example/x")->blocked);
  EXPECT_EQ(conf.find("blocked.example/x"), nullptr);
  EXPECT_EQ(conf.find("quay.io/app"), nullptr);

  EXPECT_TRUE(conf.insecure("internal.example:5000"));
  EXPECT_TRUE(conf.insecure("backup.example"));
  EXPECT_FALSE(conf.insecure("cache.example:5000"));
  EXPECT_FALSE(conf.insecure("registry.example.com"));
}

TEST(RegistriesConf, Version1ListsAndDropInsReplaceTheSamePrefix) {
  auto conf = parseRegistriesConf("[registries.insecure]\nregistries = ['old.example:5000']\n"
                                  "[registries.block]\nregistries = ['bad.example']\n",
                                  "v1.conf");
  EXPECT_TRUE(conf.insecure("old.example:5000"));
  EXPECT_TRUE(conf.find("bad.example/app")->blocked);
  conf.merge(parseRegistriesConf("[[registry]]\nprefix = 'bad.example'\nlocation = 'good.example'\n", "50-fix.conf"));
  ASSERT_EQ(conf.registries.size(), 2u);
  EXPECT_FALSE(conf.find("bad.example/app")->blocked);
  EXPECT_EQ(conf.find("bad.example/app")->where, "50-fix.conf:1");
}

TEST(RegistriesConf, MistakesNameTheFileTheLineAndTheFix) {
  auto errorOf = [](const std::string& text) {
    try {
      parseRegistriesConf(text, "/etc/containers/registries.conf");
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(errorOf("[[registry]]\nprefix = 'a'\ninsecure = 'yes'\n").find(
                "/etc/containers/registries.conf:3: registry.insecure must be true or false"),
            std::string::npos);
  EXPECT_NE(errorOf("[[registry]\n").find("/etc/containers/registries.conf:1: not valid TOML"), std::string::npos);
  EXPECT_NE(errorOf("[[registry]]\ninsecure = true\n").find("needs a prefix or a location"), std::string::npos);
  EXPECT_NE(errorOf("[[registry]]\nprefix = 'a'\n[[registry.mirror]]\npull-from-mirror = 'some'\nlocation = 'm'\n")
                .find(":4: registry.mirror.pull-from-mirror 'some' is not a mode"),
            std::string::npos);
  EXPECT_NE(errorOf("[[registry]]\nprefix = '*.example.com'\nlocation = 'x'\n").find("wildcard prefix"),
            std::string::npos);
}

TEST(RegistriesConf, AnExplicitFileIsReadAloneAndATooLargeOneIsRefused) {
  TemporaryDirectory dir;
  auto file = dir.path() / "registries.conf";
  writeFileAtomically(file, "[[registry]]\nprefix = 'one.example'\nblocked = true\n");
  auto conf = loadRegistriesConf(file);
  EXPECT_EQ(conf.files, std::vector<std::filesystem::path>{file});
  EXPECT_TRUE(conf.find("one.example/app")->blocked);
  EXPECT_THROW(loadRegistriesConf(dir.path() / "missing.conf"), Error);
  writeFileAtomically(file, std::string(kMaxRegistriesConfBytes + 1, '#'));
  try {
    loadRegistriesConf(file);
    ADD_FAILURE() << "a file over the limit was read";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Limit);
    EXPECT_NE(std::string(e.what()).find("kMaxRegistriesConfBytes"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry
