// `ferry mirror` with mirror.platform, end to end: release payloads and their
// components made by the test code (support/release_images.h) in a real source
// registry, a loopback update-graph server (support/update_graph_server.h),
// mirrored registry to registry, to an archive and from it; what landed is read
// back with skopeo. Also: a graph server that is down, an explicit release, and
// `ferry list releases`.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <set>
#include <sstream>

#include "ferry/base/files.h"
#include "ferry/config/image_set_config.h"
#include "ferry/copy/endpoints.h"
#include "ferry/mirror/collectors.h"
#include "ferry/mirror/mapping_file.h"
#include "ferry/mirror/release_collector.h"
#include "ferry/mirror/workflow_ends.h"
#include "integration/ferry_test_env.h"
#include "support/gpg_key.h"
#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/imagefs/layer_writer.h"
#include "support/http_server.h"
#include "support/registry_push.h"
#include "support/release_images.h"
#include "support/update_graph_server.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

// The digest skopeo reads at `reference` ("HOST/REPO:TAG" or "HOST/REPO@DIGEST").
std::string skopeoDigest(const TestRegistry& registry, const std::string& reference) {
  std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
  for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
  argv.push_back("docker://" + reference);
  return Digest::sha256Of(runChecked(argv)).str();
}

size_t blobRequests(const std::vector<AccessLogEntry>& log) {
  size_t count = 0;
  for (const auto& entry : log)
    if (entry.target.find("/blobs/") != std::string::npos) ++count;
  return count;
}

std::string digestOf(const std::string& pullSpec) { return pullSpec.substr(pullSpec.find('@') + 1); }



// A signature store: <url>/sha256=<hex>/signature-N for what `signatures` holds, 404 otherwise.
class SignatureStore {
 public:
  SignatureStore()
      : server_([this](const HttpRequest& request) {
          std::lock_guard lock(mutex_);
          auto it = signatures_.find(request.path);
          if (it == signatures_.end()) return HttpResponse{.status = 404, .headers = {}, .body = "no such signature"};
          return HttpResponse{.status = 200, .headers = {}, .body = it->second};
        }) {}
  void put(const std::string& digest, int n, std::string bytes) {
    std::lock_guard lock(mutex_);
    signatures_[fmt::format("/sigs/sha256={}/signature-{}", digest.substr(7), n)] = std::move(bytes);
  }
  std::string url() const { return server_.url() + "/sigs/"; }

 private:
  std::mutex mutex_;
  std::map<std::string, std::string> signatures_;
  HttpServer server_;
};

class ReleaseTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    work_ = new TemporaryDirectory("ferry-release-test");
    source_ = new TestRegistry();
    world_ = new ReleaseWorld(*source_, work_->path(),
                              {.versions = {"4.17.0", "4.17.1", "4.18.0", "4.18.1"}, .components = 24,
                               .arches = {"amd64", "multi"}, .cosignSigned = {"4.18.1"}, .kubeVirt = true});
  }
  static void TearDownTestSuite() {
    delete world_;
    delete source_;
    delete work_;
  }

  // stable-4.17: 4.17.0, 4.17.1; stable-4.18: 4.17.1, 4.18.0, 4.18.1. Updates 4.17.0 -> 4.17.1 -> 4.18.0 ->
  // 4.18.1, and a conditional 4.17.1 -> 4.18.1.
  FakeGraph graph() const {
    return world_->graph({{"4.17.0", {"stable-4.17"}},
                          {"4.17.1", {"stable-4.17", "stable-4.18"}},
                          {"4.18.0", {"stable-4.18"}},
                          {"4.18.1", {"stable-4.18"}}},
                         {{"4.17.0", "4.17.1"}, {"4.17.1", "4.18.0"}, {"4.18.0", "4.18.1"}}, {{"4.17.1", "4.18.1"}});
  }

  std::filesystem::path writeConfig(const std::string& name, const std::string& platform) const {
    auto path = scratch_.path() / name;
    writeFileAtomically(path, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                              "  platform:\n" + platform);
    return path;
  }

  // Every payload and component of `release` is at the mirror, digest for digest, under oc-mirror's names.
  void expectMirrored(const TestRegistry& mirror, const BuiltRelease& release) {
    auto root = mirror.host() + "/mirror/openshift/";
    EXPECT_EQ(skopeoDigest(mirror, root + "release-images:" + release.tag), release.image.digest.str()) << release.tag;
    for (const auto& [name, image] : release.components)
      EXPECT_EQ(skopeoDigest(mirror, root + "release:" + release.tag + "-" + name), digestOf(image))
          << release.tag << " " << name;
  }

  static TemporaryDirectory* work_;
  static TestRegistry* source_;
  static ReleaseWorld* world_;
  TemporaryDirectory scratch_{"ferry-release-case"};
};

TemporaryDirectory* ReleaseTest::work_ = nullptr;
TestRegistry* ReleaseTest::source_ = nullptr;
ReleaseWorld* ReleaseTest::world_ = nullptr;

