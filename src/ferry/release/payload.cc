#include "ferry/release/payload.h"

#include <system_error>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/imagefs/blob_stream.h"
#include "ferry/imagefs/layer_extract.h"
#include "ferry/transport/image_graph.h"

namespace ferry::release {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string readBounded(const fs::path& file, const std::string& where) {
  std::error_code error;
  auto size = fs::file_size(file, error);
  if (error) fail(ErrorKind::NotFound, "{}: cannot read {}: {}", where, file.filename().string(), error.message());
  if (size > kMaxImageReferencesBytes)
    fail(ErrorKind::Limit, "{}: {} is larger than {} MiB, ferry's limit for it (see docs/limits.md)", where,
         file.filename().string(), kMaxImageReferencesBytes >> 20);
  return readFile(file);
}

// The first image manifest under `graph`, depth first (oc-mirror's choice), at most 5 indexes deep.
const ImageGraph* firstImage(const ImageGraph& graph, int depth) {
  if (!graph.manifest.isIndex) return &graph;
  if (depth >= 5) return nullptr;
  for (size_t i = 0; i < graph.children.size(); ++i) {
    const auto& descriptor = graph.manifest.manifests[i];
    if (descriptor.platform && descriptor.platform->os == "unknown") continue;  // attestations
    if (auto found = firstImage(graph.children[i], depth + 1)) return found;
  }
  return nullptr;
}

}  // namespace

ReleasePayload parseReleaseManifests(const fs::path& directory, const std::string& where) {
  ReleasePayload payload;
  payload.manifestsDirectory = directory;
  auto referencesFile = directory / "image-references";
  if (!fs::is_regular_file(referencesFile))
    fail(ErrorKind::InvalidInput, "{} is not a release payload: it has no release-manifests/image-references", where);
  json references;
  try {
    references = json::parse(readBounded(referencesFile, where));
  } catch (const json::exception& e) {
    fail(ErrorKind::InvalidInput, "{}: release-manifests/image-references is not JSON ({})", where, e.what());
  }
  if (!references.is_object() || references.value("kind", "") != "ImageStream")
    fail(ErrorKind::InvalidInput, "{}: release-manifests/image-references is not an ImageStream", where);
  if (references.contains("metadata") && references["metadata"].is_object())
    payload.name = references["metadata"].value("name", "");
  const auto* tags = references.contains("spec") && references["spec"].is_object() && references["spec"].contains("tags")
                         ? &references["spec"]["tags"]
                         : nullptr;
  if (tags && !tags->is_array())
    fail(ErrorKind::InvalidInput, "{}: image-references spec.tags is not a list", where);
  if (tags && tags->size() > kMaxReleaseComponents)
    fail(ErrorKind::Limit, "{}: image-references lists {} images, more than {}, ferry's limit (see docs/limits.md)",
         where, tags->size(), kMaxReleaseComponents);
  for (size_t i = 0; tags && i < tags->size(); ++i) {
    const auto& tag = (*tags)[i];
    auto at = fmt::format("{}: image-references spec.tags[{}]", where, i);
    if (!tag.is_object() || !tag.contains("name") || !tag["name"].is_string())
      fail(ErrorKind::InvalidInput, "{} has no name", at);
    if (!tag.contains("from") || !tag["from"].is_object() || !tag["from"].contains("name") ||
        !tag["from"]["name"].is_string())
      fail(ErrorKind::InvalidInput, "{} ({}) has no from.name", at, tag["name"].get<std::string>());
    payload.components.push_back({.name = tag["name"].get<std::string>(), .image = tag["from"]["name"].get<std::string>()});
  }
  auto metadataFile = directory / "release-metadata";
  if (fs::is_regular_file(metadataFile)) {
    try {
      auto metadata = json::parse(readBounded(metadataFile, where));
      if (metadata.is_object()) {
        payload.version = metadata.value("version", "");
        if (metadata.contains("previous") && metadata["previous"].is_array())
          for (const auto& previous : metadata["previous"])
            if (previous.is_string()) payload.previous.push_back(previous.get<std::string>());
      }
    } catch (const json::exception& e) {
      fail(ErrorKind::InvalidInput, "{}: release-manifests/release-metadata is not JSON ({})", where, e.what());
    }
  }
  return payload;
}

