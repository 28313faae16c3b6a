#include "ferry/mirror/source_mirrors.h"

#include "ferry/base/error.h"

namespace ferry::mirror {
namespace {

// "registry/repository" of a registry reference: what prefixes are matched against.
std::string nameOf(const ImageReference& image) { return image.registry + "/" + image.repository; }

bool matchesPrefix(const std::string& name, const std::string& prefix) {
  return name == prefix || (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
                            name[prefix.size()] == '/');
}

}  // namespace

std::vector<SourceMirror> parseSourceMirrors(const std::vector<std::string>& flags) {
  std::vector<SourceMirror> mirrors;
  for (const auto& flag : flags) {
    auto equals = flag.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == flag.size())
      fail("--source-mirror '{}' is not PREFIX=LOCATION (e.g. registry.example.com/demo=oci:examples/images)", flag);
    SourceMirror mirror{flag.substr(0, equals), flag.substr(equals + 1)};
    while (!mirror.prefix.empty() && mirror.prefix.back() == '/') mirror.prefix.pop_back();
    if (mirror.location.rfind("oci:", 0) != 0) {
      // Validate the registry location by parsing it as an image name.
      auto parsed = ImageReference::parse(mirror.location + "/x");
      if (parsed.tag && *parsed.tag != "latest")
        fail("--source-mirror '{}': the location must be a registry and path, without a tag", flag);
    }
    mirrors.push_back(std::move(mirror));
  }
  return mirrors;
}

ImageReference readLocation(const ImageReference& image, const std::vector<SourceMirror>& mirrors) {
  if (image.transport != Transport::Registry) return image;
  auto name = nameOf(image);
  const SourceMirror* best = nullptr;
  for (const auto& mirror : mirrors)
    if (matchesPrefix(name, mirror.prefix) && (!best || mirror.prefix.size() > best->prefix.size())) best = &mirror;
  if (!best) return image;
  if (best->location.rfind("oci:", 0) == 0) {
    auto location = ImageReference::parse(best->location);
    location.tag = image.digest ? std::nullopt : image.tag;
    location.digest = image.digest;
    return location;
  }
  auto rest = name.substr(best->prefix.size());  // "" or "/more/path"
  auto text = best->location + rest;
  auto moved = ImageReference::parse(text);
  moved.tag = image.tag;
  moved.digest = image.digest;
  return moved;
}

}  // namespace ferry::mirror