TEST_F(ReleaseTest, MirrorToMirrorCopiesPayloadsAndComponentsAndAReRunMovesNothing) {
  UpdateGraphServer server(graph());
  TestRegistry mirror;
  auto config = writeConfig("isc.yaml",
                            "    channels:\n      - name: stable-4.18\n        minVersion: 4.18.0\n"
                            "        maxVersion: 4.18.1\n");
  auto workspace = scratch_.path() / "ws";
  auto args = withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                         "--update-url", server.url(), dockerRoot(mirror)},
                        *source_, &mirror);
  auto first = runFerry(args);
  ASSERT_EQ(first.exitCode, 0) << first.out << first.err;
  expectMirrored(mirror, world_->release("4.18.0"));
  expectMirrored(mirror, world_->release("4.18.1"));
  // 4.18.1's cosign signature travels with its payload (as every image's attachments do, docs/signatures.md).
  const auto& cosign = *world_->release("4.18.1").cosign;
  EXPECT_EQ(skopeoDigest(mirror, mirror.host() + "/mirror/openshift/release-images:" + cosign.name),
            cosign.digest.str());

  // The mapping names exactly the two payloads and their components (shared ones once per release tag).
  auto entries = mirror::readMappingTxt(workspace / "working-dir" / "mapping.txt");
  EXPECT_EQ(entries.size(), 2u + 2u * 24u);
  std::set<std::string> payloads;
  for (const auto& entry : entries)
    if (entry.destination.repository == "mirror/openshift/release-images") payloads.insert(*entry.destination.tag);
  EXPECT_EQ(payloads, (std::set<std::string>{"4.18.0-x86_64", "4.18.1-x86_64"}));

  // The graph answer is kept in the workspace; the IDMS maps both source repositories (repository scope).
  auto saved = workspace / "working-dir" / "hold-release" / "cincinnati-graph-data" / "amd64-stable-4.18.json";
  ASSERT_TRUE(std::filesystem::exists(saved));
  EXPECT_EQ(json::parse(readFile(saved))["nodes"].size(), 3u);
  auto idms = readFile(workspace / "working-dir" / "cluster-resources" / "idms-oc-mirror.yaml");
  EXPECT_NE(idms.find("name: idms-release-0"), std::string::npos) << idms;
  EXPECT_NE(idms.find(source_->host() + "/openshift-release-dev/ocp-release"), std::string::npos) << idms;
  EXPECT_NE(idms.find(mirror.host() + "/mirror/openshift/release-images"), std::string::npos) << idms;
  EXPECT_NE(idms.find(source_->host() + "/openshift-release-dev/ocp-v4.0-art-dev"), std::string::npos) << idms;
  EXPECT_NE(idms.find(mirror.host() + "/mirror/openshift/release\""), std::string::npos) << idms;
  EXPECT_FALSE(std::filesystem::exists(workspace / "working-dir" / "cluster-resources" / "itms-oc-mirror.yaml"))
      << readFile(workspace / "working-dir" / "cluster-resources" / "itms-oc-mirror.yaml");

  // A second run: nothing moves at the destination.
  auto before = mirror.accessLog().size();
  auto second = runFerry(args);
  ASSERT_EQ(second.exitCode, 0) << second.err;
  auto log = mirror.accessLog();
  std::vector<AccessLogEntry> secondRun(log.begin() + static_cast<long>(before), log.end());
  EXPECT_EQ(blobRequests(secondRun), 0u);
  // One manifest request per image and per attachment (4.18.1's .sig), and the /v2/ ping.
  EXPECT_LE(secondRun.size(), entries.size() + 2) << "manifest requests in the no-op re-run";
}

TEST_F(ReleaseTest, MultiPayloadsGoToDiskAndFromItWithNoGraphServer) {
  auto config = writeConfig("isc.yaml",
                            "    architectures: [multi]\n    channels:\n      - name: stable-4.18\n"
                            "        minVersion: 4.17.1\n        maxVersion: 4.18.1\n        shortestPath: true\n");
  auto archive = scratch_.path() / "archive";
  {
    UpdateGraphServer server(graph());
    auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "--update-url", server.url(),
                                      "file://" + archive.string()},
                                     *source_, nullptr));
    ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
    EXPECT_NE(server.queries().at(0).find("arch=multi&channel=stable-4.18&id="), std::string::npos);
  }
  // The archive carries the graph answer the releases were resolved from.
  auto members = runChecked({"tar", "-tf", (archive / "mirror_000001.tar").string()});
  EXPECT_NE(members.find("ferry/release-graph-multi-stable-4.18.json"), std::string::npos) << members;
  // The graph server is gone: disk-to-mirror needs only the archive.
  TestRegistry mirror;
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                                      "file://" + (scratch_.path() / "ws").string(), dockerRoot(mirror)},
                                     mirror, &mirror));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  // shortestPath 4.17.1 -> 4.18.1 is 4.17.1 -> 4.18.0 -> 4.18.1 (the conditional 4.17.1 -> 4.18.1 is not used).
  for (auto version : {"4.17.1", "4.18.0", "4.18.1"}) expectMirrored(mirror, world_->release(version, "multi"));
  // A multi payload is an index, copied whole.
  auto root = mirror.host() + "/mirror/openshift/release-images";
  auto child = world_->release("4.18.1", "multi").image.manifests.at(1);
  EXPECT_EQ(skopeoDigest(mirror, root + "@" + child.str()), child.str());
  auto list = runCommand({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + root + ":4.17.0-multi"});
  EXPECT_NE(list.exitCode, 0) << "4.17.0 is not on the path";
}

// The manifest and blob digests an archive part holds (its blobs/sha256/ members).
std::set<std::string> partDigests(const std::filesystem::path& part) {
  std::set<std::string> digests;
  std::istringstream lines(runChecked({"tar", "-tf", part.string()}));
  std::string line;
  while (std::getline(lines, line)) {
    auto at = line.find("blobs/sha256/");
    if (at != std::string::npos && line.size() > at + 13) digests.insert("sha256:" + line.substr(at + 13));
  }
  return digests;
}

