#include "ferry/copy/endpoints.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/registry/registry_repository.h"

namespace ferry {
namespace {

ImageReference named(const std::string& text) { return ImageReference::parse(text); }

TEST(SourceMirrors, TheLongestPrefixAtAPathBoundaryWins) {
  auto mirrors = parseSourceMirrors({"registry.example.com/demo=mirror.local:5000/cache",
                                     "registry.example.com/demo/team=mirror.local:5000/team-cache",
                                     "quay.io/org=oci:/srv/layout"});
  EXPECT_EQ(readLocation(named("registry.example.com/demo/app:v1"), mirrors), named("mirror.local:5000/cache/app:v1"));
  EXPECT_EQ(readLocation(named("registry.example.com/demo/team/app:v1"), mirrors),
            named("mirror.local:5000/team-cache/app:v1"));
  // "demo-other" is not under "demo".
  EXPECT_EQ(readLocation(named("registry.example.com/demo-other/app:v1"), mirrors),
            named("registry.example.com/demo-other/app:v1"));
  auto digest = Digest::sha256Of("x");
  auto inLayout = readLocation(named("quay.io/org/app:v1@" + digest.str()), mirrors);
  EXPECT_EQ(inLayout.transport, Transport::Layout);
  EXPECT_EQ(inLayout.layoutPath, "/srv/layout");
  EXPECT_EQ(inLayout.digest, digest);
  EXPECT_FALSE(inLayout.tag) << "a layout is searched by digest when there is one";
}

TEST(SourceMirrors, MalformedFlagsSayWhatIsExpected) {
  try {
    parseSourceMirrors({"registry.example.com"});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("PREFIX=LOCATION"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseSourceMirrors({"a.example/x=mirror.local/cache:v2"}), Error);
}

TEST(Endpoints, SourcesFollowTheSourceMirrorsAndSinksDoNot) {
  TemporaryDirectory work("ferry-endpoints");
  auto layoutDir = work.path() / "layout";
  OciLayout::create(layoutDir);
  Endpoints endpoints(EndpointOptions{.sourceMirrors = parseSourceMirrors({"quay.io/org=oci:" + layoutDir.string()})});
  auto source = endpoints.source(named("quay.io/org/app:v1"));
  EXPECT_NE(dynamic_cast<OciLayout*>(source.get()), nullptr) << source->describe();
  auto sink = endpoints.sink(named("quay.io/org/app:v1"));
  EXPECT_NE(dynamic_cast<RegistryRepository*>(sink.get()), nullptr) << sink->describe();
}

TEST(Endpoints, ARegistryMayHaveOptionsOfItsOwn) {
  std::vector<std::pair<std::string, bool>> asked;
  EndpointOptions options;
  options.source.plainHttp = false;
  options.forRegistry = [&](const std::string& registry, bool destination) -> std::optional<RegistryOptions> {
    asked.emplace_back(registry, destination);
    if (registry != "insecure.local:5000") return std::nullopt;
    RegistryOptions own;
    own.plainHttp = true;
    return own;
  };
  Endpoints endpoints(std::move(options));
  EXPECT_TRUE(endpoints.repository(named("insecure.local:5000/app:v1"), false)->client().options().plainHttp);
  EXPECT_FALSE(endpoints.repository(named("quay.io/org/app:v1"), false)->client().options().plainHttp);
  // One question per registry and side: the client is shared.
  endpoints.repository(named("insecure.local:5000/other:v1"), false);
  EXPECT_EQ(asked, (std::vector<std::pair<std::string, bool>>{{"insecure.local:5000", false}, {"quay.io", false}}));
}

}  // namespace
}  // namespace ferry
