// The release library: the update graph answer, channel resolution (one test
// per row of the table in resolve.h), the graph client against a loopback graph
// server, naming, and reading a payload's release-manifests.
#include <gtest/gtest.h>

#include <map>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/release/naming.h"
#include "ferry/release/payload.h"
#include "ferry/release/resolve.h"
#include "ferry/release/update_graph.h"
#include "support/release_images.h"
#include "support/update_graph_server.h"

namespace ferry::release {
namespace {

using testing::FakeGraph;
using testing::FakeRelease;

std::string payloadOf(const std::string& version) {
  return "quay.io/openshift-release-dev/ocp-release@" + Digest::sha256Of(version).str();
}

// stable-4.17: 4.17.0 .. 4.17.3; stable-4.18: 4.17.2, 4.17.3 and 4.18.0 .. 4.18.3;
// fast-4.18 as stable-4.18 plus 4.18.4; stable-4.16: 4.16.0, 4.16.1.
// Edges: chains within each minor, skips 4.18.0 -> 4.18.3 and 4.17.3 -> 4.18.2,
// 4.16.1 -> 4.17.0; conditional 4.18.3 -> 4.18.4 only.
FakeGraph sampleGraph() {
  FakeGraph graph;
  auto add = [&](const std::string& version, std::vector<std::string> channels) {
    graph.releases.push_back({.version = version, .payload = payloadOf(version), .channels = channels, .arch = "amd64"});
  };
  add("4.16.0", {"stable-4.16"});
  add("4.16.1", {"stable-4.16", "stable-4.17"});
  for (auto v : {"4.17.0", "4.17.1"}) add(v, {"stable-4.17"});
  for (auto v : {"4.17.2", "4.17.3"}) add(v, {"stable-4.17", "stable-4.18", "fast-4.18"});
  for (auto v : {"4.18.3", "4.18.1", "4.18.0", "4.18.2"}) add(v, {"stable-4.18", "fast-4.18"});  // unsorted, as real graphs
  add("4.18.4", {"fast-4.18"});
  graph.edges = {{"4.16.0", "4.16.1"}, {"4.16.1", "4.17.0"}, {"4.17.0", "4.17.1"}, {"4.17.1", "4.17.2"},
                 {"4.17.2", "4.17.3"}, {"4.17.3", "4.18.2"}, {"4.18.0", "4.18.1"}, {"4.18.1", "4.18.2"},
                 {"4.18.2", "4.18.3"}, {"4.18.0", "4.18.3"}, {"4.17.2", "4.18.0"}};
  graph.conditionalEdges = {{"4.18.3", "4.18.4"}};
  // An arm64 node, which amd64 queries must not see.
  graph.releases.push_back({.version = "4.18.9", .payload = payloadOf("arm"), .channels = {"stable-4.18"}, .arch = "arm64"});
  return graph;
}

class Graphs {
 public:
  explicit Graphs(FakeGraph graph) : graph_(std::move(graph)) {}
  const UpdateGraph& operator()(const std::string& channel, bool, const std::string& arch) {
    asked.push_back(channel);
    auto key = channel + "/" + arch;
    if (!cache_.count(key)) cache_[key] = parseUpdateGraph(testing::fakeGraphJson(graph_, channel, arch), key);
    return cache_[key];
  }
  GraphSource source() {
    return [this](const std::string& c, bool okd, const std::string& a) -> const UpdateGraph& { return (*this)(c, okd, a); };
  }
  std::vector<std::string> asked;

