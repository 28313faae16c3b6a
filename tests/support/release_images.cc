#include "support/release_images.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "support/catalog_images.h"
#include "support/registry_push.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kCreated = "2026-01-01T00:00:00Z";

std::string archTag(const std::string& arch) {
  if (arch == "amd64") return "x86_64";
  if (arch == "arm64") return "aarch64";
  return arch;
}

void addDistinct(std::vector<Digest>& list, const Digest& digest) {
  if (std::find(list.begin(), list.end(), digest) == list.end()) list.push_back(digest);
}

// One payload image of `platform`: a base layer and the release-manifests layer.
Json payloadImage(FixtureBuilder& builder, const Platform& platform, const TarLayer& manifests,
                  const std::string& version, FixtureImage& image) {
  auto base = buildTarLayer({TarEntry::directory("usr/"), TarEntry::directory("usr/bin/"),
                             TarEntry::file("usr/bin/cluster-version-operator", "cvo for " + platform.str() + "\n", 0755)});
  Json layers = Json::array();
  Json diffIds = Json::array();
  for (const TarLayer* layer : std::vector<const TarLayer*>{&base, &manifests}) {
    auto descriptor = builder.writeBlob(layer->blob, layer->mediaType);
    layers.push_back(descriptor);
    diffIds.push_back(layer->diffId.str());
    addDistinct(image.blobs, layer->digest);
  }
  Json config = {{"architecture", platform.architecture},
                 {"os", platform.os},
                 {"created", kCreated},
                 {"config", {{"Labels", {{"io.openshift.release", version},
                                         {"io.openshift.release.base-image-digest", base.digest.str()}}}}},
                 {"rootfs", {{"type", "layers"}, {"diff_ids", diffIds}}},
                 {"history", {{{"created", kCreated}, {"created_by", "Release image for OpenShift"}}}}};
  auto configDescriptor = builder.writeBlob(config.dump(), media::kOciConfig);
  addDistinct(image.blobs, Digest::parse(configDescriptor["digest"].get<std::string>()));
  Json manifest = {{"schemaVersion", 2},
                   {"mediaType", media::kOciManifest},
                   {"config", configDescriptor},
                   {"layers", layers}};
  auto descriptor = builder.writeBlob(manifest.dump(), media::kOciManifest);
  addDistinct(image.manifests, Digest::parse(descriptor["digest"].get<std::string>()));
  return descriptor;
}

}  // namespace