TEST_F(ReleaseTest, ANewerReleaseShipsOnlyWhatItDoesNotShareWithTheLastOne) {
  UpdateGraphServer server(graph());
  auto archive = scratch_.path() / "archive";
  auto run = [&](const std::string& max) {
    auto config = writeConfig("isc-" + max + ".yaml", "    channels:\n      - name: stable-4.18\n        minVersion: 4.18.0\n"
                                                      "        maxVersion: " + max + "\n");
    return runFerry(withFlags({"mirror", "-c", config.string(), "--update-url", server.url(),
                               "file://" + archive.string()},
                              *source_, nullptr));
  };
  auto first = run("4.18.0");
  ASSERT_EQ(first.exitCode, 0) << first.err;
  auto second = run("4.18.1");
  ASSERT_EQ(second.exitCode, 0) << second.err;
  ASSERT_TRUE(std::filesystem::exists(archive / "mirror_000002.tar")) << second.out;
  auto firstPart = partDigests(archive / "mirror_000001.tar");
  auto secondPart = partDigests(archive / "mirror_000002.tar");
  const auto& older = world_->release("4.18.0");
  const auto& newer = world_->release("4.18.1");
  // The config and layers of an image of the source layout.
  auto blobsOf = [&](const std::string& digest) {
    auto manifest = json::parse(readBlob(work_->path() / "release-layout", Digest::parse(digest)));
    std::set<std::string> blobs{manifest["config"]["digest"].get<std::string>()};
    for (const auto& layer : manifest["layers"]) blobs.insert(layer["digest"].get<std::string>());
    return blobs;
  };
  size_t shared = 0, changed = 0;
  std::set<std::string> needed = blobsOf(newer.image.digest.str()), shipped;
  for (size_t i = 0; i < newer.components.size(); ++i) {
    auto digest = digestOf(newer.components[i].second);
    auto blobs = blobsOf(digest);
    needed.insert(blobs.begin(), blobs.end());
    bool same = digest == digestOf(older.components[i].second);
    (same ? shared : changed)++;
    for (const auto& blob : blobs) {
      if (secondPart.count(blob)) shipped.insert(blob);
      EXPECT_EQ(secondPart.count(blob), same ? 0u : 1u) << newer.components[i].first << " blob " << blob;
    }
  }
  EXPECT_EQ(shared, 16u);
  EXPECT_EQ(changed, 8u);
  EXPECT_TRUE(secondPart.count(newer.image.digest.str()));
  for (const auto& blob : blobsOf(newer.image.digest.str()))
    if (secondPart.count(blob)) shipped.insert(blob);
  // The shared-blob dedupe: 4.18.1 needs `needed` blobs; after 4.18.0 the new part carries `shipped`.
  auto ratio = static_cast<double>(shipped.size()) / static_cast<double>(needed.size());
  RecordProperty("new_blobs_over_needed", std::to_string(ratio));
  std::printf("release dedupe: 4.18.1 needs %zu blobs; after 4.18.0 the new part carries %zu (%.0f%%)\n",
              needed.size(), shipped.size(), 100 * ratio);
  EXPECT_LT(ratio, 0.5);
}

// The children of the index `digest` of the source layout, by architecture.
std::map<std::string, std::string> childrenByArch(const std::filesystem::path& layout, const std::string& digest) {
  auto index = json::parse(readBlob(layout, Digest::parse(digest)));
  std::map<std::string, std::string> children;
  for (const auto& child : index["manifests"])
    children[child["platform"]["architecture"].get<std::string>()] = child["digest"].get<std::string>();
  return children;
}

TEST_F(ReleaseTest, PlatformsNarrowTheMultiPayloadAndItsComponentsSparsely) {
  UpdateGraphServer server(graph());
  auto config = writeConfig("isc.yaml", "    platforms: [linux/amd64]\n    channels:\n      - name: stable-4.18\n");
  auto archive = scratch_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "--update-url", server.url(),
                                    "file://" + archive.string()},
                                   *source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  // The graph is asked for the multi payloads (as oc-mirror does with platforms).
  EXPECT_NE(server.queries().at(0).find("arch=multi&channel=stable-4.18&id="), std::string::npos);
  const auto& release = world_->release("4.18.1", "multi");
  EXPECT_NE(toDisk.err.find("release 4.18.1-multi (" + release.image.digest.str() +
                            "): 24 components, narrowed to linux/amd64"),
            std::string::npos)
      << toDisk.err;
  // Every payload and component keeps its digest (sparse: they are named by digest) with only linux/amd64.
  auto plan = json::parse(runChecked({"tar", "-xOf", (archive / "mirror_000001.tar").string(), "ferry/plan.json"}));
  size_t narrowed = 0;
  for (const auto& image : plan["images"]) {
    EXPECT_EQ(image["platforms"], json({"linux/amd64"})) << image.dump();
    EXPECT_EQ(image["sparse"], true) << image.dump();
    ++narrowed;
  }
  EXPECT_EQ(narrowed, 1u + 24u);
  auto held = partDigests(archive / "mirror_000001.tar");
  auto layout = work_->path() / "release-layout";
  auto payload = childrenByArch(layout, release.image.digest.str());
  EXPECT_TRUE(held.count(release.image.digest.str()));
  EXPECT_TRUE(held.count(payload.at("amd64")));
  EXPECT_FALSE(held.count(payload.at("arm64")));
  for (const auto& [name, image] : release.components) {
    auto children = childrenByArch(layout, digestOf(image));
    EXPECT_TRUE(held.count(digestOf(image))) << name;
    EXPECT_TRUE(held.count(children.at("amd64"))) << name;
    EXPECT_FALSE(held.count(children.at("arm64"))) << name;
  }
}

