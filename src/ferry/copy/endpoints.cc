#include "ferry/copy/endpoints.h"

#include "ferry/layout/oci_layout.h"
#include "ferry/registry/registry_repository.h"

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
  return repository(reference, true);
}

}  // namespace ferry
