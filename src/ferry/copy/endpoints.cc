#include "ferry/copy/endpoints.h"

#include "ferry/base/error.h"
#include "ferry/dirstore/dir_source.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/registry/registry_repository.h"
#include "ferry/tarball/docker_archive.h"
#include "ferry/tarball/oci_archive.h"

namespace ferry {

std::shared_ptr<RegistryClient> Endpoints::client(const ImageReference& reference, bool destination) {
  // Called with mutex_ held. Source and destination keep separate clients:
  // their TLS settings and credentials may differ even for one host.
  std::string key = (destination ? "dest " : "src ") + reference.registry;
  auto& client = clients_[key];
  if (!client)
    client = std::make_shared<RegistryClient>(reference.registry, reference.apiHost(),
                                              destination ? options_.destination : options_.source);
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

void Endpoints::addSource(const ImageReference& reference, std::shared_ptr<ImageSource> source) {
  std::lock_guard lock(mutex_);
  addedSources_[reference.location()] = std::move(source);
}

std::shared_ptr<ImageSource> Endpoints::source(const ImageReference& reference) {
  {
    std::lock_guard lock(mutex_);
    if (auto added = addedSources_.find(reference.location()); added != addedSources_.end()) return added->second;
  }
  if (reference.transport == Transport::Layout) return layout(reference, false);
  if (reference.isLocal()) return fileSource(reference);
  return repository(reference, false);
}

void Endpoints::addSink(const ImageReference& reference, std::shared_ptr<ImageSink> sink) {
  std::lock_guard lock(mutex_);
  addedSinks_[reference.location()] = std::move(sink);
}

std::shared_ptr<ImageSink> Endpoints::sink(const ImageReference& reference) {
  {
    std::lock_guard lock(mutex_);
    if (auto added = addedSinks_.find(reference.location()); added != addedSinks_.end())
      return added->second;
  }
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