TEST_F(ReleaseTest, AnExplicitReleaseBypassesTheGraph) {
  auto release = world_->release("4.17.0");
  auto config = writeConfig("isc.yaml", "    release: " + source_->host() + "/openshift-release-dev/ocp-release:" +
                                            release.tag + "\n");
  auto workspace = scratch_.path() / "ws";
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    "--update-url", "http://127.0.0.1:1/never-asked", "--dry-run",
                                    "docker://mirror.example:5000/ocp"},
                                   *source_, nullptr));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  auto entries = mirror::readMappingTxt(workspace / "working-dir" / "dry-run" / "mapping.txt");
  ASSERT_EQ(entries.size(), 25u);
  EXPECT_NE(result.err.find("release 4.17.0-x86_64 (" + release.image.digest.str() +
                            "): 24 components; named by mirror.platform.release"),
            std::string::npos)
      << result.err;
  EXPECT_EQ(entries[0].source.str(), "docker://" + source_->host() + "/openshift-release-dev/ocp-release@" +
                                         release.image.digest.str());
  EXPECT_EQ(entries[0].destination.str(), "docker://mirror.example:5000/ocp/openshift/release-images:4.17.0-x86_64");
  EXPECT_EQ(entries[1].source.str(), "docker://" + release.components[0].second);
  EXPECT_EQ(entries[1].destination.str(),
            "docker://mirror.example:5000/ocp/openshift/release:4.17.0-x86_64-component-00");
}

TEST_F(ReleaseTest, KubeVirtContainerAddsTheContainerDiskOfEachArchitecture) {
  const auto& release = world_->release("4.17.0", "multi");
  auto config = writeConfig("isc.yaml", "    architectures: [multi]\n    kubeVirtContainer: true\n    release: " +
                                            source_->host() + "/openshift-release-dev/ocp-release:" + release.tag + "\n");
  auto workspace = scratch_.path() / "ws";
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    "--dry-run", "docker://mirror.example:5000/ocp"},
                                   *source_, nullptr));
  ASSERT_EQ(result.exitCode, 0) << result.err;
  std::map<std::string, std::string> byTag;
  for (const auto& entry : mirror::readMappingTxt(workspace / "working-dir" / "dry-run" / "mapping.txt"))
    byTag[*entry.destination.tag] = entry.source.str();
  EXPECT_EQ(byTag.size(), 1u + 24u + 2u);
  // multi: both container disks, each named by its arch (oc-mirror's names).
  EXPECT_EQ(byTag["4.17.0-multi-kube-virt-container-x86_64"], "docker://" + release.kubeVirt.at("x86_64"));
  EXPECT_EQ(byTag["4.17.0-multi-kube-virt-container-s390x"], "docker://" + release.kubeVirt.at("s390x"));

  // arm64 payloads carry none: the release fails with exit bit 2.
  auto arm = writeConfig("arm.yaml", "    architectures: [arm64]\n    kubeVirtContainer: true\n    release: " +
                                         source_->host() + "/openshift-release-dev/ocp-release:" + release.tag + "\n");
  auto failed = runFerry(withFlags({"mirror", "-c", arm.string(), "--workspace", "file://" + workspace.string(),
                                    "--dry-run", "docker://mirror.example:5000/ocp"},
                                   *source_, nullptr));
  EXPECT_EQ(failed.exitCode, 2) << failed.err;
  EXPECT_NE(failed.err.find("kubeVirtContainer: could not find a kubevirt image in this release"), std::string::npos)
      << failed.err;
}

TEST_F(ReleaseTest, AGraphServerThatIsDownFailsTheReleasesNamingTheUrl) {
  int port;
  {
    UpdateGraphServer gone(graph());
    port = std::stoi(gone.url().substr(17));
  }
  auto url = fmt::format("http://127.0.0.1:{}/api/upgrades_info/v1/graph", port);
  auto config = writeConfig("isc.yaml", "    channels:\n      - name: stable-4.18\n");
  auto result = runCommand({FERRY_BINARY, "mirror", "-c", config.string(), "--workspace",
                            "file://" + (scratch_.path() / "ws").string(), "--retry-times", "2", "--retry-delay",
                            "10ms", "--source-use-http", "docker://mirror.example:5000/ocp", "--dry-run"},
                           {}, EnvironmentChanges{{"UPDATE_URL_OVERRIDE", url}});
  EXPECT_EQ(result.exitCode & 2, 2) << result.exitCode << result.err;
  EXPECT_NE(result.err.find("cannot read the update graph " + url + " (channel stable-4.18, arch amd64)"),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("gave up after 2 retries"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("retry 2/2"), std::string::npos) << result.err;
}

TEST_F(ReleaseTest, ListReleasesShowsVersionsUpdatesAndChannels) {
  UpdateGraphServer server(graph());
  auto result = runCommand({FERRY_BINARY, "list", "releases", "--channel", "stable-4.18", "-o", "json"}, {},
                           {{"UPDATE_URL_OVERRIDE", server.url()}});
  ASSERT_EQ(result.exitCode, 0) << result.err;
  auto listed = json::parse(result.out);
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["channel"], "stable-4.18");
  EXPECT_EQ(listed[0]["arch"], "amd64");
  auto versions = listed[0]["versions"];
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0]["version"], "4.17.1");
  EXPECT_EQ(versions[0]["updates"], json({"4.18.0"}));
  EXPECT_EQ(versions[0]["conditionalUpdates"], json({"4.18.1"}));
  EXPECT_EQ(versions[2]["payload"], world_->release("4.18.1").payload);

  auto channels = runFerry({"list", "releases", "--channels", "--version", "4.18", "--update-url", server.url()});
  ASSERT_EQ(channels.exitCode, 0) << channels.err;
  EXPECT_NE(channels.out.find("  stable-4.17\n  stable-4.18\n"), std::string::npos) << channels.out;

  auto text = runFerry({"list", "releases", "--version", "4.18", "--filter-by-archs", "multi", "--update-url",
                        server.url()});
  ASSERT_EQ(text.exitCode, 0) << text.err;
  EXPECT_NE(text.out.find("Channel stable-4.18 (multi):"), std::string::npos) << text.out;
  EXPECT_EQ(text.out.find("4.17.1 "), std::string::npos) << "only 4.18 versions: " << text.out;
  EXPECT_NE(text.out.find(world_->release("4.18.0", "multi").payload), std::string::npos) << text.out;
}


