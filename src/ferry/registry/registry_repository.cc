#include "ferry/registry/registry_repository.h"

#include <algorithm>
#include <charconv>
#include <exception>
#include <thread>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/oci/media_types.h"
#include "ferry/registry/blob_pipe.h"
#include "ferry/registry/challenge.h"

namespace ferry {

RegistryRepository::RegistryRepository(std::shared_ptr<RegistryClient> client, std::string repository)
    : client_(std::move(client)), repository_(std::move(repository)) {}

std::string RegistryRepository::describe() const { return "docker://" + client_->registry() + "/" + repository_; }

std::vector<std::string> RegistryRepository::pullScope() const { return {"repository:" + repository_ + ":pull"}; }

std::vector<std::string> RegistryRepository::pushScope(const std::optional<std::string>& mountFrom) const {
  std::vector<std::string> scopes{"repository:" + repository_ + ":pull,push"};
  if (mountFrom && *mountFrom != repository_) scopes.push_back("repository:" + *mountFrom + ":pull");
  return scopes;
}

RawManifest RegistryRepository::getManifest(const std::string& reference) {
  HttpRequest request{.method = "GET",
                      .url = "/v2/" + repository_ + "/manifests/" + reference,
                      .headers = {"Accept: " + media::manifestAcceptHeader()},
                      .maxBodyBytes = kMaxManifestRead};
  auto response = client_->send(request, pullScope(), /*followRedirects=*/true);
  std::string what = fmt::format("read manifest '{}:{}'", describe(), reference);
  if (response.bodyTooLarge) fail(ErrorKind::Limit, "cannot {}: it is larger than 8 MiB, which ferry refuses", what);
  if (response.status == 404)
    fail(ErrorKind::NotFound, "cannot {}: not found at {} (HTTP 404); check the repository and tag", what,
         client_->registry());
  if (response.status != 200) client_->failWith(response, what);

  std::string mediaType = response.header("content-type");
  if (auto semicolon = mediaType.find(';'); semicolon != std::string::npos) mediaType.resize(semicolon);
  auto raw = RawManifest::of(std::move(response.body), mediaType);
  if (auto requested = Digest::tryParse(reference)) {
    Digest actual = requested->algorithm() == "sha256" ? raw.digest : [&] {
      Hasher hasher(requested->algorithm());
      hasher.update(raw.bytes);
      return hasher.finish();
    }();
    if (actual != *requested)
      fail(ErrorKind::Integrity, "cannot {}: the registry sent content whose digest is {}; refusing it", what, actual.str());
  } else if (auto served = Digest::tryParse(response.header("docker-content-digest"));
             served && served->algorithm() == "sha256" && *served != raw.digest) {
    fail(ErrorKind::Integrity, "cannot {}: the registry says its digest is {} but the bytes hash to {}; refusing it", what, served->str(),
         raw.digest.str());
  }
  // Prefer the document's own media type; registries sometimes serve a generic Content-Type.
  raw.mediaType = Manifest::parse(raw.bytes, raw.mediaType).mediaType;
  return raw;
}

std::optional<Digest> RegistryRepository::manifestDigest(const std::string& reference) {
  HttpRequest request{.method = "HEAD",
                      .url = "/v2/" + repository_ + "/manifests/" + reference,
                      .headers = {"Accept: " + media::manifestAcceptHeader()}};
  auto response = client_->send(request, pullScope(), /*followRedirects=*/true);
  if (response.status == 404) return std::nullopt;
  if (response.status != 200) client_->failWith(response, fmt::format("check manifest '{}:{}'", describe(), reference));
  if (auto digest = Digest::tryParse(response.header("docker-content-digest"))) return digest;
  // Some registries omit the digest header on HEAD: read the manifest and hash it.
  return getManifest(reference).digest;
}

void RegistryRepository::readBlob(const Descriptor& blob, BlobWriter& out) {
  HttpRequest request{.method = "GET", .url = "/v2/" + repository_ + "/blobs/" + blob.digest.str()};
  request.expectedBytes = blob.size;
  auto response = client_->download(std::move(request), pullScope(), out);
  if (response.status != 200 && response.status != 206)
    client_->failWith(response, fmt::format("download blob {} from {}", blob.digest.str(), describe()));
}

bool RegistryRepository::hasBlob(const Digest& digest) {
  std::string path = "/v2/" + repository_ + "/blobs/" + digest.str();
  auto response = client_->send(HttpRequest{.method = "HEAD", .url = path}, pullScope(), /*followRedirects=*/true);
  // Object storage refuses a HEAD on a URL signed for GET (403, or 405):
  // one byte of a GET answers the question as well.
  if (response.redirected && (response.status == 403 || response.status == 405)) {
    HttpRequest probe{.method = "GET", .url = path, .headers = {"Range: bytes=0-0"}, .maxBodyBytes = 64 << 10};
    response = client_->send(std::move(probe), pullScope(), /*followRedirects=*/true);
  }
  if (response.status == 200 || response.status == 206) return true;
  if (response.status == 404) return false;
  client_->failWith(response, fmt::format("check blob {} in {}", digest.str(), describe()));
}

bool RegistryRepository::reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) {
  // Once a mount failed here, mount probes are not sent to this registry again.
  if (client_->mountsRefused()) return hasBlob(blob.digest);
  bool crossRepository = mountFrom && *mountFrom != repository_;
  std::string from = mountFrom.value_or(repository_);
  HttpRequest request{.method = "POST",
                      .url = "/v2/" + repository_ + "/blobs/uploads/?mount=" + urlEncode(blob.digest.str()) +
                             "&from=" + urlEncode(from)};
  auto response = client_->send(request, pushScope(mountFrom));
  if (response.status == 201) return true;
  if (response.status == 202 && !response.header("location").empty()) {
    // Not mounted: the registry opened an ordinary upload session instead; keep it for putBlob.
    {
      std::lock_guard lock(sessionsMutex_);
      sessions_[blob.digest.str()] = sessionFrom(response);
    }
    // From another repository, where this run pushed the blob, a 202 means the registry does not mount.
    if (crossRepository) client_->noteMountRefused("HTTP 202, an upload session instead");
    return false;
  }
  if (isRetryableStatus(response.status)) client_->failWith(response, fmt::format("push to {}", describe()));
  if (crossRepository && response.status >= 400 && response.status < 500) {
    // Refused for the mount itself (no pull access to the source, a registry
    // that mounts only some blobs, or none): the blob is uploaded instead.
    client_->noteMountRefused(fmt::format("HTTP {}", response.status));
    return hasBlob(blob.digest);
  }
  if (response.status == 401 || response.status == 403)
    client_->failWith(response, fmt::format("push to {}", describe()));
  return false;
}

