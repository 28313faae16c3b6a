#include "support/s3_server.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <fmt/format.h>
#include <optional>
#include <sstream>

namespace ferry::testing {
namespace {

std::string hex(const unsigned char* bytes, size_t size) {
  std::string out;
  for (size_t i = 0; i < size; ++i) out += fmt::format("{:02x}", bytes[i]);
  return out;
}

std::string sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr);
  return hex(digest, length);
}

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &length);
  return std::string(reinterpret_cast<char*>(out), length);
}

std::string uriEncode(std::string_view text, bool keepSlash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/'))
      out += static_cast<char>(c);
    else
      out += fmt::format("%{:02X}", c);
  }
  return out;
}

// Decodes %XX only ('+' stays: S3 paths and SigV4 queries encode a space as %20).
std::string decodePath(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() + 0 && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> queryPairs(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  while (!query.empty()) {
    auto amp = query.find('&');
    auto part = query.substr(0, amp);
    if (!part.empty()) {
      auto eq = part.find('=');
      pairs.emplace_back(decodePath(part.substr(0, eq)), eq == std::string_view::npos ? "" : decodePath(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return pairs;
}

std::string xmlEscape(std::string_view text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

HttpResponse s3Error(int status, std::string code, std::string message) {
  HttpResponse response;
  response.status = status;
  response.body = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message></Error>",
                              code, xmlEscape(message));
  response.with("Content-Type", "application/xml");
  return response;
}

HttpResponse xml(std::string body) {
  HttpResponse response;
  response.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + body;
  response.with("Content-Type", "application/xml");
  return response;
}

std::string between(std::string_view text, std::string_view open, std::string_view close, size_t& from) {
  auto start = text.find(open, from);
  if (start == std::string_view::npos) return {};
  start += open.size();
  auto end = text.find(close, start);
  if (end == std::string_view::npos) return {};
  from = end + close.size();
  return std::string(text.substr(start, end - start));
}

std::string etagOf(std::string_view bytes) { return "\"" + sha256Hex(bytes).substr(0, 32) + "\""; }

}  // namespace

S3Server::S3Server() {
  server_ = std::make_unique<HttpServer>([this](const HttpRequest& request) { return handle(request); });
}

void S3Server::createBucket(const std::string& bucket) {
  std::lock_guard lock(mutex_);
  buckets_[bucket];
}

std::vector<std::string> S3Server::objectKeys(const std::string& bucket) const {
  std::lock_guard lock(mutex_);
  std::vector<std::string> keys;
  if (auto found = buckets_.find(bucket); found != buckets_.end())
    for (const auto& [key, bytes] : found->second) keys.push_back(key);
  return keys;
}

std::string S3Server::object(const std::string& bucket, const std::string& key) const {
  std::lock_guard lock(mutex_);
  return buckets_.at(bucket).at(key);
}

size_t S3Server::pendingUploads() const {
  std::lock_guard lock(mutex_);
  return uploads_.size();
}

std::optional<HttpResponse> S3Server::checkSignature(const HttpRequest& request) {
  auto authorization = request.header("authorization");
  const std::string algorithm = "AWS4-HMAC-SHA256 ";
  if (!authorization.starts_with(algorithm)) return s3Error(403, "AccessDenied", "anonymous requests are refused");
  std::map<std::string, std::string> fields;
  std::stringstream parts(authorization.substr(algorithm.size()));
  for (std::string field; std::getline(parts, field, ',');) {
    auto start = field.find_first_not_of(' ');
    auto eq = field.find('=');
    if (start == std::string::npos || eq == std::string::npos) continue;
    fields[field.substr(start, eq - start)] = field.substr(eq + 1);
  }
  auto credential = fields["Credential"];  // AK/DATE/REGION/s3/aws4_request
  auto slash = credential.find('/');
  auto accessKey = credential.substr(0, slash);
  if (accessKey != kAccessKey) {
    ++refusedSignatures_;
    return s3Error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  }
  auto scope = credential.substr(slash + 1);
  std::vector<std::string> scopeParts;
  std::stringstream scopeStream(scope);
  for (std::string piece; std::getline(scopeStream, piece, '/');) scopeParts.push_back(piece);
  if (scopeParts.size() != 4 || scopeParts[2] != "s3" || scopeParts[3] != "aws4_request")
    return s3Error(400, "AuthorizationHeaderMalformed", "bad credential scope " + scope);

  auto payloadHash = request.header("x-amz-content-sha256");
  if (payloadHash.empty()) return s3Error(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256");
  if (payloadHash != "UNSIGNED-PAYLOAD" && payloadHash != sha256Hex(request.body))
    return s3Error(400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");

  auto pairs = queryPairs(request.query);
  std::vector<std::pair<std::string, std::string>> encoded;
  for (const auto& [name, value] : pairs) encoded.emplace_back(uriEncode(name, false), uriEncode(value, false));
  std::sort(encoded.begin(), encoded.end());
  std::string canonicalQuery;
  for (const auto& [name, value] : encoded) canonicalQuery += (canonicalQuery.empty() ? "" : "&") + name + "=" + value;

  std::string signedHeaders = fields["SignedHeaders"];
  std::string canonicalHeaders;
  std::stringstream names(signedHeaders);
  for (std::string name; std::getline(names, name, ';');) {
    auto value = request.header(name);
    auto begin = value.find_first_not_of(' ');
    auto end = value.find_last_not_of(' ');
    value = begin == std::string::npos ? "" : value.substr(begin, end - begin + 1);
    canonicalHeaders += name + ":" + value + "\n";
  }
  if (signedHeaders.find("host") == std::string::npos || signedHeaders.find("x-amz-date") == std::string::npos)
    return s3Error(403, "AccessDenied", "host and x-amz-date must be signed");

  auto canonicalRequest = request.method + "\n" + uriEncode(decodePath(request.path), true) + "\n" + canonicalQuery +
                          "\n" + canonicalHeaders + "\n" + signedHeaders + "\n" + payloadHash;
  auto stringToSign = "AWS4-HMAC-SHA256\n" + request.header("x-amz-date") + "\n" + scope + "\n" + sha256Hex(canonicalRequest);
  auto key = hmac("AWS4" + std::string(kSecretKey), scopeParts[0]);
  key = hmac(key, scopeParts[1]);
  key = hmac(key, "s3");
  key = hmac(key, "aws4_request");
  auto expected = hmac(key, stringToSign);
  if (hex(reinterpret_cast<const unsigned char*>(expected.data()), expected.size()) != fields["Signature"]) {
    ++refusedSignatures_;
    return s3Error(403, "SignatureDoesNotMatch",
                   "The request signature we calculated does not match the signature you provided. Check your key "
                   "and signing method.");
  }
  return std::nullopt;
}

HttpResponse S3Server::handle(const HttpRequest& request) {
  if (auto refused = checkSignature(request)) return *refused;
  auto path = decodePath(request.path);
  if (!path.starts_with("/")) return s3Error(400, "InvalidURI", "bad path");
  auto slash = path.find('/', 1);
  std::string bucket = path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1);
  std::string key = slash == std::string::npos ? "" : path.substr(slash + 1);
  std::map<std::string, std::string> query;
  for (auto& [name, value] : queryPairs(request.query)) query[name] = value;

  std::lock_guard lock(mutex_);
  auto found = buckets_.find(bucket);
  if (found == buckets_.end()) return s3Error(404, "NoSuchBucket", "The specified bucket does not exist");
  auto& objects = found->second;

  if (key.empty()) {
    if (request.method != "GET" || query["list-type"] != "2")
      return s3Error(501, "NotImplemented", "only ListObjectsV2 on a bucket");
    auto prefix = query["prefix"];
    auto delimiter = query["delimiter"];
    int maxKeys = std::min(maxKeys_.load(), query.count("max-keys") ? std::stoi(query["max-keys"]) : 1000);
    auto start = query["continuation-token"];
    std::string contents;
    std::set<std::string> prefixes;
    int count = 0;
    bool truncated = false;
    std::string next;
    for (auto it = start.empty() ? objects.begin() : objects.upper_bound(start); it != objects.end(); ++it) {
      if (!it->first.starts_with(prefix)) continue;
      if (!delimiter.empty()) {
        auto cut = it->first.find(delimiter, prefix.size());
        if (cut != std::string::npos) {
          prefixes.insert(it->first.substr(0, cut + delimiter.size()));
          continue;
        }
      }
      if (count == maxKeys) {
        truncated = true;
        break;
      }
      contents += fmt::format("<Contents><Key>{}</Key><Size>{}</Size><ETag>{}</ETag></Contents>", xmlEscape(it->first),
                              it->second.size(), xmlEscape(etagOf(it->second)));
      next = it->first;
      ++count;
    }
    std::string common;
    for (const auto& p : prefixes) common += "<CommonPrefixes><Prefix>" + xmlEscape(p) + "</Prefix></CommonPrefixes>";
    return xml(fmt::format("<ListBucketResult><Name>{}</Name><Prefix>{}</Prefix><KeyCount>{}</KeyCount>"
                           "<MaxKeys>{}</MaxKeys><IsTruncated>{}</IsTruncated>{}{}{}</ListBucketResult>",
                           bucket, xmlEscape(prefix), count, maxKeys, truncated ? "true" : "false",
                           truncated ? "<NextContinuationToken>" + xmlEscape(next) + "</NextContinuationToken>" : "",
                           contents, common));
  }

  if (request.method == "POST" && query.count("uploads")) {
    auto id = fmt::format("upload-{}", nextUpload_++);
    uploads_[id] = Upload{bucket, key, {}};
    return xml(fmt::format("<InitiateMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key><UploadId>{}</UploadId>"
                           "</InitiateMultipartUploadResult>",
                           bucket, xmlEscape(key), id));
  }
  if (query.count("uploadId")) {
    auto upload = uploads_.find(query["uploadId"]);
    if (upload == uploads_.end() || upload->second.key != key || upload->second.bucket != bucket)
      return s3Error(404, "NoSuchUpload", "The specified multipart upload does not exist.");
    if (request.method == "PUT") {
      if (failParts_) return s3Error(500, "InternalError", "We encountered an internal error. Please try again.");
      int number = std::stoi(query["partNumber"]);
      if (number < 1 || number > 10000) return s3Error(400, "InvalidArgument", "Part number must be 1 to 10000");
      upload->second.parts[number] = request.body;
      ++partsUploaded_;
      return HttpResponse{}.with("ETag", etagOf(request.body));
    }
    if (request.method == "DELETE") {
      uploads_.erase(upload);
      ++aborted_;
      return HttpResponse{.status = 204};
    }
    if (request.method == "POST") {
      std::string assembled;
      size_t at = 0;
      int expectedNumber = 1;
      std::vector<int> numbers;
      for (;;) {
        auto part = between(request.body, "<Part>", "</Part>", at);
        if (part.empty()) break;
        size_t inner = 0;
        int number = std::stoi(between(part, "<PartNumber>", "</PartNumber>", inner));
        inner = 0;
        auto etag = between(part, "<ETag>", "</ETag>", inner);
        auto stored = upload->second.parts.find(number);
        if (number != expectedNumber++ || stored == upload->second.parts.end() || etagOf(stored->second) != etag)
          return s3Error(400, "InvalidPart", fmt::format("part {} is not the one uploaded", number));
        numbers.push_back(number);
      }
      if (numbers.empty()) return s3Error(400, "MalformedXML", "no parts");
      for (size_t i = 0; i + 1 < numbers.size(); ++i)
        if (static_cast<int64_t>(upload->second.parts[numbers[i]].size()) < kMinPartSize)
          return s3Error(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed object size.");
      for (int number : numbers) assembled += upload->second.parts[number];
      objects[key] = std::move(assembled);
      uploads_.erase(upload);
      ++completed_;
      return xml(fmt::format("<CompleteMultipartUploadResult><Bucket>{}</Bucket><Key>{}</Key><ETag>{}</ETag>"
                             "</CompleteMultipartUploadResult>",
                             bucket, xmlEscape(key), xmlEscape(etagOf(objects[key]))));
    }
  }
  if (request.method == "PUT") {
    objects[key] = request.body;
    return HttpResponse{}.with("ETag", etagOf(request.body));
  }
  auto object = objects.find(key);
  if (request.method == "DELETE") {
    if (object != objects.end()) objects.erase(object);
    return HttpResponse{.status = 204};
  }
  if (object == objects.end()) {
    if (request.method == "HEAD") return HttpResponse{.status = 404};
    return s3Error(404, "NoSuchKey", "The specified key does not exist.");
  }
  const auto& bytes = object->second;
  if (request.method == "HEAD")
    return HttpResponse{}.with("Content-Length", std::to_string(bytes.size())).with("ETag", etagOf(bytes));
  if (request.method != "GET") return s3Error(405, "MethodNotAllowed", "The specified method is not allowed.");
  auto range = request.header("range");
  if (range.empty()) return HttpResponse{.status = 200, .headers = {{"ETag", etagOf(bytes)}}, .body = bytes};
  ++rangedGets_;
  int64_t first = 0, last = 0;
  if (std::sscanf(range.c_str(), "bytes=%ld-%ld", &first, &last) != 2 || first > last ||
      first >= static_cast<int64_t>(bytes.size()))
    return s3Error(416, "InvalidRange", "The requested range is not satisfiable");
  last = std::min<int64_t>(last, static_cast<int64_t>(bytes.size()) - 1);
  HttpResponse response;
  response.status = 206;
  response.body = bytes.substr(static_cast<size_t>(first), static_cast<size_t>(last - first + 1));
  response.with("Content-Range", fmt::format("bytes {}-{}/{}", first, last, bytes.size()));
  return response;
}

}  // namespace ferry::testing
