#include "ferry/s3/s3_client.h"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>

#include "ferry/base/error.h"
#include "ferry/digest/digest.h"

namespace ferry {
namespace {

std::mutex overridesMutex;
S3Overrides overrides;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : std::string();
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r");
  return std::string(text.substr(begin, end - begin + 1));
}

// The AWS files are small INI files; ferry reads at most this much of each (docs/limits.md).
constexpr std::streamsize kLargestAwsFile = 1 << 20;

// The keys of section `section` in the INI file `path` (empty when the file or section is absent).
std::map<std::string, std::string> iniSection(const std::string& path, const std::string& section) {
  std::map<std::string, std::string> values;
  std::ifstream in(path);
  if (!in) return values;
  std::string text(static_cast<size_t>(kLargestAwsFile) + 1, '\0');
  in.read(text.data(), kLargestAwsFile + 1);
  text.resize(static_cast<size_t>(in.gcount()));
  if (static_cast<std::streamsize>(text.size()) > kLargestAwsFile)
    fail(ErrorKind::Limit, "'{}' is larger than {} bytes, more than ferry reads of an AWS configuration file", path,
         kLargestAwsFile);
  std::istringstream lines(text);
  std::string line;
  bool inSection = false;
  while (std::getline(lines, line)) {
    auto clean = trim(line);
    if (clean.empty() || clean[0] == '#' || clean[0] == ';') continue;
    if (clean.front() == '[' && clean.back() == ']') {
      inSection = trim(std::string_view(clean).substr(1, clean.size() - 2)) == section;
      continue;
    }
    if (!inSection) continue;
    auto equals = clean.find('=');
    if (equals == std::string::npos) continue;
    values[trim(std::string_view(clean).substr(0, equals))] = trim(std::string_view(clean).substr(equals + 1));
  }
  return values;
}

std::string homeFile(const char* variable, const char* relative) {
  if (auto set = environment(variable); !set.empty()) return set;
  auto home = environment("HOME");
  return home.empty() ? std::string() : home + "/" + relative;
}

bool isAws(const std::string& endpoint) { return endpoint.find(".amazonaws.com") != std::string::npos; }

std::string decodeEntities(std::string text) {
  static const std::pair<std::string_view, char> entities[] = {
      {"&quot;", '"'}, {"&apos;", '\''}, {"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}};
  for (const auto& [entity, c] : entities)
    for (size_t at = text.find(entity); at != std::string::npos; at = text.find(entity, at + 1))
      text.replace(at, entity.size(), 1, c);
  return text;
}

std::string sha256Hex(std::string_view bytes) { return std::string(Digest::sha256Of(bytes).hex()); }

}  // namespace

bool isS3Url(std::string_view text) { return text.starts_with("s3://"); }

std::optional<S3Location> S3Location::parse(std::string_view text) {
  if (!isS3Url(text)) return std::nullopt;
  auto rest = text.substr(5);
  auto slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) location.prefix = std::string(rest.substr(slash + 1));
  while (location.prefix.ends_with('/')) location.prefix.pop_back();
  bool bucketOk = location.bucket.size() >= 3 && location.bucket.size() <= 63;
  for (char c : location.bucket)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-' ||
          c == '.'))
      bucketOk = false;
  if (!bucketOk)
    fail(ErrorKind::InvalidInput,
         "'{}' does not name an S3 bucket: give s3://BUCKET/PREFIX, BUCKET 3 to 63 lower-case letters, digits, "
         "'-' or '.'",
         text);
  if (location.prefix.starts_with('/') || location.prefix.find("//") != std::string::npos)
    fail(ErrorKind::InvalidInput, "'{}': the prefix after the bucket must not start with '/' or hold '//'", text);
  return location;
}

std::string S3Location::key(std::string_view name) const {
  return prefix.empty() ? std::string(name) : prefix + "/" + std::string(name);
}

std::string S3Location::str() const { return "s3://" + bucket + (prefix.empty() ? "" : "/" + prefix); }

void setS3Overrides(S3Overrides given) {
  std::lock_guard lock(overridesMutex);
  overrides = std::move(given);
}

