// `ferry list operators --catalogs --version X`: which of Red Hat's default
// catalogs of an OpenShift version exist at the source. registry.redhat.io is
// played by a local registry through --source-mirror.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "ferry/digest/digest.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

TEST(ListDefaultCatalogs, NamesTheCatalogsOfTheVersionThatExistAndTheOnesThatDoNot) {
  TemporaryDirectory work;
  auto fixtures = work.path() / "fixtures";
  FixtureBuilder builder(fixtures, 17);
  auto redhat = builder.ociIndex("redhat");
  auto certified = builder.singleArchOci("certified");
  TestRegistry registry;
  for (const auto& [tag, repository] : {std::pair{"redhat", "redhat/redhat-operator-index:v4.18"},
                                        std::pair{"certified", "redhat/certified-operator-index:v4.18"},
                                        std::pair{"certified", "redhat/community-operator-index:v4.17"}}) {
    auto pushed = runFerry({"copy", "-q", "--dest-use-http", "oci:" + fixtures.string() + ":" + tag,
                            "docker://" + registry.host() + "/" + repository});
    ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  }
  std::vector<std::string> args{"list", "operators", "--catalogs", "--version", "4.18", "--use-http",
                                "--source-mirror", "registry.redhat.io=" + registry.host()};

  auto text = runFerry(args);
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find(redhat.digest.str()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(certified.digest.str()), std::string::npos) << text.out;

  args.insert(args.end(), {"-o", "json"});
  auto json = runFerry(args);
  ASSERT_EQ(json.exitCode, 0) << json.err;
  auto listed = nlohmann::json::parse(json.out);
  ASSERT_EQ(listed.size(), 4u) << json.out;
  std::map<std::string, nlohmann::json> byCatalog;
  for (const auto& entry : listed) byCatalog[entry["catalog"]] = entry["digest"];
  EXPECT_EQ(byCatalog["docker://registry.redhat.io/redhat/redhat-operator-index:v4.18"], redhat.digest.str());
  EXPECT_EQ(byCatalog["docker://registry.redhat.io/redhat/certified-operator-index:v4.18"], certified.digest.str());
  // Only v4.17 of the community catalog exists; the marketplace catalog not at all.
  EXPECT_TRUE(byCatalog["docker://registry.redhat.io/redhat/community-operator-index:v4.18"].is_null()) << json.out;
  EXPECT_TRUE(byCatalog["docker://registry.redhat.io/redhat/redhat-marketplace-index:v4.18"].is_null()) << json.out;
}

TEST(ListDefaultCatalogs, AVersionThatIsNotAnOpenShiftMinorVersionIsAUsageError) {
  for (const auto& version : {"4", "4.18.1", "v4.18", "latest"}) {
    auto result = runFerry({"list", "operators", "--catalogs", "--version", version});
    EXPECT_EQ(result.exitCode, 1) << version;
    EXPECT_NE(result.err.find("--version must be an OpenShift minor version such as 4.18, not '" + std::string(version) + "'"),
              std::string::npos)
        << result.err;
  }
  auto both = runFerry({"list", "operators", "--catalogs", "--catalog", "docker://x/y:z", "--version", "4.18"});
  EXPECT_EQ(both.exitCode, 1);
  EXPECT_NE(both.err.find("excludes"), std::string::npos) << both.err;
  auto without = runFerry({"list", "operators", "--catalogs"});
  EXPECT_EQ(without.exitCode, 1);
  EXPECT_NE(without.err.find("--catalogs needs --version"), std::string::npos) << without.err;
}

}  // namespace
}  // namespace ferry::testing