TEST_F(ReleaseTest, SignaturesAreVerifiedCarriedInTheArchiveAndWrittenAsTheConfigMap) {
  if (!toolAvailable("gpg") || !toolAvailable("gpgv")) GTEST_SKIP() << "gpg and gpgv are needed";
  GpgKey key("release@example.invalid");
  auto keyring = scratch_.path() / "release-key.asc";
  writeFileAtomically(keyring, key.armoredPublicKey());
  SignatureStore store;
  const auto& release = world_->release("4.18.1");
  auto signature = key.sign(release.image.digest.str(), "quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64");
  store.put(release.image.digest.str(), 1, signature);
  UpdateGraphServer server(graph());
  auto config = writeConfig("isc.yaml", "    channels:\n      - name: stable-4.18\n");
  auto archive = scratch_.path() / "archive";
  auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "--update-url", server.url(),
                                    "--release-signature-url", store.url(), "--release-signature-keyring",
                                    keyring.string(), "file://" + archive.string()},
                                   *source_, nullptr));
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  EXPECT_NE(toDisk.err.find("release 4.18.1-x86_64: signature-1 verifies"), std::string::npos) << toDisk.err;

  // Disk-to-mirror writes the ConfigMap from what the archive carries (no store, no graph server asked).
  TestRegistry mirror;
  auto workspace = scratch_.path() / "ws";
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                                      "file://" + workspace.string(), dockerRoot(mirror)},
                                     mirror, &mirror));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  expectMirrored(mirror, release);
  auto resources = workspace / "working-dir" / "cluster-resources";
  auto configMap = json::parse(readFile(resources / "signature-configmap.json"));
  EXPECT_EQ(configMap["metadata"]["name"], "mirrored-release-signatures");
  EXPECT_EQ(configMap["metadata"]["namespace"], "openshift-config-managed");
  EXPECT_TRUE(configMap["metadata"]["labels"].contains("release.openshift.io/verification-signatures"));
  auto key1 = "sha256-" + std::string(release.image.digest.hex()) + "-1";
  ASSERT_TRUE(configMap["binaryData"].contains(key1)) << configMap.dump(2);
  EXPECT_EQ(configMap["binaryData"][key1], base64Encode(signature));
  auto yaml = readFile(resources / "signature-configmap.yaml");
  EXPECT_NE(yaml.find("  " + key1 + ": " + base64Encode(signature) + "\n"), std::string::npos) << yaml;
}

TEST_F(ReleaseTest, ABadOrMissingSignatureFailsThatReleaseWithExitBitTwo) {
  if (!toolAvailable("gpg") || !toolAvailable("gpgv")) GTEST_SKIP() << "gpg and gpgv are needed";
  GpgKey key("release@example.invalid");
  GpgKey stranger("stranger@example.invalid");
  auto keyring = scratch_.path() / "release-key.asc";
  writeFileAtomically(keyring, key.armoredPublicKey());
  SignatureStore store;
  const auto& good = world_->release("4.18.1");
  const auto& wrongDigest = world_->release("4.18.0");
  const auto& wrongKey = world_->release("4.17.1");
  store.put(good.image.digest.str(), 1, key.sign(good.image.digest.str(), "quay.io/x/ocp-release:4.18.1-x86_64"));
  // 4.18.0's store entry signs 4.18.1's digest; 4.17.1's is signed by a key not in the keyring.
  store.put(wrongDigest.image.digest.str(), 1, key.sign(good.image.digest.str(), "quay.io/x/ocp-release:4.18.0-x86_64"));
  store.put(wrongKey.image.digest.str(), 1, stranger.sign(wrongKey.image.digest.str(), "quay.io/x/ocp-release:4.17.1-x86_64"));
  UpdateGraphServer server(graph());
  auto config = writeConfig("isc.yaml", "    channels:\n      - name: stable-4.18\n        full: true\n");
  auto workspace = scratch_.path() / "ws";
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                    "--update-url", server.url(), "--release-signature-url", store.url(),
                                    "--release-signature-keyring", keyring.string(), "--dry-run",
                                    "docker://mirror.example:5000/ocp"},
                                   *source_, nullptr));
  EXPECT_EQ(result.exitCode, 2) << result.err;
  EXPECT_NE(result.err.find(fmt::format("the signature is for {}, not for the payload {}", good.image.digest.str(),
                                        wrongDigest.image.digest.str())),
            std::string::npos)
      << result.err;
  EXPECT_NE(result.err.find("the signature does not verify with the keyring"), std::string::npos) << result.err;
  // Each chosen release is printed with why it was chosen.
  EXPECT_NE(result.err.find("release 4.18.1-x86_64 (" + good.image.digest.str() +
                            "): 24 components; in stable-4.18 between 4.17.1 and 4.18.1"),
            std::string::npos)
      << result.err;
  // Only the release whose signature verifies is planned.
  std::set<std::string> payloads;
  for (const auto& entry : mirror::readMappingTxt(workspace / "working-dir" / "dry-run" / "mapping.txt"))
    if (entry.destination.repository == "ocp/openshift/release-images") payloads.insert(*entry.destination.tag);
  EXPECT_EQ(payloads, std::set<std::string>{"4.18.1-x86_64"});

  // An explicit release without any signature in the store; --ignore-release-signature lets it through.
  auto explicitConfig = writeConfig("explicit.yaml", "    release: " + source_->host() +
                                                         "/openshift-release-dev/ocp-release:4.17.0-x86_64\n");
  std::vector<std::string> args{"mirror", "-c", explicitConfig.string(), "--workspace",
                                "file://" + workspace.string(), "--release-signature-url", store.url(),
                                "--release-signature-keyring", keyring.string(), "--dry-run",
                                "docker://mirror.example:5000/ocp"};
  auto missing = runFerry(withFlags(args, *source_, nullptr));
  EXPECT_EQ(missing.exitCode, 2) << missing.err;
  EXPECT_NE(missing.err.find("no signature found for " + world_->release("4.17.0").image.digest.str()),
            std::string::npos)
      << missing.err;
  args.push_back("--ignore-release-signature");
  auto ignored = runFerry(withFlags(args, *source_, nullptr));
  EXPECT_EQ(ignored.exitCode, 0) << ignored.err;
}


