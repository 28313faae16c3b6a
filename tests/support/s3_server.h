// An S3-compatible object store for tests, on 127.0.0.1 with a free port: the
// subset of the S3 API ferry's archives use, with real SigV4 verification.
//
//   S3Server s3;                        // access key "ferry-test", secret "ferry-test-secret"
//   s3.createBucket("archives");
//   ... ferry with AWS_ACCESS_KEY_ID etc. and --s3-endpoint s3.url() ...
//   s3.objectKeys("archives"), s3.object("archives", "nightly/mirror_000001.tar")
//
// Why not the s3rver npm package: s3rver 3.7.1 accepts any V4 signature without
// checking it ("Signature version 4 calculation is unimplemented"), and has no
// AbortMultipartUpload, so neither bad credentials nor an aborted upload could
// be tested against it. This server checks every request's AWS Signature
// Version 4 (its own implementation, not libcurl's: an independent check of
// how ferry signs), the x-amz-content-sha256 payload hash against the body,
// and enforces S3's 5 MiB minimum for every multipart part but the last.
//
// Supported, path-style only: PutObject, GetObject (with Range), HeadObject,
// DeleteObject, ListObjectsV2 (prefix, delimiter, max-keys, continuation-token;
// pages capped by setMaxKeys), CreateMultipartUpload, UploadPart,
// CompleteMultipartUpload, AbortMultipartUpload. Objects live in memory.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/http_server.h"

namespace ferry::testing {

class S3Server {
 public:
  static constexpr const char* kAccessKey = "ferry-test";
  static constexpr const char* kSecretKey = "ferry-test-secret";
  static constexpr int64_t kMinPartSize = int64_t{5} << 20;

  S3Server();
  std::string url() const { return server_->url(); }
  std::string host() const { return server_->host(); }

  void createBucket(const std::string& bucket);
  std::vector<std::string> objectKeys(const std::string& bucket) const;
  std::string object(const std::string& bucket, const std::string& key) const;
  // Multipart uploads created and neither completed nor aborted.
  size_t pendingUploads() const;
  int abortedUploads() const { return aborted_; }
  int completedUploads() const { return completed_; }
  int uploadedParts() const { return partsUploaded_; }
  // Requests refused for their signature or key.
  int refusedSignatures() const { return refusedSignatures_; }
  // Each ListObjectsV2 page holds at most `keys` (S3's own cap is 1000), to make listings paginate.
  void setMaxKeys(int keys) { maxKeys_ = keys; }
  // UploadPart answers 500 InternalError from now on (a store failing mid-upload).
  void failUploadParts(bool fail) { failParts_ = fail; }
  // Ranged GETs served (Range header present).
  int rangedGets() const { return rangedGets_; }

 private:
  struct Upload {
    std::string bucket, key;
    std::map<int, std::string> parts;
  };
  HttpResponse handle(const HttpRequest& request);
  std::optional<HttpResponse> checkSignature(const HttpRequest& request);

  mutable std::mutex mutex_;
  std::map<std::string, std::map<std::string, std::string>> buckets_;
  std::map<std::string, Upload> uploads_;
  int nextUpload_ = 1;
  std::atomic<int> aborted_{0}, completed_{0}, partsUploaded_{0}, refusedSignatures_{0}, rangedGets_{0};
  std::atomic<int> maxKeys_{1000};
  std::atomic<bool> failParts_{false};
  std::unique_ptr<HttpServer> server_;
};

}  // namespace ferry::testing