S3Settings S3Settings::resolve() {
  S3Overrides flags;
  {
    std::lock_guard lock(overridesMutex);
    flags = overrides;
  }
  S3Settings settings;
  std::string profile = environment("AWS_PROFILE");
  if (profile.empty()) profile = "default";
  auto credentialsFile = homeFile("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials");
  auto configFile = homeFile("AWS_CONFIG_FILE", ".aws/config");
  auto credentials = credentialsFile.empty() ? std::map<std::string, std::string>{} : iniSection(credentialsFile, profile);
  auto config = configFile.empty() ? std::map<std::string, std::string>{}
                                   : iniSection(configFile, profile == "default" ? profile : "profile " + profile);
  auto fromFiles = [&](const std::string& key) {
    if (auto found = credentials.find(key); found != credentials.end()) return found->second;
    if (auto found = config.find(key); found != config.end()) return found->second;
    return std::string();
  };

  settings.accessKeyId = environment("AWS_ACCESS_KEY_ID");
  settings.secretAccessKey = environment("AWS_SECRET_ACCESS_KEY");
  if (!settings.accessKeyId.empty() && !settings.secretAccessKey.empty()) {
    settings.sessionToken = environment("AWS_SESSION_TOKEN");
    settings.credentialSource = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";
  } else {
    settings.accessKeyId = fromFiles("aws_access_key_id");
    settings.secretAccessKey = fromFiles("aws_secret_access_key");
    settings.sessionToken = fromFiles("aws_session_token");
    settings.credentialSource = fmt::format("profile '{}' in {}", profile, credentialsFile);
  }
  if (settings.accessKeyId.empty() || settings.secretAccessKey.empty())
    fail(ErrorKind::Unauthorized,
         "no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary "
         "ones), or give profile '{}' aws_access_key_id and aws_secret_access_key in {} (AWS_PROFILE picks another)",
         profile, credentialsFile.empty() ? "~/.aws/credentials" : credentialsFile);

  settings.region = flags.region;
  for (const char* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"})
    if (settings.region.empty()) settings.region = environment(variable);
  if (settings.region.empty()) settings.region = fromFiles("region");
  if (settings.region.empty()) settings.region = "us-east-1";

  settings.endpoint = flags.endpoint;
  for (const char* variable : {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"})
    if (settings.endpoint.empty()) settings.endpoint = environment(variable);
  if (settings.endpoint.empty()) settings.endpoint = fromFiles("endpoint_url");
  if (settings.endpoint.empty()) settings.endpoint = fmt::format("https://s3.{}.amazonaws.com", settings.region);
  while (settings.endpoint.ends_with('/')) settings.endpoint.pop_back();
  if (!settings.endpoint.starts_with("http://") && !settings.endpoint.starts_with("https://"))
    fail(ErrorKind::InvalidInput, "S3 endpoint '{}' must start with http:// or https:// (--s3-endpoint, "
         "AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)", settings.endpoint);
  settings.pathStyle = flags.pathStyle.value_or(!isAws(settings.endpoint));
  settings.partSize = flags.partSize;
  if (flags.retry) settings.retry = *flags.retry;
  settings.warn = flags.warn;
  return settings;
}

std::string s3Encode(std::string_view text, bool keepSlash) {
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("%{:02X}", c);
    }
  }
  return out;
}

std::string xmlValue(std::string_view xml, std::string_view name, size_t* from) {
  auto open = "<" + std::string(name) + ">";
  auto close = "</" + std::string(name) + ">";
  auto start = xml.find(open, from ? *from : 0);
  if (start == std::string_view::npos) return {};
  start += open.size();
  auto end = xml.find(close, start);
  if (end == std::string_view::npos) return {};
  if (from) *from = end + close.size();
  return decodeEntities(std::string(xml.substr(start, end - start)));
}

S3Client::S3Client(S3Settings settings, std::string bucket)
    : settings_(std::move(settings)),
      bucket_(std::move(bucket)),
      http_(TlsSettings{}),
      retrier_("s3://" + bucket_, originOf(settings_.endpoint), settings_.retry, settings_.warn) {}

std::string S3Client::describe(std::string_view key) const {
  return fmt::format("s3://{}/{} at {}", bucket_, key, settings_.endpoint);
}

std::string S3Client::url(const std::string& key, const std::string& query) const {
  std::string base;
  if (settings_.pathStyle) {
    base = settings_.endpoint + "/" + bucket_;
  } else {
    auto scheme = settings_.endpoint.find("://") + 3;
    base = settings_.endpoint.substr(0, scheme) + bucket_ + "." + settings_.endpoint.substr(scheme);
  }
  std::string path = key.empty() ? (settings_.pathStyle ? "" : "/") : "/" + s3Encode(key, true);
  return base + path + (query.empty() ? "" : "?" + query);
}

HttpResponse S3Client::send(const Call& call) {
  return retrier_.run([&](int) {
    HttpRequest request;
    request.method = call.method;
    request.url = url(call.key, call.query);
    request.headers = call.headers;
    request.headers.push_back("x-amz-content-sha256: " + sha256Hex(call.body));
    if (!settings_.sessionToken.empty()) request.headers.push_back("x-amz-security-token: " + settings_.sessionToken);
    request.bodyView = call.body;
    request.onBody = call.onBody;
    request.onHead = call.onHead;
    request.expectedBytes = std::max<int64_t>(call.expectedBytes, static_cast<int64_t>(call.body.size()));
    request.awsSigV4 = "aws:amz:" + settings_.region + ":s3";
    request.awsCredentials = settings_.accessKeyId + ":" + settings_.secretAccessKey;
    auto answer = http_.attempt(request);
    if (answer.status > 0) contacted_ = true;
    return answer;
  }, !contacted_);
}

void S3Client::failed(const Call& call, const HttpResponse& response) const {
  auto what = fmt::format("{} {}", call.method, describe(call.subject.empty() ? call.key : call.subject));
  if (response.failure != TransportFailure::None)
    failUnreached(response, fmt::format("cannot reach S3 endpoint {} ({})", settings_.endpoint, what),
                  "check the endpoint (--s3-endpoint, AWS_ENDPOINT_URL_S3) and the network");
  auto code = xmlValue(response.body, "Code");
  auto message = xmlValue(response.body, "Message");
  auto detail = code.empty() ? fmt::format("HTTP {}", response.status)
                             : fmt::format("HTTP {} {}{}", response.status, code, message.empty() ? "" : ": " + message);
  if (response.status == 401 || response.status == 403 || code == "InvalidAccessKeyId" ||
      code == "SignatureDoesNotMatch" || code == "AccessDenied")
    fail(ErrorKind::Unauthorized,
         "S3 refused {}: {}; check the credentials ({}, key id {}) are right for bucket '{}' at {} and may read "
         "and write it, and the region ({}: AWS_REGION or --s3-region)",
         what, detail, settings_.credentialSource, settings_.accessKeyId, bucket_, settings_.endpoint,
         settings_.region);
  if (code == "NoSuchBucket")
    fail(ErrorKind::NotFound, "S3 bucket '{}' does not exist at {} ({}); create it first, or check the name and "
         "--s3-endpoint", bucket_, settings_.endpoint, what);
  if (response.status == 404 || code == "NoSuchKey" || code == "NoSuchUpload")
    fail(ErrorKind::NotFound, "{}: not found ({})", what, detail);
  fail("S3 {} failed: {}", what, detail);
}

void S3Client::putObject(const std::string& key, std::string_view bytes) {
  Call call{.method = "PUT", .key = key, .body = bytes};
  auto response = send(call);
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
}

std::optional<int64_t> S3Client::objectSize(const std::string& key) {
  Call call{.method = "HEAD", .key = key};
  auto response = send(call);
  if (response.failure == TransportFailure::None && response.status == 404) return std::nullopt;
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
  try {
    return std::stoll(response.header("content-length"));
  } catch (const std::exception&) {
    fail("S3 HEAD {} answered no Content-Length", describe(key));
  }
}

void S3Client::getRange(const std::string& key, int64_t offset, int64_t size,
                        const std::function<bool(const char*, size_t)>& consume) {
  if (size <= 0) return;
  int64_t done = 0;
  bool stopped = false;
  Call call{.method = "GET", .key = key};
  call.expectedBytes = size;
  auto response = retrier_.run([&](int) {
    HttpRequest request;
    request.method = "GET";
    request.url = url(key, "");
    request.headers.push_back(fmt::format("Range: bytes={}-{}", offset + done, offset + size - 1));
    request.headers.push_back("x-amz-content-sha256: " + sha256Hex(""));
    if (!settings_.sessionToken.empty()) request.headers.push_back("x-amz-security-token: " + settings_.sessionToken);
    request.awsSigV4 = "aws:amz:" + settings_.region + ":s3";
    request.awsCredentials = settings_.accessKeyId + ":" + settings_.secretAccessKey;
    request.expectedBytes = size - done;
    request.onHead = [&](const HttpResponse& head) {
      if (head.status / 100 != 2) return true;  // the error body is collected
      if (head.status != 206 || contentRangeStart(head.header("content-range")) != offset + done) return false;
      return true;
    };
    request.onBody = [&](const char* data, size_t length) {
      length = static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(length), size - done));
      if (!consume(data, length)) {
        stopped = true;
        return false;
      }
      done += static_cast<int64_t>(length);
      return true;
    };
    auto answer = http_.attempt(request);
    if (answer.status > 0) contacted_ = true;
    if (stopped) {  // the consumer stopped the transfer: not a failure to ask again for
      answer.failure = TransportFailure::None;
      answer.status = 206;
      return answer;
    }
    // A body cut short is asked again from where it stopped (the retry's Range).
    if (answer.failure == TransportFailure::None && answer.status / 100 == 2 && done < size && !stopped &&
        !answer.abandoned) {
      answer.failure = TransportFailure::Interrupted;
      answer.failureDetail = fmt::format("the answer ended after {} of {} bytes", done, size);
    }
    return answer;
  }, !contacted_);
  if (stopped) return;
  if (response.abandoned)
    fail("S3 GET {} did not answer the range asked for (bytes {}-{}); the store must support ranged GETs",
         describe(key), offset + done, offset + size - 1);
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
  if (done != size) fail("S3 GET {}: {} of {} bytes arrived", describe(key), done, size);
}