RegistryRepository::UploadSession RegistryRepository::sessionFrom(const HttpResponse& response) const {
  UploadSession session{.url = resolveUrl(response.url, response.header("location"))};
  std::string minimum = response.header("oci-chunk-min-length");
  std::from_chars(minimum.data(), minimum.data() + minimum.size(), session.minimumChunk);
  return session;
}

RegistryRepository::UploadSession RegistryRepository::startUpload() {
  HttpRequest request{.method = "POST", .url = "/v2/" + repository_ + "/blobs/uploads/"};
  auto response = client_->send(request, pushScope());
  if (response.status != 202 || response.header("location").empty())
    client_->failWith(response, fmt::format("start an upload to {}", describe()));
  return sessionFrom(response);
}

std::optional<RegistryRepository::UploadSession> RegistryRepository::takeSession(const Digest& digest) {
  std::lock_guard lock(sessionsMutex_);
  auto it = sessions_.find(digest.str());
  if (it == sessions_.end()) return std::nullopt;
  auto session = std::move(it->second);
  sessions_.erase(it);
  return session;
}

HttpRequest RegistryRepository::BlobBytes::slice(int64_t offset, int64_t length) const {
  HttpRequest request;
  if (file) {
    request.bodyFile = *file;
    request.bodyOffset = offset;
    request.bodyLength = length;
  } else {
    request.bodyView = memory.substr(static_cast<size_t>(offset), static_cast<size_t>(length));
  }
  return request;
}

void RegistryRepository::upload(const Descriptor& blob, const BlobBytes& bytes) {
  auto response = client_->throwIfUnreached(client_->retrying([&](int attempt) {
    // A session whose upload failed is not trusted again: a retry opens a new one.
    auto session = attempt == 0 ? takeSession(blob.digest) : std::nullopt;
    if (!session) session = startUpload();
    if (client_->options().uploadChunkSize > 0) return putChunks(blob, bytes, *session);
    return putWhole(blob, bytes.slice(0, blob.size), session->url);
  }));
  if (response.status != 201)
    client_->failWith(response, fmt::format("upload blob {} to {}", blob.digest.str(), describe()));
}

