// `ferry mirror` with `platforms` (issue 14) against the real distribution 2.8:
// a four-platform operator world narrowed to two platforms. Images named by
// tag become filtered indexes; images named by digest need sparse indexes,
// which distribution 2.8 refuses (the refusal path and --platform-fallback=whole),
// and which a front server of the test's own accepts: it stores index
// manifests the registry refuses for missing children itself and forwards
// everything else, so the push order and the preserved digest show.
#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "ferry/base/files.h"
#include "ferry/mirror/mapping_file.h"
#include "integration/ferry_test_env.h"
#include "support/registry_push.h"
#include "support/http_client.h"
#include "support/http_server.h"
#include "support/mirror_scenario.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

const std::vector<Platform>& fourPlatforms() {
  static const std::vector<Platform> platforms{Platform::parse("linux/amd64"), Platform::parse("linux/arm64"),
                                               Platform::parse("linux/s390x"), Platform::parse("linux/ppc64le")};
  return platforms;
}

bool isIndexType(const std::string& mediaType) {
  return mediaType.find("image.index") != std::string::npos || mediaType.find("manifest.list") != std::string::npos;
}

// Before a plain registry: manifest PUTs of indexes the registry refuses are
// kept here (as a registry with sparse-index support would keep them), and
// manifest GETs and HEADs of them answered from here; everything else is forwarded.
class SparseFront {
 public:
  struct Push {
    std::string repository;
    std::string reference;
    std::string digest;
    bool keptHere = false;
  };

  explicit SparseFront(const TestRegistry& registry)
      : registry_(registry), front_([this](const HttpRequest& request) { return serve(request); }) {}

  std::string host() const { return front_.host(); }
  std::vector<Push> pushes() const {
    std::lock_guard lock(mutex_);
    return pushes_;
  }

 private:
  struct Stored {
    std::string bytes;
    std::string mediaType;
  };

  HttpResponse forward(const HttpRequest& request) { return forwardToRegistry(registry_, front_.host(), request); }

  HttpResponse serve(const HttpRequest& request) {
    auto at = request.path.find("/manifests/");
    if (!request.path.starts_with("/v2/") || at == std::string::npos) return forward(request);
    std::string repository = request.path.substr(4, at - 4);
    std::string reference = request.path.substr(at + 11);
    if (request.method == "PUT") {
      std::string digest = Digest::sha256Of(request.body).str();
      auto response = forward(request);
      bool keep = response.status == 400 && isIndexType(request.header("content-type"));
      {
        std::lock_guard lock(mutex_);
        pushes_.push_back({repository, reference, digest, keep});
        if (!keep) return response;
        stored_[repository + "@" + digest] = {request.body, request.header("content-type")};
        if (!reference.starts_with("sha256:")) stored_[repository + ":" + reference] = stored_[repository + "@" + digest];
      }
      return HttpResponse{.status = 201}
          .with("Docker-Content-Digest", digest)
          .with("Location", "/v2/" + repository + "/manifests/" + digest);
    }
    if (request.method == "GET" || request.method == "HEAD") {
      std::optional<Stored> stored;
      {
        std::lock_guard lock(mutex_);
        auto key = repository + (reference.starts_with("sha256:") ? "@" : ":") + reference;
        if (auto it = stored_.find(key); it != stored_.end()) stored = it->second;
      }
      if (stored) {
        HttpResponse response{.status = 200, .headers = {}, .body = request.method == "GET" ? stored->bytes : ""};
        response.with("Content-Type", stored->mediaType).with("Docker-Content-Digest", Digest::sha256Of(stored->bytes).str());
        if (request.method == "HEAD") response.with("content-length", std::to_string(stored->bytes.size()));
        return response;
      }
    }
    return forward(request);
  }

  const TestRegistry& registry_;
  mutable std::mutex mutex_;
  std::map<std::string, Stored> stored_;  // "repo@digest" and "repo:tag"
  std::vector<Push> pushes_;
  HttpServer front_;
};

class MirrorPlatformsTest : public ::testing::Test {
 protected:
  TemporaryDirectory work_{"ferry-mirror-platforms"};
  TestRegistry source_;
  TestRegistry mirror_;
  // Each catalog platform lists other packages, so each platform's /configs can be told apart.
  MirrorScenario scenario_{source_,           work_.path(), {{"foo", {"1.0.0"}}, {"bar", {"2.0.0"}}},
                           {{"foo", "bar"}, {"foo"}, {"bar"}, {"foo", "bar"}}, 64 << 10, fourPlatforms()};