ReleaseLayout buildReleaseLayout(const std::filesystem::path& layoutDir, const std::string& registryName,
                                 const ReleaseWorldSpec& spec) {
  ReleaseLayout out;
  FixtureBuilder builder(layoutDir, 1313);
  const std::string componentRepo = "openshift-release-dev/ocp-v4.0-art-dev";
  const std::string payloadRepo = "openshift-release-dev/ocp-release";
  std::map<std::string, FixtureImage> components;  // layout tag → image, built once
  auto component = [&](int index, size_t version, bool multi, const std::string& arch = "amd64") -> const FixtureImage& {
    size_t generation = index % 3 == 0 ? version : 0;
    bool ownArch = spec.perArchComponents && !multi;
    auto tag = fmt::format("component-{}-g{}{}", index, generation, multi ? "-multi" : ownArch ? "-" + arch : "");
    if (auto it = components.find(tag); it != components.end()) return it->second;
    ImageSpec image;
    if (multi) image.platforms = {Platform{"linux", "amd64", ""}, Platform{"linux", "arm64", "v8"}};
    if (ownArch) {
      image.platforms = {Platform{"linux", arch, arch == "arm64" ? "v8" : ""}};
      image.sharedLayers = {SharedLayer{.seed = 4242, .size = 64 << 10, .perPlatform = true}};
      image.single = true;
    }
    image.ownLayers = 1;
    image.ownLayerMinSize = 2048;
    image.ownLayerMaxSize = 8192;
    auto built = builder.image(tag, image);
    out.images.push_back({built, componentRepo, ""});
    return components.emplace(tag, built).first->second;
  };
  std::vector<ReleaseLayout::Image> payloadImages;
  std::vector<BuiltRelease> builtReleases;
  for (const auto& arch : spec.arches) {
    bool multi = arch == "multi";
    for (size_t v = 0; v < spec.versions.size(); ++v) {
      const auto& version = spec.versions[v];
      BuiltRelease release{.version = version, .arch = arch, .tag = version + "-" + archTag(arch), .payload = "",
                           .image = FixtureImage{"", "", Digest::sha256Of(""), 0, {}, {}}, .components = {}};
      Json tags = Json::array();
      for (int c = 0; c < spec.components; ++c) {
        const auto& image = component(c, v, multi, arch);
        auto name = fmt::format("component-{:02}", c);
        auto pull = fmt::format("{}/{}@{}", registryName, componentRepo, image.digest.str());
        release.components.emplace_back(name, pull);
        tags.push_back({{"name", name},
                        {"annotations", {{"io.openshift.build.commit.id", "0123abcd"}}},
                        {"from", {{"kind", "DockerImage"}, {"name", pull}}},
                        {"generation", 1},
                        {"importPolicy", Json::object()},
                        {"referencePolicy", {{"type", "Source"}}}});
      }
      Json stream = {{"kind", "ImageStream"},
                     {"apiVersion", "image.openshift.io/v1"},
                     {"metadata", {{"name", version},
                                   {"creationTimestamp", nullptr},
                                   {"annotations", {{"release.openshift.io/from-image-stream", "ocp/4-dev-preview"}}}}},
                     {"spec", {{"lookupPolicy", {{"local", false}}}, {"tags", tags}}},
                     {"status", {{"dockerImageRepository", ""}}}};
      Json metadata = {{"kind", "cincinnati-metadata-v0"}, {"version", version}, {"previous", Json::array()}};
      for (size_t p = 0; p < v; ++p) metadata["previous"].push_back(spec.versions[p]);
      std::vector<TarEntry> entries{TarEntry::directory("release-manifests/", 0777),
                                    TarEntry::file("release-manifests/image-references", stream.dump(2), 0444),
                                    TarEntry::file("release-manifests/release-metadata", metadata.dump(2), 0444),
                                    TarEntry::file("release-manifests/0000_50_test_operator.yaml",
                                                   "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: test\n")};
      if (spec.kubeVirt) {
        Json architectures = Json::object();
        for (const auto* arch : {"x86_64", "s390x", "aarch64"}) {
          Json images = {{"qemu", {{"release", "418.94"}}}};
          if (std::string(arch) != "aarch64") {
            const auto& disk = component(1000 + (arch[0] == 'x' ? 0 : 1), 0, false);
            auto pull = fmt::format("{}/{}@{}", registryName, componentRepo, disk.digest.str());
            images["kubevirt"] = {{"release", "418.94"}, {"image", "quay.io/x/rhcos"}, {"digest-ref", pull}};
            release.kubeVirt[arch] = pull;
          }
          architectures[arch] = {{"artifacts", Json::object()}, {"images", images}};
        }
        Json streamJson = {{"stream", "rhcos-4.18"}, {"architectures", architectures}};
        Json quoted = streamJson.dump();  // a JSON string is a valid YAML double-quoted scalar
        entries.push_back(TarEntry::file(
            "release-manifests/0000_50_installer_coreos-bootimages.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: coreos-bootimages\n  namespace: openshift-machine-config-operator\n"
            "data:\n  releaseVersion: " + version + "\n  stream: " + Json(quoted.get<std::string>()).dump() + "\n"));
      }
      auto manifests = buildTarLayer(entries);
      FixtureImage image{release.tag, "", Digest::sha256Of(""), 0, {}, {}};
      Json top;
      if (!multi) {
        top = payloadImage(builder, Platform{"linux", arch, arch == "arm64" ? "v8" : ""}, manifests, version, image);
      } else {
        Json children = Json::array();
        for (const auto& platform : {Platform{"linux", "amd64", ""}, Platform{"linux", "arm64", "v8"}}) {
          auto child = payloadImage(builder, platform, manifests, version, image);
          child["platform"] = platform.toJson();
          children.push_back(child);
        }
        Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", children}};
        top = builder.writeBlob(index.dump(), media::kOciIndex);
        image.manifests.insert(image.manifests.begin(), Digest::parse(top["digest"].get<std::string>()));
      }
      builder.setTag(release.tag, top);
      image.mediaType = top["mediaType"].get<std::string>();
      image.digest = Digest::parse(top["digest"].get<std::string>());
      image.size = top["size"].get<int64_t>();
      if (!multi) {  // the manifest itself first
        std::erase(image.manifests, image.digest);
        image.manifests.insert(image.manifests.begin(), image.digest);
      }
      release.image = image;
      release.payload = fmt::format("{}/{}@{}", registryName, payloadRepo, image.digest.str());
      payloadImages.push_back({image, payloadRepo, release.tag});
      if (std::find(spec.cosignSigned.begin(), spec.cosignSigned.end(), version) != spec.cosignSigned.end()) {
        // What cosign attaches: an OCI manifest with one simplesigning layer naming the payload.
        Json payload = {{"critical", {{"identity", {{"docker-reference", release.payload}}},
                                      {"image", {{"docker-manifest-digest", image.digest.str()}}},
                                      {"type", "cosign container image signature"}}},
                        {"optional", nullptr}};
        auto layer = builder.writeBlob(payload.dump(), "application/vnd.dev.cosign.simplesigning.v1+json");
        layer["annotations"] = {{"dev.cosignproject.cosign/signature", "MEUCIQDtest"}};
        auto config = builder.writeBlob(R"({"architecture":"","os":"","config":{},"rootfs":{"type":"layers","diff_ids":[]}})",
                                        media::kOciConfig);
        Json manifest = {{"schemaVersion", 2}, {"mediaType", media::kOciManifest}, {"config", config},
                         {"layers", Json::array({layer})}};
        auto top = builder.writeBlob(manifest.dump(), media::kOciManifest);
        auto tag = fmt::format("sha256-{}.sig", image.digest.hex());
        builder.setTag(tag, top);
        FixtureImage cosign{tag, std::string(media::kOciManifest), Digest::parse(top["digest"].get<std::string>()),
                            top["size"].get<int64_t>(), {Digest::parse(config["digest"].get<std::string>()),
                                                         Digest::parse(layer["digest"].get<std::string>())},
                            {Digest::parse(top["digest"].get<std::string>())}};
        release.cosign = cosign;
        payloadImages.push_back({cosign, payloadRepo, tag});
      }
      builtReleases.push_back(release);
    }
  }
  for (auto& image : payloadImages) out.images.push_back(image);
  out.releases = std::move(builtReleases);
  return out;
}

