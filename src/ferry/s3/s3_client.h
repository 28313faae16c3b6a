// S3-compatible object storage, for archives (docs/scale.md): the few calls an
// archive needs, each retried by ferry's HTTP layer (ferry/http/retry.h).
//
//   auto location = S3Location::parse("s3://bucket/archives/nightly");
//   S3Client s3(S3Settings::resolve(location->bucket));
//   auto upload = s3.createMultipartUpload(location->key("mirror_000001.tar"));
//   ... s3.uploadPart(key, upload, 1, bytes) ... s3.completeMultipartUpload(key, upload, etags);
//   s3.getRange(key, offset, size, consume);
//
// Requests are signed with AWS Signature Version 4 by libcurl (CURLOPT_AWS_SIGV4);
// every request carries x-amz-content-sha256 with the real sha256 of its body
// (the bodies are in memory: a part buffer, or a small XML document), which AWS
// and every S3-compatible store accept, so no UNSIGNED-PAYLOAD is needed.
//
// Credentials, region and endpoint come as the AWS CLI finds them (resolve()):
// AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the
// profile (AWS_PROFILE, "default") in ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE)
// and ~/.aws/config (AWS_CONFIG_FILE); AWS_REGION, AWS_DEFAULT_REGION, the
// profile's region, else us-east-1; --s3-endpoint, AWS_ENDPOINT_URL_S3,
// AWS_ENDPOINT_URL, the profile's endpoint_url, else AWS
// (https://s3.REGION.amazonaws.com). Virtual-hosted addressing on AWS,
// path-style (http://host/bucket/key) for any other endpoint unless
// --s3-path-style=false says otherwise.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/http/retry.h"

namespace ferry {

// "s3://bucket/prefix": where an archive's parts live (prefix/mirror_000001.tar, …).
struct S3Location {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; may be empty

  // nullopt unless `text` starts with "s3://"; throws Error for a malformed one.
  static std::optional<S3Location> parse(std::string_view text);
  // The key of `name` under the prefix.
  std::string key(std::string_view name) const;
  std::string str() const;  // "s3://bucket/prefix"
};

bool isS3Url(std::string_view text);

// What the command line says (--s3-endpoint, --s3-path-style, --s3-region);
// they win over the environment. Set once, before any S3Settings::resolve.
struct S3Overrides {
  std::string endpoint;
  std::optional<bool> pathStyle;
  std::string region;
  int64_t partSize = 0;  // --s3-part-size: bytes per multipart upload part; 0: the default (16 MiB)
  std::optional<RetryPolicy> retry;  // --retry-times, --retry-delay
  std::function<void(const std::string&)> warn;  // each retry, as a line for the user
};
void setS3Overrides(S3Overrides overrides);

struct S3Settings {
  std::string endpoint;  // "https://s3.us-east-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  std::string accessKeyId;
  std::string secretAccessKey;
  std::string sessionToken;
  bool pathStyle = true;
  int64_t partSize = 0;
  // Where the credentials came from, for messages ("AWS_ACCESS_KEY_ID", "profile 'ci' in ~/.aws/credentials").
  std::string credentialSource;
  RetryPolicy retry;
  std::function<void(const std::string&)> warn;

  // From the overrides, the environment and the AWS files, as above. Throws
  // Error naming the variables and files looked at when no credentials are found.
  static S3Settings resolve();
};

struct S3Object {
  std::string key;
  int64_t size = 0;
};

// The default --s3-part-size: bytes per multipart upload part.
inline constexpr int64_t kDefaultS3PartSize = int64_t{16} << 20;

// The largest listing ferry reads (ListObjectsV2 pages of 1000): an archive prefix
// holding more objects is refused (docs/limits.md).
inline constexpr size_t kMaxS3ListedObjects = 100000;

class S3Client {
 public:
  S3Client(S3Settings settings, std::string bucket);

  const std::string& bucket() const { return bucket_; }
  const S3Settings& settings() const { return settings_; }
  // "s3://bucket/key at ENDPOINT", for messages.
  std::string describe(std::string_view key) const;

  void putObject(const std::string& key, std::string_view bytes);
  // The object's size, or nullopt when there is none.
  std::optional<int64_t> objectSize(const std::string& key);
  // Streams `size` bytes from `offset` of the object to `consume` (ranged GETs,
  // resumed where a broken one stopped); stops early when it returns false.
  void getRange(const std::string& key, int64_t offset, int64_t size,
                const std::function<bool(const char*, size_t)>& consume);
  std::string getRangeBytes(const std::string& key, int64_t offset, int64_t size);
  // The objects whose keys start with `prefix`, paginated, at most kMaxS3ListedObjects
  // (an Error of kind Limit beyond). `delimiter` "/" leaves out deeper "folders".
  std::vector<S3Object> list(const std::string& prefix, const std::string& delimiter = "/");
  void deleteObject(const std::string& key);

  std::string createMultipartUpload(const std::string& key);
  // Uploads part `number` (1..10000); returns its ETag.
  std::string uploadPart(const std::string& key, const std::string& uploadId, int number, std::string_view bytes);
  void completeMultipartUpload(const std::string& key, const std::string& uploadId,
                               const std::vector<std::string>& etags);
  // Best effort (an error is returned, not thrown): the store drops the parts uploaded so far.
  std::string abortMultipartUpload(const std::string& key, const std::string& uploadId);

  int64_t retryCount() const { return retrier_.count(); }

 private:
  struct Call {
    std::string method = "GET";
    std::string key;    // empty: the bucket
    std::string query;  // canonical: sorted, encoded
    std::string subject;  // what messages name when not the key (a listing's prefix)
    std::string_view body;
    std::vector<std::string> headers;
    std::function<bool(const char*, size_t)> onBody;
    std::function<bool(const HttpResponse&)> onHead;
    int64_t expectedBytes = 0;
  };
  HttpResponse send(const Call& call);
  std::string url(const std::string& key, const std::string& query) const;
  // Throws the Error for an answer that is not 2xx (or a transport failure).
  [[noreturn]] void failed(const Call& call, const HttpResponse& response) const;

  S3Settings settings_;
  std::string bucket_;
  HttpClient http_;
  Retrier retrier_;
  // Whether the endpoint ever answered: before that, a refused connection fails at once (a wrong endpoint).
  std::atomic<bool> contacted_{false};
};

// Percent-encodes as SigV4 wants (RFC 3986 unreserved kept; '/' kept when `keepSlash`).
std::string s3Encode(std::string_view text, bool keepSlash);
// The value of the first <name>…</name> in an XML answer (entities decoded), or "".
std::string xmlValue(std::string_view xml, std::string_view name, size_t* from = nullptr);

}  // namespace ferry
