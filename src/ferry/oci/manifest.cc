#include "ferry/oci/manifest.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/oci/media_types.h"

namespace ferry {
namespace media {

bool isIndex(std::string_view mediaType) { return mediaType == kOciIndex || mediaType == kDockerManifestList; }
bool isImageManifest(std::string_view mediaType) {
  return mediaType == kOciManifest || mediaType == kDockerManifest || mediaType == kOciArtifactManifest;
}
bool isSchema1(std::string_view mediaType) { return mediaType == kDockerSchema1 || mediaType == kDockerSchema1Signed; }

const std::string& manifestAcceptHeader() {
  static const std::string header = fmt::format("{}, {}, {}, {}, {}", kOciIndex, kOciManifest, kDockerManifestList,
                                                kDockerManifest, kOciArtifactManifest);
  return header;
}

}  // namespace media

namespace {

using nlohmann::json;

std::string stringField(const json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return {};
  if (!it->is_string()) fail("field '{}' must be a string", name);
  return it->get<std::string>();
}

std::map<std::string, std::string> annotationsOf(const json& object) {
  std::map<std::string, std::string> out;
  auto it = object.find("annotations");
  if (it == object.end() || it->is_null()) return out;
  if (!it->is_object()) fail("field 'annotations' must be an object");
  for (const auto& [key, value] : it->items())
    if (value.is_string()) out[key] = value.get<std::string>();
  return out;
}

Platform platformOf(const json& object) {
  Platform platform;
  platform.os = stringField(object, "os");
  platform.architecture = stringField(object, "architecture");
  platform.variant = stringField(object, "variant");
  platform.osVersion = stringField(object, "os.version");
  if (auto it = object.find("os.features"); it != object.end() && it->is_array())
    for (const auto& feature : *it)
      if (feature.is_string()) platform.osFeatures.push_back(feature.get<std::string>());
  return platform;
}

Descriptor descriptorOf(const json& object, const char* where) {
  if (!object.is_object()) fail("{} must be an object", where);
  Descriptor descriptor{.mediaType = stringField(object, "mediaType"),
                        .digest = Digest::parse(stringField(object, "digest")),
                        .size = 0};
  auto size = object.find("size");
  if (size == object.end() || !size->is_number_integer() || size->get<int64_t>() < 0)
    fail("{} {} has no valid size", where, descriptor.digest.str());
  descriptor.size = size->get<int64_t>();
  if (auto it = object.find("platform"); it != object.end() && it->is_object()) descriptor.platform = platformOf(*it);
  if (auto it = object.find("urls"); it != object.end() && it->is_array())
    for (const auto& url : *it)
      if (url.is_string()) descriptor.urls.push_back(url.get<std::string>());
  descriptor.annotations = annotationsOf(object);
  descriptor.artifactType = stringField(object, "artifactType");
  return descriptor;
}

std::vector<Descriptor> descriptorList(const json& document, const char* name) {
  std::vector<Descriptor> out;
  auto it = document.find(name);
  if (it == document.end() || it->is_null()) return out;
  if (!it->is_array()) fail("field '{}' must be an array", name);
  for (const auto& item : *it) out.push_back(descriptorOf(item, name));
  return out;
}

}  // namespace

RawManifest RawManifest::of(std::string bytes, std::string mediaType) {
  Digest digest = Digest::sha256Of(bytes);
  return RawManifest{std::move(bytes), std::move(mediaType), std::move(digest)};
}

Manifest Manifest::parse(std::string_view bytes, std::string_view servedAs) {
  json document = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded() || !document.is_object()) fail("manifest is not a JSON object");
  // Not value(): it throws a JSON type error for a schemaVersion that is not a number (a fuzz finding).
  auto version = document.find("schemaVersion");
  bool schema1 = version != document.end() && version->is_number_integer() && version->get<int64_t>() == 1;
  if (media::isSchema1(servedAs) || schema1)
    fail(ErrorKind::Unsupported, "Docker schema 1 manifests are not supported (deprecated since 2017); rebuild or re-push the image with a "
         "current client to get a schema 2 or OCI manifest");

  Manifest manifest;
  try {
    manifest.mediaType = stringField(document, "mediaType");
    if (manifest.mediaType.empty()) manifest.mediaType = std::string(servedAs);
    if (manifest.mediaType.empty() || (!media::isIndex(manifest.mediaType) && !media::isImageManifest(manifest.mediaType)))
      manifest.mediaType = document.contains("manifests") ? std::string(media::kOciIndex)
                                                            : std::string(media::kOciManifest);
    manifest.isIndex = media::isIndex(manifest.mediaType);
    if (manifest.isIndex) {
      manifest.manifests = descriptorList(document, "manifests");
    } else {
      if (auto it = document.find("config"); it != document.end() && !it->is_null())
        manifest.config = descriptorOf(*it, "config");
      manifest.layers = descriptorList(document, manifest.mediaType == media::kOciArtifactManifest ? "blobs" : "layers");
      if (!manifest.config && manifest.mediaType != media::kOciArtifactManifest)
        fail("image manifest has no config");
    }
    if (auto it = document.find("subject"); it != document.end() && !it->is_null())
      manifest.subject = descriptorOf(*it, "subject");
    manifest.artifactType = stringField(document, "artifactType");
    manifest.annotations = annotationsOf(document);
  } catch (const nlohmann::json::exception& e) {
    fail("malformed manifest: {}", e.what());
  }
  return manifest;
}

std::vector<Descriptor> Manifest::blobs() const {
  std::vector<Descriptor> out;
  if (config) out.push_back(*config);
  out.insert(out.end(), layers.begin(), layers.end());
  return out;
}

ImageConfig ImageConfig::parse(std::string_view bytes) {
  json document = json::parse(bytes, nullptr, false);
  if (document.is_discarded() || !document.is_object()) fail("image config is not a JSON object");
  return ImageConfig{platformOf(document)};
}

}  // namespace ferry