std::map<std::string, std::string> readKubeVirtImages(const fs::path& manifestsDirectory, const std::string& where) {
  std::map<std::string, std::string> images;
  auto file = manifestsDirectory / kBootImagesFile;
  if (!fs::is_regular_file(file)) return images;
  auto text = readBounded(file, where);
  auto at = fmt::format("{}: release-manifests/{}", where, kBootImagesFile);
  std::string stream;
  try {
    auto limits = configurationYamlLimits("a release manifest");
    limits.maxBytes = kMaxImageReferencesBytes;
    auto document = loadYamlDocument(text, at, limits);
    if (!document.IsMap() || !document["data"] || !document["data"]["stream"])
      fail(ErrorKind::InvalidInput, "{} is not a ConfigMap with data.stream", at);
    stream = document["data"]["stream"].as<std::string>();
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{} is not valid YAML ({})", at, e.what());
  }
  json parsed;
  try {
    parsed = json::parse(stream);
  } catch (const json::exception& e) {
    fail(ErrorKind::InvalidInput, "{}: data.stream is not JSON ({})", at, e.what());
  }
  if (!parsed.is_object() || !parsed.contains("architectures") || !parsed["architectures"].is_object()) return images;
  for (const auto& [arch, entry] : parsed["architectures"].items()) {
    if (!entry.is_object() || !entry.contains("images") || !entry["images"].is_object()) continue;
    const auto& all = entry["images"];
    if (!all.contains("kubevirt") || !all["kubevirt"].is_object()) continue;
    auto reference = all["kubevirt"].value("digest-ref", "");
    if (!reference.empty()) images[arch] = reference;
  }
  return images;
}

ReleasePayload readReleasePayload(ImageSource& source, const std::string& reference, const std::string& name,
                                  const fs::path& work) {
  auto graph = fetchImageGraph(source, reference);
  auto target = work / graph.raw.digest.hex() / "release-manifests";
  if (!fs::is_directory(target)) {
    const auto* image = firstImage(graph, 0);
    if (!image) fail(ErrorKind::InvalidInput, "{} is not a release payload: its index holds no image", name);
    std::error_code error;
    fs::create_directories(target.parent_path(), error);
    if (error) fail("cannot create '{}': {}", target.parent_path().string(), error.message());
    auto staging = uniqueTemporaryPath(target.parent_path(), ".extract");
    try {
      DirectoryExtractor extractor("release-manifests", staging, kMaxReleaseManifestsBytes);
      for (const auto& layer : image->manifest.layers) {
        auto layerName = fmt::format("{} of {}@{}", layer.digest.str(), name, image->raw.digest.str());
        LayerCompression compression;
        try {
          compression = layerCompression(layer.mediaType);
        } catch (const Error& e) {
          fail("layer {}: {}", layerName, e.what());
        }
        BlobStream stream(source, layer, name);
        BlobLayerBytes bytes(stream);
        extractor.apply(bytes, compression, layerName);
      }
      if (!extractor.directoryExists())
        fail(ErrorKind::InvalidInput, "{} is not a release payload: its layers hold no release-manifests/ directory",
             name);
      fs::rename(staging, target, error);
      if (error && !fs::is_directory(target))
        fail("cannot move the release manifests to '{}': {}", target.string(), error.message());
    } catch (...) {
      fs::remove_all(staging, error);
      throw;
    }
    fs::remove_all(staging, error);
  }
  auto payload = parseReleaseManifests(target, name);
  payload.digest = graph.raw.digest;
  payload.isIndex = graph.manifest.isIndex;
  return payload;
}

}  // namespace ferry::release