 private:
  FakeGraph graph_;
  std::map<std::string, UpdateGraph> cache_;
};

std::vector<std::string> versionsOf(const std::vector<ChosenRelease>& releases) {
  std::vector<std::string> versions;
  for (const auto& release : releases) versions.push_back(release.version);
  return versions;
}

std::vector<std::string> resolve(std::vector<ChannelRequest> channels, bool conditional = false,
                                 std::vector<std::string>* warningsOut = nullptr) {
  Graphs graphs(sampleGraph());
  std::vector<std::string> warnings;
  auto releases = resolveChannels(channels, "amd64", graphs.source(), {.includeConditionalEdges = conditional}, warnings);
  if (warningsOut) *warningsOut = warnings;
  return versionsOf(releases);
}

using Versions = std::vector<std::string>;

TEST(UpdateGraph, ParsesNodesEdgesAndConditionalEdges) {
  auto graph = parseUpdateGraph(testing::fakeGraphJson(sampleGraph(), "fast-4.18", "amd64"), "test");
  EXPECT_EQ(graph.nodes.size(), 7u);
  EXPECT_EQ(graph.edges.size(), 7u);
  ASSERT_EQ(graph.conditionalEdges.size(), 1u);
  EXPECT_EQ(graph.conditionalEdges[0].from, "4.18.3");
  EXPECT_EQ(graph.conditionalEdges[0].risks, std::vector<std::string>{"ExampleRisk"});
  auto node = graph.find("4.18.2");
  ASSERT_TRUE(node);
  EXPECT_EQ(graph.nodes[*node].payload, payloadOf("4.18.2"));
  EXPECT_EQ(graph.nodes[*node].metadata.at("io.openshift.upgrades.graph.release.manifestref"),
            Digest::sha256Of("4.18.2").str());
  EXPECT_FALSE(graph.find("4.18.9"));  // arm64 only
}

TEST(UpdateGraph, RefusesWhatIsNotAGraphNamingWhere) {
  auto error = [](const std::string& text) {
    try {
      parseUpdateGraph(text, "http://graph.example/graph");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("<html>"), error("<html>"));
  EXPECT_NE(error("<html>").find("http://graph.example/graph: the update graph is not JSON"), std::string::npos);
  EXPECT_EQ(error(R"({"edges":[]})"), "http://graph.example/graph: the update graph has no \"nodes\" array");
  EXPECT_EQ(error(R"({"nodes":[{"version":"4.1.0","payload":"x"}],"edges":[[0,1]]})"),
            "http://graph.example/graph: edges[0] names node 1 of 1 nodes (indexes start at 0)");
  EXPECT_EQ(error(R"({"nodes":[{"version":4,"payload":"x"}]})"),
            "http://graph.example/graph: nodes[0]: \"version\" must be a string");
  // Conditional edges of another shape do not break parsing; null edges are none.
  EXPECT_EQ(error(R"({"nodes":[],"edges":null,"conditionalEdges":[1,{"edges":"x"},{"edges":[{"from":1}]}]})"), "");
}

TEST(UpdateGraph, QueryKeepsTheUrlsOwnQueryAndSortsKeys) {
  EXPECT_EQ(graphQueryUrl("https://h/graph", "amd64", "stable-4.18", "ID"),
            "https://h/graph?arch=amd64&channel=stable-4.18&id=ID");
  EXPECT_EQ(graphQueryUrl("https://h/graph?x=1", "multi", "fast-4.18", "ID", "4.18.1"),
            "https://h/graph?x=1&arch=multi&channel=fast-4.18&id=ID&version=4.18.1");
  auto uuid = randomUuid();
  EXPECT_EQ(uuid.size(), 36u);
  EXPECT_EQ(uuid[14], '4');
  EXPECT_NE(uuid, randomUuid());
  GraphServerOptions options;
  EXPECT_EQ(graphUrlFor(false, options), kOcpUpdateUrl);
  EXPECT_EQ(graphUrlFor(true, options), kOkdUpdateUrl);
  options.urlOverride = "http://local/graph";
  EXPECT_EQ(graphUrlFor(true, options), "http://local/graph");  // OKD too, unlike oc-mirror
}

// --- the resolution table ---------------------------------------------------------------------

TEST(ChannelResolution, NeitherMinNorMaxIsTheChannelHeadOnly) {
  EXPECT_EQ(resolve({{.name = "stable-4.18"}}), Versions{"4.18.3"});
}

TEST(ChannelResolution, FullIsEveryVersionOfTheChannel) {
  EXPECT_EQ(resolve({{.name = "stable-4.18", .full = true}}),
            (Versions{"4.17.2", "4.17.3", "4.18.0", "4.18.1", "4.18.2", "4.18.3"}));
}

TEST(ChannelResolution, OnlyMinIsMinToHead) {
  EXPECT_EQ(resolve({{.name = "stable-4.18", .minVersion = "4.18.1"}}), (Versions{"4.18.1", "4.18.2", "4.18.3"}));
}

TEST(ChannelResolution, OnlyMaxIsFirstToMaxWhateverFullSays) {
  Versions expected{"4.17.2", "4.17.3", "4.18.0", "4.18.1"};
  EXPECT_EQ(resolve({{.name = "stable-4.18", .maxVersion = "4.18.1"}}), expected);
  EXPECT_EQ(resolve({{.name = "stable-4.18", .maxVersion = "4.18.1", .full = false}}), expected);
  EXPECT_EQ(resolve({{.name = "stable-4.18", .maxVersion = "4.18.1", .full = true}}), expected);
}

TEST(ChannelResolution, MinAndMaxIsTheRangeAndNeedNotBeNodes) {
  EXPECT_EQ(resolve({{.name = "stable-4.18", .minVersion = "4.17.3", .maxVersion = "4.18.1"}}),
            (Versions{"4.17.3", "4.18.0", "4.18.1"}));
  // Without shortestPath the bounds are a semver range, not nodes.
  EXPECT_EQ(resolve({{.name = "stable-4.18", .minVersion = "4.17.9", .maxVersion = "4.18.0"}}), Versions{"4.18.0"});
}

TEST(ChannelResolution, ShortestPathWalksBreadthFirstPreferringNewerSteps) {
  // 4.18.0 -> 4.18.3 directly: only the two ends.
  EXPECT_EQ(resolve({{.name = "stable-4.18", .minVersion = "4.18.0", .maxVersion = "4.18.3", .shortestPath = true}}),
            (Versions{"4.18.0", "4.18.3"}));
  // 4.17.2 -> 4.18.2: via 4.18.0 (then 4.18.1) or via 4.17.3 (one step less); BFS finds 4.17.3.
  EXPECT_EQ(resolve({{.name = "stable-4.18", .minVersion = "4.17.2", .maxVersion = "4.18.2", .shortestPath = true}}),
            (Versions{"4.17.2", "4.17.3", "4.18.2"}));
  // From the first to the head (full).
  EXPECT_EQ(resolve({{.name = "stable-4.18", .shortestPath = true, .full = true}}),
            (Versions{"4.17.2", "4.18.0", "4.18.3"}));
}

TEST(ChannelResolution, ShortestPathNeedsBothEndsInTheChannel) {
  try {
    resolve({{.name = "stable-4.18", .minVersion = "4.17.9", .maxVersion = "4.18.3", .shortestPath = true}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("version 4.17.9 is not in the stable-4.18 channel for amd64"),
              std::string::npos);
  }
}

TEST(ChannelResolution, ShortestPathWithoutAPathKeepsTheEndsAndWarns) {
  std::vector<std::string> warnings;
  // 4.18.3 -> 4.18.4 exists only as a conditional edge.
  EXPECT_EQ(resolve({{.name = "fast-4.18", .minVersion = "4.18.3", .maxVersion = "4.18.4", .shortestPath = true}},
                    false, &warnings),
            (Versions{"4.18.3", "4.18.4"}));
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("no upgrade path from 4.18.3 to 4.18.4"), std::string::npos);
  EXPECT_NE(warnings[0].find("conditional edges not used"), std::string::npos);
}

TEST(ChannelResolution, ConditionalEdgesAreWalkedOnlyWhenAsked) {
  ChannelRequest channel{.name = "fast-4.18", .minVersion = "4.18.0", .maxVersion = "4.18.4", .shortestPath = true};
  std::vector<std::string> warnings;
  EXPECT_EQ(resolve({channel}, false, &warnings), (Versions{"4.18.0", "4.18.4"}));
  EXPECT_EQ(warnings.size(), 1u);
  EXPECT_EQ(resolve({channel}, true, &warnings), (Versions{"4.18.0", "4.18.3", "4.18.4"}));
  EXPECT_TRUE(warnings.empty());
}

TEST(ChannelResolution, AnEmptyChannelIsNoVersionsFound) {
  try {
    resolve({{.name = "stable-9.9"}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "no cluster versions found for \"amd64\" in the \"stable-9.9\" channel; check the channel name and "
              "architecture");
  }
}

TEST(ChannelResolution, SeveralChannelsOfOneMinorWalkTheTarget) {
  // stable-4.18 from 4.17.2 (its lowest min), fast-4.18 to 4.18.4 (the highest max).
  Graphs graphs(sampleGraph());
  std::vector<std::string> warnings;
  auto releases = resolveChannels({{.name = "stable-4.18", .minVersion = "4.17.2", .maxVersion = "4.17.3"},
                                   {.name = "fast-4.18", .minVersion = "4.18.4", .maxVersion = "4.18.4"}},
                                  "amd64", graphs.source(), {}, warnings);
  // Each channel's range, plus the path 4.17.2 -> 4.18.4 in fast-4.18: none without conditional
  // edges, so just the ends (already there).
  EXPECT_EQ(versionsOf(releases), (Versions{"4.17.2", "4.17.3", "4.18.4"}));
}

TEST(ChannelResolution, SeveralChannelsAcrossMinorsWalkEachMinorsChannel) {
  Graphs graphs(sampleGraph());
  std::vector<std::string> warnings;
  auto releases = resolveChannels({{.name = "stable-4.16", .minVersion = "4.16.0", .maxVersion = "4.16.0"},
                                   {.name = "stable-4.18", .minVersion = "4.18.2", .maxVersion = "4.18.2"}},
                                  "amd64", graphs.source(), {}, warnings);
  // 4.16.0 -> head of stable-4.16 (4.16.1); stable-4.17 (the source's prefix) 4.16.1 -> its head 4.17.3;
  // stable-4.18 4.17.3 -> 4.18.2.
  EXPECT_EQ(versionsOf(releases), (Versions{"4.16.0", "4.16.1", "4.17.0", "4.17.1", "4.17.2", "4.17.3", "4.18.2"}));
  EXPECT_NE(std::find(graphs.asked.begin(), graphs.asked.end(), "stable-4.17"), graphs.asked.end());
  EXPECT_TRUE(warnings.empty());
  for (const auto& release : releases) {
    if (release.version == "4.17.1") {
      EXPECT_EQ(release.reason, "on the upgrade path 4.16.0 (stable-4.16) -> 4.18.2 (stable-4.18)");
    }
  }
}

TEST(ChannelResolution, OkdChannelsTakeNoPartInTheCrossChannelWalk) {
  Graphs graphs(sampleGraph());
  std::vector<std::string> warnings;
  auto releases = resolveChannels({{.name = "stable-4.16", .okd = true, .minVersion = "4.16.0", .maxVersion = "4.16.0"},
                                   {.name = "stable-4.18", .okd = true, .minVersion = "4.18.2", .maxVersion = "4.18.2"}},
                                  "amd64", graphs.source(), {}, warnings);
  EXPECT_EQ(versionsOf(releases), (Versions{"4.16.0", "4.18.2"}));
  EXPECT_TRUE(releases[0].okd);
}

TEST(ChannelResolution, ResultsAreDeduplicatedByPayload) {
  EXPECT_EQ(resolve({{.name = "stable-4.17", .full = true}, {.name = "stable-4.17", .minVersion = "4.17.2"}}),
            (Versions{"4.16.1", "4.17.0", "4.17.1", "4.17.2", "4.17.3"}));
}

TEST(ChannelResolution, ChannelNames) {
  auto name = parseChannelName("stable-4.18");
  ASSERT_TRUE(name);
  EXPECT_EQ(name->prefix, "stable");
  EXPECT_EQ(name->minor, 18);
  EXPECT_EQ(parseChannelName("eus-4.16")->prefix, "eus");
  EXPECT_FALSE(parseChannelName("okd-scos"));
  EXPECT_FALSE(parseChannelName("stable-4."));
}

// --- the client --------------------------------------------------------------------------------

TEST(UpdateGraphClient, AsksAsOcMirrorAndRetriesA503) {
  testing::UpdateGraphServer server(sampleGraph());
  server.failNext(2);
  GraphServerOptions options{.urlOverride = server.url(), .http = {}};
  options.http.retry.delay = std::chrono::milliseconds(1);
  UpdateGraphClient client(options);
  auto text = client.fetch(false, "stable-4.17", "amd64");
  EXPECT_EQ(parseUpdateGraph(text, "x").nodes.size(), 5u);
  EXPECT_EQ(client.retryCount(), 2);
  auto queries = server.queries();
  ASSERT_EQ(queries.size(), 3u);
  EXPECT_EQ(queries.back().rfind("arch=amd64&channel=stable-4.17&id=", 0), 0u) << queries.back();
}

TEST(UpdateGraphClient, AServerThatIsDownIsAnErrorNamingTheUrlAfterTheRetries) {
  int port;
  {
    testing::UpdateGraphServer server(sampleGraph());
    port = std::stoi(server.url().substr(17));
  }
  GraphServerOptions options{.urlOverride = fmt::format("http://127.0.0.1:{}/graph", port), .http = {}};
  options.http.retry.times = 2;
  options.http.retry.delay = std::chrono::milliseconds(1);
  UpdateGraphClient client(options);
  try {
    client.fetch(false, "stable-4.17", "amd64");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unreachable);
    std::string message = e.what();
    EXPECT_NE(message.find(fmt::format("cannot read the update graph http://127.0.0.1:{}/graph (channel stable-4.17, "
                                       "arch amd64)", port)), std::string::npos) << message;
    EXPECT_NE(message.find("gave up after 2 retries"), std::string::npos) << message;
  }
  EXPECT_EQ(client.retryCount(), 2);
}

TEST(UpdateGraphClient, AnHttpErrorQuotesTheServer) {
  testing::UpdateGraphServer server(sampleGraph());
  GraphServerOptions options{.urlOverride = server.url() + "/nope", .http = {}};
  UpdateGraphClient client(options);
  try {
    client.fetch(false, "stable-4.17", "amd64");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("HTTP 404: not found"), std::string::npos) << e.what();
  }
}

// --- naming and payloads ---------------------------------------------------------------------

TEST(ReleaseNaming, TagsAsOcMirror) {
  EXPECT_EQ(releaseTag("4.18.1", "amd64", false), "4.18.1-x86_64");
  EXPECT_EQ(releaseTag("4.18.1", "arm64", false), "4.18.1-aarch64");
  EXPECT_EQ(releaseTag("4.18.1", "ppc64le", false), "4.18.1-ppc64le");
  EXPECT_EQ(releaseTag("4.18.1", "s390x", false), "4.18.1-s390x");
  EXPECT_EQ(releaseTag("4.18.1", "multi", false), "4.18.1-multi");
  EXPECT_EQ(releaseTag("4.15.0-0.okd-2024-03-10-010116", "amd64", true), "4.15.0-0.okd-2024-03-10-010116");
  EXPECT_EQ(componentTag("4.15.12-x86_64", "agent-installer-api-server"), "4.15.12-x86_64-agent-installer-api-server");
  EXPECT_THROW(componentTag("4.15.12-x86_64", std::string(120, 'a')), Error);
  EXPECT_THROW(componentTag("4.15.12-x86_64", "a/b"), Error);
}

TEST(ReleasePayload, ReadsImageReferencesAndMetadataFromTheLayers) {
  TemporaryDirectory work;
  auto layout = testing::buildReleaseLayout(work.path() / "layout", "registry.example",
                                            {.versions = {"4.18.0", "4.18.1"}, .components = 5, .arches = {"amd64", "multi"}});
  ASSERT_EQ(layout.releases.size(), 4u);
  auto source = OciLayout::open(work.path() / "layout");
  for (const auto& built : layout.releases) {
    auto payload = readReleasePayload(*source, built.tag, built.tag, work.path() / "hold");
    EXPECT_EQ(payload.digest, built.image.digest);
    EXPECT_EQ(payload.isIndex, built.arch == "multi");
    EXPECT_EQ(payload.version, built.version);
    EXPECT_EQ(payload.name, built.version);
    ASSERT_EQ(payload.components.size(), 5u);
    for (size_t i = 0; i < 5; ++i) {
      EXPECT_EQ(payload.components[i].name, built.components[i].first);
      EXPECT_EQ(payload.components[i].image, built.components[i].second);
    }
    EXPECT_TRUE(std::filesystem::exists(work.path() / "hold" / built.image.digest.hex() / "release-manifests" /
                                        "0000_50_test_operator.yaml"));
  }
  // 4.18.1 lists 4.18.0 as previous; component 0 changed between them, component 1 did not.
  const auto& a = layout.releases[0];
  const auto& b = layout.releases[1];
  EXPECT_NE(a.components[0].second, b.components[0].second);
  EXPECT_EQ(a.components[1].second, b.components[1].second);
  // Without kubevirt entries there is nothing to add.
  EXPECT_TRUE(readKubeVirtImages(readReleasePayload(*source, a.tag, a.tag, work.path() / "hold").manifestsDirectory,
                                 "x").empty());
  // A second read uses the extracted directory.
  auto again = readReleasePayload(*source, b.tag, b.tag, work.path() / "hold");
  EXPECT_EQ(again.previous, std::vector<std::string>{"4.18.0"});
}

TEST(ReleasePayload, KubeVirtImagesComeFromTheBootImagesConfigMap) {
  TemporaryDirectory work;
  auto layout = testing::buildReleaseLayout(work.path() / "layout", "registry.example",
                                            {.versions = {"4.18.0"}, .components = 2, .arches = {"amd64"},
                                             .cosignSigned = {}, .kubeVirt = true});
  auto source = OciLayout::open(work.path() / "layout");
  const auto& built = layout.releases.at(0);
  auto payload = readReleasePayload(*source, built.tag, built.tag, work.path() / "hold");
  auto images = readKubeVirtImages(payload.manifestsDirectory, built.tag);
  EXPECT_EQ(images, built.kubeVirt);
  EXPECT_EQ(images.size(), 2u);  // x86_64 and s390x; aarch64 has none
}

TEST(ReleasePayload, AnImageWithoutReleaseManifestsIsNotAPayload) {
  TemporaryDirectory work;
  testing::FixtureBuilder builder(work.path() / "layout", 1);
  builder.singleArchOci("plain");
  auto source = OciLayout::open(work.path() / "layout");
  try {
    readReleasePayload(*source, "plain", "quay.io/x/plain:1", work.path() / "hold");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "quay.io/x/plain:1 is not a release payload: its layers hold no release-manifests/ directory");
  }
}

}  // namespace
}  // namespace ferry::release
