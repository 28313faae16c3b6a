// One repository of a registry, as an ImageSource and an ImageSink.
//
// Request pattern, chosen to keep requests per blob low:
//   - a manifest is read with one GET (by tag or digest) and checked against
//     its digest; existence is a HEAD;
//   - a blob that may already be there is probed with a mount POST whose source
//     is this same repository (or another repository of the registry that this
//     run pushed it to): 201 means present, 202 opens the upload session that
//     the monolithic PUT then uses, so a new blob costs two requests in all;
//   - blob downloads follow redirects to object storage without credentials.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/registry/registry_client.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class RegistryRepository : public ImageSource, public ImageSink {
 public:
  RegistryRepository(std::shared_ptr<RegistryClient> client, std::string repository);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;

  std::optional<Digest> manifestDigest(const std::string& reference) override;
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) override;
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override;
  void putBlobBytes(const Descriptor& blob, std::string bytes) override;
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override;
  std::string mountDomain() const override { return client_->registry(); }
  std::string mountName() const override { return repository_; }
  std::string blobScope() const override { return client_->registry() + "/" + repository_; }

  // Whether the registry has the blob in this repository (one HEAD). The copy
  // engine uses reuseBlob's mount probe instead, which answers the same question
  // and opens the upload session in the same request.
  bool hasBlob(const Digest& digest);

  // Every tag of the repository, asking for `pageSize` a page and following Link pagination.
  std::vector<std::string> listTags(int pageSize = 1000);

  // Largest manifest ferry reads (8 MiB) and pushes (4 MiB), as registries cap them.
  static constexpr int64_t kMaxManifestRead = 8 << 20;
  static constexpr int64_t kMaxManifestPush = 4 << 20;

 private:
  std::vector<std::string> pullScope() const;
  std::vector<std::string> pushScope(const std::optional<std::string>& mountFrom = std::nullopt) const;
  std::string startUpload();
  // The upload URL for a blob: the session a mount probe opened, or a new one, with ?digest= added.
  std::string uploadUrl(const Descriptor& blob);
  void finishUpload(const Descriptor& blob, HttpRequest request);

  std::shared_ptr<RegistryClient> client_;
  std::string repository_;
  std::mutex sessionsMutex_;
  // Upload sessions opened by a mount probe that found nothing, by blob digest.
  std::unordered_map<std::string, std::string> sessions_;
};

}  // namespace ferry