HttpResponse RegistryRepository::putWhole(const Descriptor& blob, HttpRequest body, const std::string& sessionUrl) {
  body.method = "PUT";
  body.url = sessionUrl + (sessionUrl.find('?') == std::string::npos ? "?" : "&") +
             "digest=" + urlEncode(blob.digest.str());
  body.headers = {"Content-Type: application/octet-stream"};
  return client_->sendOnce(std::move(body), pushScope());
}

HttpResponse RegistryRepository::putChunks(const Descriptor& blob, const BlobBytes& bytes,
                                           const UploadSession& session) {
  int64_t chunk = std::max(client_->options().uploadChunkSize, session.minimumChunk);
  std::string url = session.url;
  int64_t offset = 0;
  // Every chunk but the last goes in a PATCH; the last one rides on the closing
  // PUT, as registries that refuse an empty final PUT (ECR) want.
  for (; blob.size - offset > chunk; offset += chunk) {
    auto patch = bytes.slice(offset, chunk);
    patch.method = "PATCH";
    patch.url = url;
    patch.headers = {"Content-Type: application/octet-stream",
                     fmt::format("Content-Range: {}-{}", offset, offset + chunk - 1)};
    auto response = client_->sendOnce(std::move(patch), pushScope());
    if (response.failure != TransportFailure::None || response.status != 202) return response;
    // Each answer says where the next chunk goes (the URL may carry the upload's state).
    if (auto next = response.header("location"); !next.empty()) url = resolveUrl(response.url, next);
  }
  return putWhole(blob, bytes.slice(offset, blob.size - offset), url);
}

void RegistryRepository::writeBlob(const Descriptor& blob, const BlobProducer& produce) {
  if (blob.size <= kHeldBlobBytes) {
    // Small: collected whole and sent in one PUT that can be retried.
    StringWriter held(static_cast<size_t>(kHeldBlobBytes));
    produce(held);
    upload(blob, BlobBytes{.memory = held.bytes});
    return;
  }
  // Each attempt streams the producer's bytes into one upload request; an
  // attempt the registry side loses is retried whole, the producer reading the
  // source again from the first byte (a destination cannot take the rest of a
  // blob when ferry no longer holds the bytes it lost in flight).
  auto response = client_->throwIfUnreached(client_->retrying([&](int attempt) {
    auto session = attempt == 0 ? takeSession(blob.digest) : std::nullopt;
    if (!session) session = startUpload();
    BlobPipe pipe(blob.size, kStreamBufferBytes);
    std::exception_ptr producerError;
    std::thread producer([&] {
      try {
        produce(pipe);
        pipe.finish();
      } catch (...) {
        producerError = std::current_exception();
        pipe.fail();
      }
    });
    HttpResponse response;
    try {
      response = client_->options().uploadChunkSize > 0 ? streamChunks(blob, pipe, *session)
                                                        : streamWhole(blob, pipe, session->url);
    } catch (...) {
      pipe.close();
      producer.join();
      throw;
    }
    pipe.close();
    producer.join();
    // The producer failed first (the source, or bytes that are not the blob): not the registry's to retry.
    if (producerError && pipe.endedBy() == BlobPipe::End::ProducerFailed) std::rethrow_exception(producerError);
    if (pipe.endedBy() == BlobPipe::End::Restarted && response.failure == TransportFailure::None)
      response.failure = TransportFailure::Interrupted;  // the source started over: send the blob again
    if (producerError && response.failure == TransportFailure::None && response.status == 201)
      std::rethrow_exception(producerError);  // cannot happen: the last byte waits for the producer
    return response;
  }));
  if (response.status != 201)
    client_->failWith(response, fmt::format("upload blob {} to {}", blob.digest.str(), describe()));
}

HttpResponse RegistryRepository::streamWhole(const Descriptor& blob, BlobPipe& pipe, const std::string& sessionUrl) {
  HttpRequest body{.bodyLength = blob.size, .expectedBytes = blob.size};
  body.bodySource = [&pipe](char* buffer, size_t size) { return pipe.read(buffer, size); };
  return putWhole(blob, std::move(body), sessionUrl);
}

