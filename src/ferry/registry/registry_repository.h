// One repository of a registry, as an ImageSource and an ImageSink.
//
// Request pattern, chosen to keep requests per blob low:
//   - a manifest is read with one GET (by tag or digest) and checked against
//     its digest; existence is a HEAD;
//   - a blob that may already be there is probed with a mount POST whose source
//     is this same repository (or another repository of the registry that this
//     run pushed it to): 201 means present, 202 opens the upload session that
//     the monolithic PUT then uses, so a new blob costs two requests in all;
//   - blob downloads and manifest GETs follow redirects, without credentials to another host.
//
// Capabilities (transport/capabilities.h): tags are listed with Link
// pagination; referrers with GET /v2/NAME/referrers/DIGEST, or, where the
// registry answers 404 for that API (distribution 2.8), from the referrers tag
// schema's index at the tag sha256-HEX; a manifest is deleted with DELETE
// /v2/NAME/manifests/DIGEST (a registry with deletion disabled answers 405).
//
// Registries that do not behave:
//   - a cross-repository mount that is refused (4xx, or a 202 upload session)
//     turns mounting off for the registry for the rest of the run: later blobs
//     are checked with a HEAD and uploaded plainly;
//   - an upload that fails is retried in a new session (POST again);
//   - with RegistryOptions::uploadChunkSize the blob goes in PATCH chunks of at
//     least the registry's OCI-Chunk-Min-Length, the last one with the PUT;
//   - a blob HEAD that object storage refuses (403/405 on a URL signed for GET)
//     is asked again as a GET of one byte.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "ferry/registry/registry_client.h"
#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class BlobPipe;

class RegistryRepository : public ImageSource,
                           public ImageSink,
                           public TagLister,
                           public BlobChecker,
                           public ReferrerLister,
                           public ReferrersApi,
                           public ManifestDeleter {
 public:
  RegistryRepository(std::shared_ptr<RegistryClient> client, std::string repository);

  std::string describe() const override;
  RawManifest getManifest(const std::string& reference) override;
  void readBlob(const Descriptor& blob, BlobWriter& out) override;

  std::optional<Digest> manifestDigest(const std::string& reference) override;
  bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) override;
  void writeBlob(const Descriptor& blob, const BlobProducer& produce) override;
  void putBlob(const Descriptor& blob, const std::filesystem::path& file) override;
  void putBlobBytes(const Descriptor& blob, std::string bytes) override;
  void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) override;
  std::string mountDomain() const override { return client_->registry(); }
  std::string mountName() const override { return repository_; }
  std::string blobScope() const override { return client_->registry() + "/" + repository_; }

  // Whether the registry has the blob in this repository (one HEAD). The copy
  // engine uses reuseBlob's mount probe instead, which answers the same question
  // and opens the upload session in the same request; the finalize step of a
  // sharded run, which sends no blob, asks this.
  bool hasBlob(const Digest& digest) override;

  // Every tag of the repository, asking for `pageSize` a page and following Link pagination.
  std::vector<std::string> listTags(int pageSize);
  std::vector<std::string> listTags() override { return listTags(1000); }
  // Both follow the referrers API's pagination (Link: <...>; rel="next"), at most
  // kMaxReferrersPages pages, merged into one index (one page stays byte for byte).
  std::vector<Descriptor> listReferrers(const Digest& subject, const std::string& artifactType = {}) override;
  // GETs /referrers/ (and its further pages); after a 404 (no API) it answers nullopt without asking again.
  std::optional<RawManifest> referrersIndex(const Digest& subject) override;
  static constexpr int kMaxReferrersPages = 64;
  void deleteManifest(const Digest& digest) override;

  // The registry's client (its counters, its options).
  RegistryClient& client() const { return *client_; }

  // Largest manifest ferry reads (8 MiB) and pushes (4 MiB), as registries cap them.
  static constexpr int64_t kMaxManifestRead = 8 << 20;
  static constexpr int64_t kMaxManifestPush = 4 << 20;
  // writeBlob: blobs up to this size are collected and sent in one retryable
  // PUT; larger ones stream through a pipe of kStreamBufferBytes. With
  // --chunk-size, one chunk (at most kLargestChunk) is held at a time.
  static constexpr int64_t kHeldBlobBytes = 1 << 20;
  static constexpr size_t kStreamBufferBytes = 2 << 20;
  static constexpr int64_t kLargestChunk = 64 << 20;

 private:
  // The referrers API's answer at `url`, every page merged; nullopt when the first page is a 404.
  std::optional<std::string> referrersPages(std::string url, const std::string& what);
  struct UploadSession {
    std::string url;
    int64_t minimumChunk = 0;  // the registry's OCI-Chunk-Min-Length, if it sent one
  };
  // The bytes of a blob to upload: a file, or memory the caller keeps alive.
  struct BlobBytes {
    const std::filesystem::path* file = nullptr;
    std::string_view memory;
    // A request whose body is bytes [offset, offset + length).
    HttpRequest slice(int64_t offset, int64_t length) const;
  };

  std::vector<std::string> pullScope() const;
  std::vector<std::string> pushScope(const std::optional<std::string>& mountFrom = std::nullopt) const;
  UploadSession startUpload();
  UploadSession sessionFrom(const HttpResponse& response) const;
  // The session a mount probe opened for this blob, if any (each is used once).
  std::optional<UploadSession> takeSession(const Digest& digest);
  void upload(const Descriptor& blob, const BlobBytes& bytes);
  HttpResponse putWhole(const Descriptor& blob, HttpRequest body, const std::string& sessionUrl);
  HttpResponse putChunks(const Descriptor& blob, const BlobBytes& bytes, const UploadSession& session);
  // One attempt of a streamed upload: the pipe's bytes as the body of the closing PUT, or in PATCH chunks.
  HttpResponse streamWhole(const Descriptor& blob, BlobPipe& pipe, const std::string& sessionUrl);
  HttpResponse streamChunks(const Descriptor& blob, BlobPipe& pipe, const UploadSession& session);

  std::shared_ptr<RegistryClient> client_;
  std::string repository_;
  // Whether the registry has the referrers API: 0 not known yet (one probe at a time), 1 yes, -1 no (a 404).
  std::atomic<int> referrersApi_{0};
  std::mutex referrersProbe_;
  std::mutex sessionsMutex_;
  // Upload sessions opened by a mount probe that found nothing, by blob digest.
  std::unordered_map<std::string, UploadSession> sessions_;
};

}  // namespace ferry