// A cincinnati-graph-data tarball (the shape api.openshift.com serves), written with ferry's own layer writer.
std::string graphDataTarball(const std::filesystem::path& directory) {
  LayerWriter writer(directory / "graph-data.tar.gz");
  writer.addFile("version", "1.1.0\n");
  writer.addFile("LICENSE", "Apache-2.0\n");
  writer.addDirectory("channels");
  writer.addFile("channels/stable-4.18.yaml", "name: stable-4.18\nversions:\n- 4.18.0\n- 4.18.1\n");
  writer.addDirectory("blocked-edges");
  writer.addFile("blocked-edges/4.18.1-ExampleRisk.yaml",
                 "to: 4.18.1\nfrom: 4\\.17\\..*\nurl: https://example.invalid/risk\nname: ExampleRisk\n"
                 "message: an example\nmatchingRules:\n- type: Always\n");
  writer.addDirectory("raw");
  writer.addFile("raw/metadata.json", "{}\n");
  return readFile(writer.finish().file);
}

// Serves the tarball at /graph-data.
class GraphDataServer {
 public:
  explicit GraphDataServer(std::string tarball)
      : tarball_(std::move(tarball)), server_([this](const HttpRequest& request) {
          if (request.path != "/graph-data") return HttpResponse{.status = 404, .headers = {}, .body = "no"};
          return HttpResponse{.status = 200, .headers = {{"Content-Type", "application/gzip"}}, .body = tarball_};
        }) {}
  std::string url() const { return server_.url() + "/graph-data"; }
  uint64_t requestCount() const { return server_.requestCount(); }

 private:
  std::string tarball_;
  HttpServer server_;
};

// The files of the graph-data layer of the linux/amd64 image of `reference`, read with skopeo (copied to an
// OCI layout) and tar: path → content.
std::map<std::string, std::string> graphLayerFiles(const TestRegistry& registry, const std::string& reference,
                                                   const std::filesystem::path& work, json* configOut = nullptr) {
  auto layout = work / "skopeo-graph";
  std::filesystem::remove_all(layout);
  std::vector<std::string> argv{"skopeo", "copy", "--override-arch", "amd64", "--override-os", "linux"};
  for (auto& flag : skopeoFlags(registry, "src-")) argv.push_back(flag);
  argv.push_back("docker://" + reference);
  argv.push_back("oci:" + layout.string() + ":graph");
  runChecked(argv);
  auto index = json::parse(readFile(layout / "index.json"));
  auto manifest = json::parse(readBlob(layout, Digest::parse(index["manifests"][0]["digest"].get<std::string>())));
  if (configOut) *configOut = json::parse(readBlob(layout, Digest::parse(manifest["config"]["digest"].get<std::string>())));
  auto layer = Digest::parse(manifest["layers"].back()["digest"].get<std::string>());
  auto blob = layout / "blobs" / "sha256" / std::string(layer.hex());
  std::map<std::string, std::string> files;
  std::istringstream names(runChecked({"tar", "-tzf", blob.string()}));
  std::string name;
  while (std::getline(names, name))
    if (!name.ends_with("/")) files[name] = runChecked({"tar", "-xzOf", blob.string(), name});
  return files;
}