ReleaseWorld::ReleaseWorld(const TestRegistry& source, const std::filesystem::path& work, ReleaseWorldSpec spec) {
  auto layout = work / "release-layout";
  layout_ = buildReleaseLayout(layout, source.host(), spec);
  for (const auto& image : layout_.images) pushImage(source, layout, image.image, image.repository, image.tag);
}

const BuiltRelease& ReleaseWorld::release(const std::string& version, const std::string& arch) const {
  for (const auto& release : layout_.releases)
    if (release.version == version && release.arch == arch) return release;
  fail("the test release world has no release {} for {}", version, arch);
}

std::vector<std::string> ReleaseWorld::componentImages(const std::vector<const BuiltRelease*>& releases) const {
  std::vector<std::string> images;
  for (const auto* release : releases)
    for (const auto& [name, image] : release->components)
      if (std::find(images.begin(), images.end(), image) == images.end()) images.push_back(image);
  return images;
}

FakeGraph ReleaseWorld::graph(const std::map<std::string, std::vector<std::string>>& channels,
                              const std::vector<std::pair<std::string, std::string>>& edges,
                              const std::vector<std::pair<std::string, std::string>>& conditionalEdges) const {
  FakeGraph graph{.releases = {}, .edges = edges, .conditionalEdges = conditionalEdges};
  for (const auto& release : layout_.releases) {
    auto it = channels.find(release.version);
    if (it == channels.end()) continue;
    graph.releases.push_back(
        {.version = release.version, .payload = release.payload, .channels = it->second, .arch = release.arch});
  }
  return graph;
}

}  // namespace ferry::testing