HttpResponse RegistryRepository::streamChunks(const Descriptor& blob, BlobPipe& pipe, const UploadSession& session) {
  int64_t chunk = std::clamp(std::max(client_->options().uploadChunkSize, session.minimumChunk), int64_t{1},
                             kLargestChunk);
  std::string url = session.url;
  std::string held;
  int64_t offset = 0;
  auto fill = [&](int64_t length) -> bool {
    held.resize(static_cast<size_t>(length));
    for (int64_t done = 0; done < length;) {
      auto got = pipe.read(held.data() + done, static_cast<size_t>(length - done));
      if (got <= 0) return false;
      done += got;
    }
    return true;
  };
  for (; blob.size - offset > chunk; offset += chunk) {
    if (!fill(chunk)) return HttpResponse{.failure = TransportFailure::Interrupted, .failureDetail = "the blob's source stopped"};
    HttpRequest patch{.method = "PATCH",
                      .url = url,
                      .headers = {"Content-Type: application/octet-stream",
                                  fmt::format("Content-Range: {}-{}", offset, offset + chunk - 1)},
                      .bodyView = held};
    auto response = client_->sendOnce(std::move(patch), pushScope());
    if (response.failure != TransportFailure::None || response.status != 202) return response;
    if (auto next = response.header("location"); !next.empty()) url = resolveUrl(response.url, next);
  }
  if (!fill(blob.size - offset))
    return HttpResponse{.failure = TransportFailure::Interrupted, .failureDetail = "the blob's source stopped"};
  HttpRequest last;
  last.bodyView = held;
  return putWhole(blob, std::move(last), url);
}

void RegistryRepository::putBlob(const Descriptor& blob, const std::filesystem::path& file) {
  upload(blob, BlobBytes{.file = &file});
}

void RegistryRepository::putBlobBytes(const Descriptor& blob, std::string bytes) {
  upload(blob, BlobBytes{.memory = bytes});
}

void RegistryRepository::putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool) {
  std::string reference = tag.value_or(manifest.digest.str());
  std::string what = fmt::format("push manifest '{}:{}'", describe(), reference);
  if (static_cast<int64_t>(manifest.bytes.size()) > kMaxManifestPush)
    fail(ErrorKind::Limit, "cannot {}: it is {} bytes, over the 4 MiB registries accept", what, manifest.bytes.size());
  HttpRequest request{.method = "PUT",
                      .url = "/v2/" + repository_ + "/manifests/" + reference,
                      .headers = {"Content-Type: " + manifest.mediaType},
                      .body = manifest.bytes};
  auto response = client_->send(request, pushScope());
  if (response.status != 201 && response.status != 200) client_->failWith(response, what);
  auto stored = Digest::tryParse(response.header("docker-content-digest"));
  if (stored && stored->algorithm() == manifest.digest.algorithm() && *stored != manifest.digest)
    fail(ErrorKind::Integrity, "cannot {}: the registry stored it as {} instead of {}; it rewrote the manifest", what, stored->str(),
         manifest.digest.str());
}

std::vector<std::string> RegistryRepository::listTags(int pageSize) {
  std::vector<std::string> tags;
  // A path, not baseUrl(): the client learns the registry's scheme on first contact (see httpFallback).
  std::string url = "/v2/" + repository_ + "/tags/list?n=" + std::to_string(pageSize);
  for (int page = 0; page < 100000; ++page) {
    auto response = client_->send(HttpRequest{.method = "GET", .url = url, .maxBodyBytes = 64 << 20}, pullScope());
    if (response.status == 404) return tags;
    if (response.status != 200) client_->failWith(response, fmt::format("list tags of {}", describe()));
    auto document = nlohmann::json::parse(response.body, nullptr, false);
    if (document.is_discarded() || !document.is_object())
      fail("cannot list tags of {}: the registry did not answer JSON", describe());
    if (auto list = document.find("tags"); list != document.end() && list->is_array())
      for (const auto& tag : *list)
        if (tag.is_string()) tags.push_back(tag.get<std::string>());
    auto next = nextLink(response.linkHeaders);
    if (!next) break;
    url = resolveUrl(response.url, *next);
  }
  return tags;
}

namespace {

// The descriptors of an OCI index holding referrers (the referrers API answer, or the fallback tag's index).
std::vector<Descriptor> referrersIn(const std::string& body, const std::string& what) {
  try {
    return Manifest::parse(body, media::kOciIndex).manifests;
  } catch (const Error& e) {
    fail("cannot {}: the registry's answer is not an OCI index: {}", what, e.what());
  }
}

}  // namespace