std::string S3Client::getRangeBytes(const std::string& key, int64_t offset, int64_t size) {
  std::string bytes;
  bytes.reserve(static_cast<size_t>(std::max<int64_t>(size, 0)));
  getRange(key, offset, size, [&](const char* data, size_t length) {
    bytes.append(data, length);
    return true;
  });
  return bytes;
}

std::vector<S3Object> S3Client::list(const std::string& prefix, const std::string& delimiter) {
  std::vector<S3Object> objects;
  std::string token;
  for (;;) {
    std::vector<std::pair<std::string, std::string>> parameters;
    if (!token.empty()) parameters.emplace_back("continuation-token", token);
    if (!delimiter.empty()) parameters.emplace_back("delimiter", delimiter);
    parameters.emplace_back("list-type", "2");
    parameters.emplace_back("max-keys", "1000");
    parameters.emplace_back("prefix", prefix);
    std::string query;
    for (const auto& [name, value] : parameters) query += (query.empty() ? "" : "&") + name + "=" + s3Encode(value, false);
    Call call{.method = "GET", .key = "", .query = query, .subject = prefix};
    auto response = send(call);
    if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
    size_t at = 0;
    for (;;) {
      auto contents = xmlValue(response.body, "Contents", &at);
      if (contents.empty()) break;
      S3Object object{.key = xmlValue(contents, "Key")};
      try {
        object.size = std::stoll(xmlValue(contents, "Size"));
      } catch (const std::exception&) {
        fail("S3 listing of {} has an object '{}' without a size", describe(prefix), object.key);
      }
      objects.push_back(std::move(object));
      if (objects.size() > kMaxS3ListedObjects)
        fail(ErrorKind::Limit, "S3 prefix {} holds more than {} objects, more than ferry lists for an archive; "
             "give each archive a prefix of its own", describe(prefix), kMaxS3ListedObjects);
    }
    if (xmlValue(response.body, "IsTruncated") != "true") break;
    auto next = xmlValue(response.body, "NextContinuationToken");
    if (next.empty() || next == token)
      fail("S3 listing of {} says it is truncated but gives no new continuation token", describe(prefix));
    token = next;
  }
  return objects;
}