  std::filesystem::path config() {
    return scenario_.writeConfig("isc.yaml",
                                 "      platforms:\n        - linux/amd64\n        - os: linux\n"
                                 "          architecture: arm64\n"
                                 "      packages:\n        - name: foo\n        - name: bar\n"
                                 "  additionalImages:\n    - name: " +
                                     scenario_.additional() + "\n      platforms: [linux/amd64, linux/arm64]\n",
                                 /*withAdditional=*/false);
  }

  std::vector<std::string> m2m(const std::string& destinationHost, const std::filesystem::path& workspace,
                               std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"mirror", "-c", config().string(), "--workspace", "file://" + workspace.string(),
                                  "docker://" + destinationHost + "/mirror", "--source-use-http", "--dest-use-http",
                                  "-o", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // skopeo inspect of one platform of an image at a plain registry (or front): its exit code.
  static int inspectPlatform(const std::string& reference, const std::string& architecture) {
    return runCommand({"skopeo", "--override-os", "linux", "--override-arch", architecture, "inspect", "--no-tags",
                       "--tls-verify=false", reference})
        .exitCode;
  }
  static std::string raw(const std::string& reference) {
    return runChecked({"skopeo", "inspect", "--raw", "--tls-verify=false", reference});
  }
  static std::set<std::string> platformsOf(const std::string& indexBytes) {
    std::set<std::string> platforms;
    auto index = json::parse(indexBytes);
    for (const auto& child : index["manifests"])
      platforms.insert(child["platform"]["os"].get<std::string>() + "/" +
                       child["platform"]["architecture"].get<std::string>());
    return platforms;
  }
  // The mapping of a run: source text → destination.
  static std::map<std::string, ImageReference> mappingOf(const std::filesystem::path& workspace) {
    std::map<std::string, ImageReference> out;
    for (const auto& entry : mirror::readMappingTxt(workspace / "working-dir" / "mapping.txt"))
      out[entry.source.str()] = entry.destination;
    return out;
  }

  // The tag-referenced additional image: a filtered index with the two platforms, skopeo pulls those only.
  void expectFilteredAdditional(const std::string& host, const std::filesystem::path& workspace) {
    auto mapping = mappingOf(workspace);
    auto destination = mapping.at("docker://" + scenario_.additional());
    ASSERT_TRUE(destination.digest) << "the new digest is in the mapping: " << destination.str();
    auto at = "docker://" + host + "/mirror/ferry-test/extra:stable";
    auto bytes = raw(at);
    EXPECT_EQ(Digest::sha256Of(bytes), *destination.digest);
    EXPECT_NE(Digest::sha256Of(bytes).str(), Digest::sha256Of(raw("docker://" + scenario_.additional())).str());
    EXPECT_EQ(platformsOf(bytes), (std::set<std::string>{"linux/amd64", "linux/arm64"}));
    EXPECT_EQ(inspectPlatform(at, "amd64"), 0);
    EXPECT_EQ(inspectPlatform(at, "arm64"), 0);
    EXPECT_NE(inspectPlatform(at, "s390x"), 0) << "a dropped platform can be pulled";
  }

  // The rebuilt catalog lists exactly amd64 and arm64, each with its own packages.
  void expectNarrowedCatalog(const std::string& host) {
    auto reference = "docker://" + host + "/mirror/ferry-test/catalog:v1";
    EXPECT_EQ(platformsOf(raw(reference)), (std::set<std::string>{"linux/amd64", "linux/arm64"}));
    auto listed = runFerry({"list", "operators", "--catalog", reference, "--use-http", "-o", "json"});
    ASSERT_EQ(listed.exitCode, 0) << listed.err;
    auto catalog = json::parse(listed.out);
    ASSERT_EQ(catalog["platforms"].size(), 2u) << listed.out;
    std::map<std::string, std::set<std::string>> packages;  // platform → packages
    for (const auto& variant : catalog["variants"])
      for (const auto& platform : variant["platforms"])
        for (const auto& package : variant["packages"])
          packages[platform.get<std::string>()].insert(package["name"].get<std::string>());
    EXPECT_EQ(packages["linux/amd64"], (std::set<std::string>{"bar", "foo"})) << listed.out;
    EXPECT_EQ(packages["linux/arm64"], (std::set<std::string>{"foo"})) << listed.out;
  }
};

TEST_F(MirrorPlatformsTest, DistributionRefusesSparseIndexesWithOneMessage) {
  auto workspace = work_.path() / "ws";
  // The dry run's plan shows what each image will carry, and how.
  auto dry = m2m(mirror_.host(), workspace, {"--dry-run"});
  auto planned = runFerry(dry);
  ASSERT_EQ(planned.exitCode, 0) << planned.err;
  auto plan = json::parse(planned.out);
  for (const auto& image : plan["images"]) {
    if (image["kind"] == "catalog") continue;
    EXPECT_EQ(image["platforms"], json::array({"linux/amd64", "linux/arm64"})) << image.dump();
    EXPECT_EQ(image["platformMode"], image["kind"] == "additional-image" ? "filtered" : "sparse") << image.dump();
  }

  auto result = runFerry(m2m(mirror_.host(), workspace));
  EXPECT_EQ(result.exitCode, 4) << result.out << result.err;
  auto report = json::parse(result.out);
  // One message names the registry settings and the fallback, and lists the images.
  size_t messages = 0;
  for (const auto& error : report["errors"]) {
    auto text = error.get<std::string>();
    if (text.find("does not take sparse indexes") == std::string::npos) continue;
    ++messages;
    EXPECT_NE(text.find("validation.manifests.indexes.platforms"), std::string::npos) << text;
    EXPECT_NE(text.find("--platform-fallback=whole"), std::string::npos) << text;
    for (const auto& bundle : scenario_.bundles()) EXPECT_NE(text.find(bundle.operatorImage), std::string::npos) << text;
  }
  EXPECT_EQ(messages, 1u) << result.out;
  // Nothing of the refused indexes was pushed; their operators are left out; the tagged image is filtered.
  for (const auto& bundle : scenario_.bundles()) {
    auto digest = ImageReference::parse(bundle.operatorImage).digest->str();
    for (const auto& entry : mirror_.accessLog())
      EXPECT_FALSE(entry.method == "PUT" && entry.status == 201 && entry.target.find(digest) != std::string::npos &&
                   entry.target.find("/manifests/") != std::string::npos)
          << entry.target;
  }
  expectFilteredAdditional(mirror_.host(), workspace);
}

TEST_F(MirrorPlatformsTest, WithFallbackWholeTheRefusedImagesArriveWhole) {
  auto workspace = work_.path() / "ws";
  auto result = runFerry(m2m(mirror_.host(), workspace, {"--platform-fallback=whole"}));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  auto mapping = mappingOf(workspace);
  for (const auto& bundle : scenario_.bundles()) {
    auto destination = mapping.at("docker://" + bundle.operatorImage);
    auto at = "docker://" + destination.registry + "/" + destination.repository + ":" + destination.tag.value_or("");
    EXPECT_EQ(Digest::sha256Of(raw(at)).str(), ImageReference::parse(bundle.operatorImage).digest->str());
    for (const char* arch : {"amd64", "arm64", "s390x", "ppc64le"}) EXPECT_EQ(inspectPlatform(at, arch), 0) << arch;
  }
  bool whole = false;
  auto report = json::parse(result.out);
  for (const auto& image : report["images"]) whole = whole || image.value("platformMode", "") == "whole";
  EXPECT_TRUE(whole) << result.out;
  expectFilteredAdditional(mirror_.host(), workspace);
  expectNarrowedCatalog(mirror_.host());
}

// Children and their blobs first, the index last; the digest is the source's; pulls of kept platforms work.
void expectSparseAtFront(const SparseFront& front, const MirrorScenario& scenario,
                         const std::map<std::string, ImageReference>& mapping) {
  auto pushes = front.pushes();
  for (const auto& bundle : scenario.bundles()) {
    auto source = ImageReference::parse(bundle.operatorImage);
    auto sourceIndex = runChecked({"skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + bundle.operatorImage});
    auto destination = mapping.at("docker://" + bundle.operatorImage);
    auto at = "docker://" + front.host() + "/" + destination.repository + ":" + destination.tag.value_or("");
    auto stored = runChecked({"skopeo", "inspect", "--raw", "--tls-verify=false", at});
    EXPECT_EQ(stored, sourceIndex) << "the sparse index is the original bytes";
    size_t indexAt = pushes.size();
    std::map<std::string, size_t> childAt;
    for (size_t i = 0; i < pushes.size(); ++i) {
      if (pushes[i].digest == source.digest->str() && pushes[i].keptHere) indexAt = std::min(indexAt, i);
      childAt.emplace(pushes[i].digest, i);
    }
    ASSERT_LT(indexAt, pushes.size()) << bundle.operatorImage << " was not pushed as a sparse index";
    auto index = json::parse(sourceIndex);
    for (const auto& child : index["manifests"]) {
      auto arch = child["platform"]["architecture"].get<std::string>();
      auto pushed = childAt.find(child["digest"].get<std::string>());
      if (arch == "amd64" || arch == "arm64") {
        ASSERT_NE(pushed, childAt.end()) << arch << " child not pushed";
        EXPECT_LT(pushed->second, indexAt) << arch << " child pushed after its index";
        auto pulled = runCommand({"skopeo", "--override-os", "linux", "--override-arch", arch, "inspect",
                                  "--no-tags", "--tls-verify=false", at});
        EXPECT_EQ(pulled.exitCode, 0) << arch << ": " << pulled.err;
      } else {
        EXPECT_EQ(pushed, childAt.end()) << arch << " child pushed although not chosen";
      }
    }
  }
}

TEST_F(MirrorPlatformsTest, SparseIndexesIntoARegistryThatAcceptsThem) {
  SparseFront front(mirror_);
  auto workspace = work_.path() / "ws";
  auto result = runFerry(m2m(front.host(), workspace));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  auto report = json::parse(result.out);
  for (const auto& image : report["images"]) {
    if (image["kind"] != "related-image") continue;
    EXPECT_EQ(image["platformMode"], "sparse") << image.dump();
    EXPECT_EQ(image["platforms"], json::array({"linux/amd64", "linux/arm64"})) << image.dump();
  }
  expectSparseAtFront(front, scenario_, mappingOf(workspace));
  expectFilteredAdditional(front.host(), workspace);
  expectNarrowedCatalog(front.host());

  // IDMS maps the source repositories: the digests pulled through it are the source's.
  auto idms = readFile(workspace / "working-dir" / "cluster-resources" / "idms-oc-mirror.yaml");
  EXPECT_NE(idms.find("source: \"" + source_.host() + "/ferry-test\""), std::string::npos) << idms;
  EXPECT_NE(idms.find(front.host() + "/mirror/ferry-test"), std::string::npos) << idms;
}

TEST_F(MirrorPlatformsTest, SparseIndexesNoIsTakenAtItsWordAndYesSkipsTheProbe) {
  // The front would take them, but --sparse-indexes=no says not to try: no index PUT is refused or kept, and
  // with --platform-fallback=whole the images arrive whole.
  SparseFront front(mirror_);
  auto result = runFerry(m2m(front.host(), work_.path() / "ws-no", {"--sparse-indexes=no", "--platform-fallback=whole"}));
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  for (const auto& push : front.pushes()) EXPECT_FALSE(push.keptHere) << push.repository << " " << push.reference;
  for (const auto& bundle : scenario_.bundles()) {
    auto reference = ImageReference::parse(bundle.operatorImage);
    auto at = "docker://" + front.host() + "/mirror/" + reference.repository + ":sha256-" + std::string(reference.digest->hex());
    EXPECT_EQ(inspectPlatform(at, "s390x"), 0) << "copied whole: " << at;
  }

  // --sparse-indexes=yes into a second front: every sparse image is pushed sparse.
  TestRegistry other;
  SparseFront yes(other);
  auto sparse = runFerry(m2m(yes.host(), work_.path() / "ws-yes", {"--sparse-indexes=yes"}));
  ASSERT_EQ(sparse.exitCode, 0) << sparse.out << sparse.err;
  expectSparseAtFront(yes, scenario_, mappingOf(work_.path() / "ws-yes"));

  auto bad = runFerry(m2m(yes.host(), work_.path() / "ws-bad", {"--sparse-indexes=maybe"}));
  EXPECT_NE(bad.exitCode, 0);
  EXPECT_NE(bad.err.find("--sparse-indexes must be yes, no or learn"), std::string::npos) << bad.err;
}

TEST_F(MirrorPlatformsTest, DiskRoundTripKeepsDigestsAndCarriesOnlyTheChosenPlatforms) {
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry({"mirror", "-c", config().string(), "file://" + archive.string(), "--source-use-http"});
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.out << toDisk.err;

  // describe shows what each image carries.
  auto described = runFerry({"describe", archive.string(), "-o", "json"});
  ASSERT_EQ(described.exitCode, 0) << described.err;
  auto describedJson = json::parse(described.out);
  for (const auto& image : describedJson["images"]) {
    if (image["kind"] != "related-image") continue;
    EXPECT_EQ(image["platforms"], json::array({"linux/amd64", "linux/arm64"})) << image.dump();
    EXPECT_EQ(image["absentPlatforms"], json::array({"linux/s390x", "linux/ppc64le"})) << image.dump();
  }

  // The part is an OCI layout that skopeo reads per kept platform.
  auto layout = work_.path() / "part1";
  std::filesystem::create_directories(layout);
  runChecked({"tar", "-xf", (archive / "mirror_000001.tar").string(), "-C", layout.string()});
  auto extra = "oci:" + layout.string() + ":" + scenario_.additional();
  for (const char* arch : {"amd64", "arm64"})
    EXPECT_EQ(runCommand({"skopeo", "--override-os", "linux", "--override-arch", arch, "copy", extra,
                          "dir:" + (work_.path() / (std::string("out-") + arch)).string()})
                  .exitCode,
              0)
        << arch;
  EXPECT_NE(runCommand({"skopeo", "--override-os", "linux", "--override-arch", "s390x", "copy", extra,
                        "dir:" + (work_.path() / "out-s390x").string()})
                .exitCode,
            0);

  // The sparse operator images too (listed by digest): kept platforms copy, dropped ones do not; umoci
  // unpacks a kept platform's image.
  for (const auto& bundle : scenario_.bundles()) {
    auto sparse = "oci:" + layout.string() + ":" + bundle.operatorImage;
    for (const char* arch : {"amd64", "arm64"}) {
      auto copied = runCommand({"skopeo", "--override-os", "linux", "--override-arch", arch, "copy", sparse,
                                "dir:" + (work_.path() / (bundle.package + "-" + arch)).string()});
      EXPECT_EQ(copied.exitCode, 0) << arch << ": " << copied.err;
    }
    EXPECT_NE(runCommand({"skopeo", "--override-os", "linux", "--override-arch", "ppc64le", "copy", sparse,
                          "dir:" + (work_.path() / (bundle.package + "-ppc64le")).string()})
                  .exitCode,
              0);
  }
  auto single = work_.path() / "single";
  auto arm64Image = "oci:" + single.string() + ":arm64";
  ASSERT_EQ(runCommand({"skopeo", "--override-os", "linux", "--override-arch", "arm64", "copy",
                        "oci:" + layout.string() + ":" + scenario_.bundles().front().operatorImage, arm64Image})
                .exitCode,
            0);
  auto unpacked = runCommand({"umoci", "raw", "unpack", "--rootless", "--image", single.string() + ":arm64",
                              (work_.path() / "rootfs").string()});
  EXPECT_EQ(unpacked.exitCode, 0) << unpacked.err;

  // disk-to-mirror into distribution 2.8 itself: refused with the one message, and the fix for an archive.
  auto refusedWorkspace = work_.path() / "ws-refused";
  auto refused = runFerry({"mirror", "--from", "file://" + archive.string(), "--workspace",
                           "file://" + refusedWorkspace.string(), "docker://" + mirror_.host() + "/refused",
                           "--dest-use-http", "--platform-fallback=whole"});
  EXPECT_EQ(refused.exitCode, 4) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("remove their platforms and run mirror-to-disk again"), std::string::npos) << refused.err;

  // disk-to-mirror into the accepting front.
  SparseFront front(mirror_);
  auto workspace = work_.path() / "ws";
  auto fromDisk = runFerry({"mirror", "--from", "file://" + archive.string(), "--workspace",
                            "file://" + workspace.string(), "docker://" + front.host() + "/mirror", "--dest-use-http"});
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.out << fromDisk.err;
  expectSparseAtFront(front, scenario_, mappingOf(workspace));
  expectNarrowedCatalog(front.host());
  auto at = "docker://" + front.host() + "/mirror/ferry-test/extra:stable";
  EXPECT_EQ(platformsOf(raw(at)), (std::set<std::string>{"linux/amd64", "linux/arm64"}));
}

}  // namespace
}  // namespace ferry::testing