TEST_F(ReleaseTest, GraphTrueBuildsTheGraphImageAndTheUpdateServiceInEveryWorkflow) {
  auto tarball = graphDataTarball(scratch_.path());
  // The base, pulled from the source registry like any image: amd64 and arm64, and an attestation.
  FixtureBuilder builder(scratch_.path() / "base-layout", 77);
  auto base = builder.indexWithAttestation("base");
  pushImage(*source_, scratch_.path() / "base-layout", base, "graph-base/ubi", "latest");
  auto baseFlag = source_->host() + "/graph-base/ubi:latest";
  UpdateGraphServer server(graph());
  auto config = writeConfig("isc.yaml", "    graph: true\n    channels:\n      - name: stable-4.18\n");

  // Mirror-to-mirror.
  std::string graphDigest;
  {
    GraphDataServer data(tarball);
    TestRegistry mirror;
    auto workspace = scratch_.path() / "ws";
    auto args = withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                           "--update-url", server.url(), "--graph-data-url", data.url(), "--graph-base-image",
                           baseFlag, dockerRoot(mirror)},
                          *source_, &mirror);
    auto result = runFerry(args);
    ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
    EXPECT_GE(data.requestCount(), 1u);
    auto image = mirror.host() + "/mirror/openshift/graph-image:latest";
    graphDigest = skopeoDigest(mirror, image);
    // An index of the base's two platform images (the attestation dropped), each with the graph data on top.
    auto index = json::parse(skopeoRaw(mirror, "mirror/openshift/graph-image", "latest"));
    ASSERT_EQ(index["manifests"].size(), 2u) << index.dump(2);
    json config;
    auto files = graphLayerFiles(mirror, image, scratch_.path(), &config);
    EXPECT_EQ(files["var/lib/cincinnati-graph-data/version"], "1.1.0\n");
    EXPECT_EQ(files["var/lib/cincinnati-graph-data/channels/stable-4.18.yaml"],
              "name: stable-4.18\nversions:\n- 4.18.0\n- 4.18.1\n");
    EXPECT_TRUE(files.count("var/lib/cincinnati-graph-data/blocked-edges/4.18.1-ExampleRisk.yaml"));
    EXPECT_TRUE(files.count("var/lib/cincinnati-graph-data/raw/metadata.json"));
    EXPECT_EQ(files.size(), 5u);
    EXPECT_EQ(config["config"]["Cmd"], json({"/bin/bash", "-c",
                                            "exec cp -rp /var/lib/cincinnati-graph-data/* /var/lib/cincinnati/graph-data"}));
    // The UpdateService names the releases and the graph image by digest; the mirror sets leave the graph image out.
    auto resources = workspace / "working-dir" / "cluster-resources";
    auto service = readFile(resources / "updateService.yaml");
    EXPECT_NE(service.find("kind: UpdateService\n"), std::string::npos) << service;
    EXPECT_NE(service.find("  releases: " + mirror.host() + "/mirror/openshift/release-images\n"), std::string::npos)
        << service;
    EXPECT_NE(service.find("  graphDataImage: " + mirror.host() + "/mirror/openshift/graph-image@" + graphDigest + "\n"),
              std::string::npos)
        << service;
    EXPECT_EQ(readFile(resources / "idms-oc-mirror.yaml").find("graph-image"), std::string::npos);
    expectMirrored(mirror, world_->release("4.18.1"));
    // The same graph data and base: the same image, nothing new to push.
    auto again = runFerry(args);
    ASSERT_EQ(again.exitCode, 0) << again.err;
    EXPECT_EQ(skopeoDigest(mirror, image), graphDigest);
  }

  // Mirror-to-disk carries the built image; disk-to-mirror pushes it with no graph-data server.
  auto archive = scratch_.path() / "archive";
  {
    GraphDataServer data(tarball);
    auto toDisk = runFerry(withFlags({"mirror", "-c", config.string(), "--update-url", server.url(),
                                      "--graph-data-url", data.url(), "--graph-base-image", baseFlag,
                                      "file://" + archive.string()},
                                     *source_, nullptr));
    ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;
  }
  TestRegistry mirror;
  auto workspace = scratch_.path() / "ws-d2m";
  auto fromDisk = runFerry(withFlags({"mirror", "--from", "file://" + archive.string(), "--workspace",
                                      "file://" + workspace.string(), dockerRoot(mirror)},
                                     mirror, &mirror));
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  EXPECT_EQ(skopeoDigest(mirror, mirror.host() + "/mirror/openshift/graph-image:latest"), graphDigest);
  auto service = readFile(workspace / "working-dir" / "cluster-resources" / "updateService.yaml");
  EXPECT_NE(service.find("  graphDataImage: " + mirror.host() + "/mirror/openshift/graph-image@" + graphDigest + "\n"),
            std::string::npos)
      << service;
}

TEST_F(ReleaseTest, GraphImageSignaturesPutTheVerifiedSignaturesIntoTheGraphData) {
  if (!toolAvailable("gpg") || !toolAvailable("gpgv")) GTEST_SKIP() << "gpg and gpgv are needed";
  GpgKey key("release@example.invalid");
  auto keyring = scratch_.path() / "release-key.asc";
  writeFileAtomically(keyring, key.armoredPublicKey());
  SignatureStore store;
  const auto& release = world_->release("4.18.1");
  auto signature = key.sign(release.image.digest.str(), "quay.io/openshift-release-dev/ocp-release:4.18.1-x86_64");
  store.put(release.image.digest.str(), 1, signature);
  FixtureBuilder builder(scratch_.path() / "base-layout", 79);
  auto base = builder.singleArchDocker("base");
  pushImage(*source_, scratch_.path() / "base-layout", base, "graph-base/docker", "latest");
  GraphDataServer data(graphDataTarball(scratch_.path()));
  UpdateGraphServer server(graph());
  TestRegistry mirror;
  auto config = writeConfig("isc.yaml", "    graph: true\n    channels:\n      - name: stable-4.18\n");
  auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace",
                                    "file://" + (scratch_.path() / "ws").string(), "--update-url", server.url(),
                                    "--release-signature-url", store.url(), "--release-signature-keyring",
                                    keyring.string(), "--graph-data-url", data.url(), "--graph-base-image",
                                    source_->host() + "/graph-base/docker:latest", "--graph-image-signatures",
                                    dockerRoot(mirror)},
                                   *source_, &mirror));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  // A single Docker image base stays a single Docker image, with the layer typed as Docker's.
  auto manifest = json::parse(skopeoRaw(mirror, "mirror/openshift/graph-image", "latest"));
  EXPECT_EQ(manifest["mediaType"], "application/vnd.docker.distribution.manifest.v2+json");
  EXPECT_EQ(manifest["layers"].back()["mediaType"], "application/vnd.docker.image.rootfs.diff.tar.gzip");
  auto files = graphLayerFiles(mirror, mirror.host() + "/mirror/openshift/graph-image:latest", scratch_.path());
  auto path = "var/lib/cincinnati-graph-data/signatures/sha256/" + std::string(release.image.digest.hex()) +
              "/signature-1";
  ASSERT_TRUE(files.count(path)) << result.err;
  EXPECT_EQ(files[path], signature);
  EXPECT_EQ(files.size(), 6u);
}