void S3Client::deleteObject(const std::string& key) {
  Call call{.method = "DELETE", .key = key};
  auto response = send(call);
  if (response.failure != TransportFailure::None || (response.status / 100 != 2 && response.status != 404))
    failed(call, response);
}

std::string S3Client::createMultipartUpload(const std::string& key) {
  Call call{.method = "POST", .key = key, .query = "uploads="};
  auto response = send(call);
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
  auto id = xmlValue(response.body, "UploadId");
  if (id.empty()) fail("S3 CreateMultipartUpload of {} answered no UploadId", describe(key));
  return id;
}

std::string S3Client::uploadPart(const std::string& key, const std::string& uploadId, int number,
                                 std::string_view bytes) {
  Call call{.method = "PUT", .key = key,
            .query = fmt::format("partNumber={}&uploadId={}", number, s3Encode(uploadId, false)), .body = bytes};
  auto response = send(call);
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
  auto etag = response.header("etag");
  if (etag.empty()) fail("S3 UploadPart {} of {} answered no ETag", number, describe(key));
  return etag;
}

void S3Client::completeMultipartUpload(const std::string& key, const std::string& uploadId,
                                       const std::vector<std::string>& etags) {
  std::string xml = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i)
    xml += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>", i + 1, etags[i]);
  xml += "</CompleteMultipartUpload>";
  Call call{.method = "POST", .key = key, .query = "uploadId=" + s3Encode(uploadId, false), .body = xml};
  call.headers.push_back("Content-Type: application/xml");
  auto response = send(call);
  if (response.failure != TransportFailure::None || response.status / 100 != 2) failed(call, response);
  // S3 may answer 200 with an error document when the assembly fails late.
  if (response.body.find("<Error>") != std::string::npos) failed(call, HttpResponse{.status = 500, .body = response.body});
}

std::string S3Client::abortMultipartUpload(const std::string& key, const std::string& uploadId) {
  Call call{.method = "DELETE", .key = key, .query = "uploadId=" + s3Encode(uploadId, false)};
  try {
    auto response = send(call);
    if (response.failure == TransportFailure::None && (response.status / 100 == 2 || response.status == 404))
      return {};
    failed(call, response);
  } catch (const Error& e) {
    return e.what();
  }
}

}  // namespace ferry