std::optional<std::string> RegistryRepository::referrersPages(std::string url, const std::string& what) {
  nlohmann::ordered_json merged;
  for (int page = 0;; ++page) {
    if (page >= kMaxReferrersPages)
      fail(ErrorKind::Limit, "cannot {}: the registry's answer runs over more than {} pages (Link: rel=\"next\"), "
           "ferry's limit (see docs/limits.md)", what, kMaxReferrersPages);
    HttpRequest request{.method = "GET",
                        .url = url,
                        .headers = {"Accept: " + std::string(media::kOciIndex)},
                        .maxBodyBytes = kMaxManifestRead};
    auto response = client_->send(request, pullScope(), /*followRedirects=*/true);
    if (response.bodyTooLarge) fail(ErrorKind::Limit, "cannot {}: the answer is larger than 8 MiB, which ferry refuses", what);
    if (response.status == 404 && page == 0) return std::nullopt;
    if (response.status != 200) client_->failWith(response, what);
    referrersIn(response.body, what);  // refuses an answer that is not an index
    auto next = nextLink(response.linkHeaders);
    if (page == 0 && !next) return std::move(response.body);
    auto document = nlohmann::ordered_json::parse(response.body);
    if (page == 0) {
      merged = std::move(document);
      if (!merged.contains("manifests") || !merged["manifests"].is_array()) merged["manifests"] = nlohmann::ordered_json::array();
    } else if (document.contains("manifests") && document["manifests"].is_array()) {
      for (auto& entry : document["manifests"]) merged["manifests"].push_back(std::move(entry));
    }
    if (!next) break;
    url = resolveUrl(response.url, *next);
  }
  return merged.dump();
}

std::vector<Descriptor> RegistryRepository::listReferrers(const Digest& subject, const std::string& artifactType) {
  std::string what = fmt::format("list referrers of {}@{}", describe(), subject.str());
  std::string url = "/v2/" + repository_ + "/referrers/" + subject.str();
  if (!artifactType.empty()) url += "?artifactType=" + urlEncode(artifactType);
  if (auto body = referrersPages(url, what)) return filterReferrers(referrersIn(*body, what), artifactType);
  // No referrers API here: the referrers tag schema keeps them in an index under a tag of its own.
  try {
    auto fallback = getManifest(referrersTag(subject));
    return filterReferrers(referrersIn(fallback.bytes, what), artifactType);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) return {};
    throw;
  }
}

std::optional<RawManifest> RegistryRepository::referrersIndex(const Digest& subject) {
  if (referrersApi_ < 0) return std::nullopt;
  // Until one answer says whether the API exists, one image asks at a time, so a registry without it hears one 404.
  std::unique_lock probe(referrersProbe_, std::defer_lock);
  if (referrersApi_ == 0) {
    probe.lock();
    if (referrersApi_ < 0) return std::nullopt;
  }
  std::string what = fmt::format("list referrers of {}@{}", describe(), subject.str());
  auto body = referrersPages("/v2/" + repository_ + "/referrers/" + subject.str(), what);
  if (!body) {
    referrersApi_ = -1;
    return std::nullopt;
  }
  referrersApi_ = 1;
  return RawManifest::of(std::move(*body), std::string(media::kOciIndex));
}

void RegistryRepository::deleteManifest(const Digest& digest) {
  std::string what = fmt::format("delete manifest {}@{}", describe(), digest.str());
  HttpRequest request{.method = "DELETE", .url = "/v2/" + repository_ + "/manifests/" + digest.str()};
  auto response = client_->send(request, {"repository:" + repository_ + ":pull,push,delete"});
  if (response.status == 202 || response.status == 200) return;
  // distribution answers 405 UNSUPPORTED when its storage has deleting off (the default).
  if (response.status == 405 || (response.status == 400 && response.body.find("UNSUPPORTED") != std::string::npos))
    fail(ErrorKind::Unsupported, "cannot {}: {} does not allow deleting (HTTP {}, UNSUPPORTED); enable deletion in "
         "its storage configuration: for distribution (docker-registry) `storage: delete: enabled: true` in "
         "config.yml or REGISTRY_STORAGE_DELETE_ENABLED=true in its environment, then restart it",
         what, client_->registry(), response.status);
  client_->failWith(response, what);
}

}  // namespace ferry
