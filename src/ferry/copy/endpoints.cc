#include "ferry/copy/endpoints.h"

#include "ferry/base/error.h"
#include "ferry/dirstore/dir_source.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/registry/registry_repository.h"
#include "ferry/tarball/docker_archive.h"
#include "ferry/tarball/oci_archive.h"
#include "ferry/transport/overlay_source.h"

namespace ferry {
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
  auto moved = ImageReference::parse(best->location + rest);
  moved.tag = image.tag;
  moved.digest = image.digest;
  return moved;
}

ImageReference Endpoints::readLocation(const ImageReference& reference) const {
  return ferry::readLocation(reference, options_.sourceMirrors);
}

std::shared_ptr<RegistryClient> Endpoints::client(const ImageReference& reference, bool destination) {
  // Called with mutex_ held. Source and destination keep separate clients:
  // their TLS settings and credentials may differ even for one host.
  std::string key = (destination ? "dest " : "src ") + reference.registry;
  auto& client = clients_[key];
  if (!client) {
    std::optional<RegistryOptions> own;
    if (options_.forRegistry) own = options_.forRegistry(reference.registry, destination);
    RegistryOptions options = own ? *own : destination ? options_.destination : options_.source;
    if (options_.registriesConf.insecure(reference.registry)) {
      options.tlsVerify = false;
      options.httpFallback = true;
    }
    client = std::make_shared<RegistryClient>(reference.registry, reference.apiHost(), options);
  }
  return client;
}

std::shared_ptr<RegistryRepository> Endpoints::repository(const ImageReference& reference, bool destination) {
  std::lock_guard lock(mutex_);
  std::string key = (destination ? "dest " : "src ") + reference.location();
  auto& repository = repositories_[key];
  if (!repository) repository = std::make_shared<RegistryRepository>(client(reference, destination), reference.repository);
  return repository;
}

std::shared_ptr<OciLayout> Endpoints::layout(const ImageReference& reference, bool create) {
  std::lock_guard lock(mutex_);
  auto key = std::filesystem::weakly_canonical(reference.layoutPath).string();
  auto& layout = layouts_[key];
  if (!layout) {
    layout = create ? OciLayout::create(reference.layoutPath) : OciLayout::open(reference.layoutPath);
    if (create) writable_.insert(key);
  } else if (create && writable_.insert(key).second) {
    // First opened for reading, now written to: make sure its files exist, keep the one object.
    OciLayout::create(reference.layoutPath);
  }
  return layout;
}

std::shared_ptr<ImageSource> Endpoints::source(const ImageReference& reference) {
  auto where = readLocation(reference);
  if (where.transport == Transport::Layout) return layout(where, false);
  if (where.isLocal()) return fileSource(where);
  if (where.location() == reference.location())
    if (const auto* entry = options_.registriesConf.find(reference.registry + "/" + reference.repository))
      return throughRegistriesConf(reference, *entry);
  return repository(where, false);
}

std::shared_ptr<ImageSource> Endpoints::throughRegistriesConf(const ImageReference& reference,
                                                              const RegistryEntry& entry) {
  std::string name = reference.registry + "/" + reference.repository;
  if (entry.blocked)
    fail(ErrorKind::InvalidInput, "{} is blocked by registries.conf ({}: the [[registry]] of prefix \"{}\" says "
         "blocked = true); remove the entry or set blocked = false to read it",
         reference.str(), entry.where, entry.prefix);
  auto at = [&](std::string_view location) {
    auto rewritten = ImageReference::parse(rewrittenName(entry, location, name));
    ImageReference moved = reference;
    moved.registry = rewritten.registry;
    moved.repository = rewritten.repository;
    return std::static_pointer_cast<ImageSource>(repository(moved, false));
  };
  std::shared_ptr<ImageSource> chain = at(entry.location);
  for (auto mirror = entry.mirrors.rbegin(); mirror != entry.mirrors.rend(); ++mirror) {
    if (mirror->pullFromMirror == "digest-only" && !reference.digest) continue;
    if (mirror->pullFromMirror == "tag-only" && reference.digest) continue;
    chain = std::make_shared<OverlaySource>(at(mirror->location), chain);
  }
  return chain;
}

std::shared_ptr<ImageSink> Endpoints::sink(const ImageReference& reference) {
  if (reference.transport == Transport::Layout) return layout(reference, true);
  if (reference.isLocal()) return fileSink(reference);
  return repository(reference, true);
}

std::shared_ptr<ImageSource> Endpoints::fileSource(const ImageReference& reference) {
  std::lock_guard lock(mutex_);
  auto& source = fileSources_[reference.location()];
  if (!source) {
    if (reference.transport == Transport::OciArchive) source = std::make_shared<OciArchiveSource>(reference.layoutPath);
    if (reference.transport == Transport::DockerArchive)
      source = std::make_shared<DockerArchiveSource>(reference.layoutPath);
    if (reference.transport == Transport::Directory) source = std::make_shared<DirSource>(reference.layoutPath);
  }
  return source;
}

std::shared_ptr<ImageSink> Endpoints::fileSink(const ImageReference& reference) {
  if (reference.transport == Transport::Directory)
    fail("ferry reads dir: images but does not write them; write {} as oci:{} (an OCI layout) instead",
         reference.str(), reference.layoutPath.string());
  std::lock_guard lock(mutex_);
  auto& sink = archiveSinks_[reference.location()];
  if (!sink) {
    if (reference.transport == Transport::OciArchive) sink = std::make_shared<OciArchiveSink>(reference.layoutPath);
    if (reference.transport == Transport::DockerArchive)
      sink = std::make_shared<DockerArchiveSink>(reference.layoutPath, reference.archiveName);
  }
  return sink;
}

void Endpoints::finish() {
  std::map<std::string, std::shared_ptr<ArchiveSink>> sinks;
  {
    std::lock_guard lock(mutex_);
    sinks.swap(archiveSinks_);
  }
  for (auto& [location, sink] : sinks) sink->commit();
}

}  // namespace ferry