TEST_F(ReleaseTest, AGraphDataServerThatIsDownOrWrongFailsWithTheUrl) {
  FixtureBuilder builder(scratch_.path() / "base-layout", 78);
  auto base = builder.singleArchOci("base");
  pushImage(*source_, scratch_.path() / "base-layout", base, "graph-base/single", "latest");
  UpdateGraphServer server(graph());
  auto config = writeConfig("isc.yaml", "    graph: true\n    channels:\n      - name: stable-4.18\n");
  int port;
  {
    HttpServer gone([](const HttpRequest&) { return HttpResponse{}; });
    port = gone.port();
  }
  auto url = fmt::format("http://127.0.0.1:{}/graph-data", port);
  auto run = [&](const std::string& dataUrl) {
    return runFerry(withFlags({"mirror", "-c", config.string(), "--workspace",
                               "file://" + (scratch_.path() / "ws").string(), "--update-url", server.url(),
                               "--graph-data-url", dataUrl, "--graph-base-image",
                               source_->host() + "/graph-base/single:latest", "--retry-times", "1", "--retry-delay",
                               "10ms", "--dry-run", "docker://mirror.example:5000/ocp"},
                              *source_, nullptr));
  };
  auto down = run(url);
  EXPECT_EQ(down.exitCode, 2) << down.err;
  EXPECT_NE(down.err.find("graph: true: the graph-data image is not built: cannot download the graph data " + url),
            std::string::npos)
      << down.err;
  // The releases are mirrored all the same.
  EXPECT_NE(down.err.find("release 4.18.1-x86_64"), std::string::npos) << down.err;

  HttpServer html([](const HttpRequest&) {
    return HttpResponse{.status = 200, .headers = {}, .body = "<html>sign in</html>"};
  });
  auto wrong = run(html.url() + "/graph-data");
  EXPECT_EQ(wrong.exitCode, 2) << wrong.err;
  EXPECT_NE(wrong.err.find("the graph data " + html.url() + "/graph-data is not a gzip tarball"), std::string::npos)
      << wrong.err;
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

// Not run by default (it pushes ~2000 manifests): the planning figure of docs/benchmarks.md,
// "Releases". Run with --gtest_also_run_disabled_tests --gtest_filter='ReleaseBench.*'.
TEST(ReleaseBench, DISABLED_FourReleasesTimesFourArchitecturesOf190Components) {
  TemporaryDirectory work("ferry-release-bench");
  TestRegistry source;
  std::vector<std::string> versions{"4.18.0", "4.18.1", "4.18.2", "4.18.3"};
  auto started = std::chrono::steady_clock::now();
  ReleaseWorld world(source, work.path(),
                     {.versions = versions, .components = 190, .arches = {"amd64", "arm64", "ppc64le", "s390x"}});
  auto pushed = std::chrono::steady_clock::now();
  std::map<std::string, std::vector<std::string>> channels;
  for (const auto& version : versions) channels[version] = {"stable-4.18"};
  UpdateGraphServer server(world.graph(channels, {{"4.18.0", "4.18.1"}, {"4.18.1", "4.18.2"}, {"4.18.2", "4.18.3"}}));
  auto config = work.path() / "isc.yaml";
  writeFileAtomically(config, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                              "  platform:\n    architectures: [amd64, arm64, ppc64le, s390x]\n    channels:\n"
                              "      - name: stable-4.18\n        full: true\n");
  auto timed = [&](const std::string& name) {
    auto begin = std::chrono::steady_clock::now();
    auto result = runFerry({"mirror", "-c", config.string(), "--workspace", "file://" + (work.path() / name).string(),
                            "--update-url", server.url(), "--source-use-http", "--dry-run",
                            "docker://mirror.example:5000/ocp"});
    EXPECT_EQ(result.exitCode, 0) << result.err;
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  };
  // Planning alone, in this process: graph requests, resolution, payload reads, the plan.
  auto plan = [&](const std::string& name) {
    auto loaded = config::loadImageSetConfig(config);
    EndpointOptions endpointOptions;
    endpointOptions.source.plainHttp = true;
    Endpoints endpoints(endpointOptions);
    mirror::RegistryReader reader(endpoints);
    mirror::RunLog log;
    mirror::Workspace workspace{work.path() / name / "working-dir"};
    mirror::ReleaseOptions releases;
    releases.graphServer.urlOverride = server.url();
    auto begin = std::chrono::steady_clock::now();
    auto planned = mirror::planFromConfiguration({loaded, reader, workspace, log}, mirror::defaultCollectors(releases));
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    EXPECT_EQ(planned.plan.images.size(), 16u * 191u);
    EXPECT_TRUE(log.errors.empty()) << log.errors.front();
    return seconds;
  };
  auto planCold = plan("plan");
  auto planWarm = plan("plan");
  std::printf("release bench: planning 16 payloads x 190 components: cold %.2f s (payload layers read), warm %.2f s\n",
              planCold, planWarm);
  auto cold = timed("cold");  // payload layers read and extracted
  auto warm = timed("cold");  // release-manifests reused from the workspace
  auto entries = mirror::readMappingTxt(work.path() / "cold" / "working-dir" / "dry-run" / "mapping.txt");
  std::printf("release bench: set-up %.1f s; %zu plan entries (16 payloads); dry run cold %.2f s, warm %.2f s "
              "(both include the dry run's check that every image exists at the source)\n",
              std::chrono::duration<double>(pushed - started).count(), entries.size(), cold, warm);
  EXPECT_EQ(entries.size(), 16u * 191u);
}

}  // namespace
}  // namespace ferry::testing
