#include "support/token_server.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::testing {
namespace {

std::string base32NoPadding(const unsigned char* data, size_t size) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 5) {
      out += kAlphabet[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += kAlphabet[(buffer << (5 - bits)) & 31];
  return out;
}

std::string rfc3339(std::time_t time) {
  std::tm utc{};
  ::gmtime_r(&time, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::vector<std::string> splitOn(const std::string& text, char separator) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

HttpResponse jsonResponse(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  response.headers.emplace_back("Content-Type", "application/json");
  return response;
}

HttpResponse errorResponse(int status, const std::string& code, const std::string& message) {
  return jsonResponse(status, {{"errors", {{{"code", code}, {"message", message}}}}});
}

}  // namespace

// The private key and its `kid`, loaded once.
struct TokenServer::Signer {
  EVP_PKEY* key = nullptr;
  std::string keyId;

  Signer(const std::filesystem::path& keyFile, const std::filesystem::path& certFile) {
    auto pem = readFile(keyFile);
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key) fail("cannot load the token signing key '{}': not a PEM private key", keyFile.string());
    keyId = libtrustKeyId(certFile);
  }
  ~Signer() { EVP_PKEY_free(key); }

  std::string sign(const std::string& input) const {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    size_t size = 0;
    std::string signature;
    bool ok = EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key) == 1 &&
              EVP_DigestSign(context, nullptr, &size, reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
    if (ok) {
      signature.resize(size);
      ok = EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &size,
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
      signature.resize(size);
    }
    EVP_MD_CTX_free(context);
    if (!ok) fail("cannot sign a test bearer token: OpenSSL EVP_DigestSign failed");
    return signature;
  }
};

std::string libtrustKeyId(const std::filesystem::path& certificatePem) {
  auto pem = readFile(certificatePem);
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* certificate = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!certificate) fail("cannot compute a key ID for '{}': not a PEM certificate", certificatePem.string());
  unsigned char* der = nullptr;
  int length = i2d_PUBKEY(X509_get0_pubkey(certificate), &der);
  X509_free(certificate);
  if (length <= 0) fail("cannot compute a key ID for '{}': cannot encode its public key", certificatePem.string());
  unsigned char hash[EVP_MAX_MD_SIZE];
  unsigned int hashLength = 0;
  EVP_Digest(der, static_cast<size_t>(length), hash, &hashLength, EVP_sha256(), nullptr);
  OPENSSL_free(der);

  auto encoded = base32NoPadding(hash, 30);
  std::string keyId;
  for (size_t i = 0; i < encoded.size(); i += 4) {
    if (!keyId.empty()) keyId += ':';
    keyId += encoded.substr(i, 4);
  }
  return keyId;
}

AccessGrant parseScope(const std::string& scope) {
  auto first = scope.find(':');
  auto last = scope.rfind(':');
  if (first == std::string::npos || first == last) {
    fail("invalid token scope '{}': expected type:name:actions", scope);
  }
  return AccessGrant{scope.substr(0, first), scope.substr(first + 1, last - first - 1),
                     splitOn(scope.substr(last + 1), ',')};
}

TokenServer::TokenServer(TokenServerConfig config)
    : config_(std::move(config)), signer_(std::make_unique<Signer>(config_.signingKey, config_.signingCert)) {
  server_ = std::make_unique<HttpServer>([this](const HttpRequest& request) { return handle(request); });
}

TokenServer::~TokenServer() { server_->stop(); }

int TokenServer::port() const { return server_->port(); }
std::string TokenServer::realm() const { return server_->url() + "/token"; }

std::vector<TokenRequestRecord> TokenServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::string TokenServer::issueToken(const std::string& subject, const std::vector<AccessGrant>& access) const {
  auto now = std::time(nullptr);
  nlohmann::json accessJson = nlohmann::json::array();
  for (const auto& grant : access) {
    accessJson.push_back({{"type", grant.type}, {"name", grant.name}, {"actions", grant.actions}});
  }
  thread_local std::mt19937_64 random{std::random_device{}()};
  nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"}, {"kid", signer_->keyId}};
  nlohmann::json claims = {{"iss", config_.issuer},
                           {"sub", subject},
                           {"aud", config_.service},
                           {"exp", now + lifetimeSeconds_.load()},
                           {"nbf", now - 10},  // tolerate a little clock skew
                           {"iat", now},
                           {"jti", fmt::format("{:016x}", random())},
                           {"access", accessJson}};
  auto input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims.dump());
  return input + "." + base64UrlEncode(signer_->sign(input));
}

HttpResponse TokenServer::handle(const HttpRequest& request) {
  if (request.path != "/token") return errorResponse(404, "NOT_FOUND", "the token endpoint is /token");
  if (request.method != "GET" && request.method != "POST")
    return errorResponse(405, "UNSUPPORTED", "GET or POST /token only");
  ++requestCount_;

  TokenRequestRecord record;
  record.method = request.method;
  std::string service;
  std::string refreshToken;
  // GET: the query; POST: the OAuth2 form in the body.
  for (const auto& [name, value] : parseQuery(request.method == "POST" ? request.body : request.query)) {
    if (name == "service") service = value;
    if (name == "scope") {
      for (auto& scope : splitOn(value, ' ')) record.scopes.push_back(scope);
    }
    if (name == "grant_type") record.grantType = value;
    if (name == "client_id") record.clientId = value;
    if (name == "refresh_token") refreshToken = value;
  }

  auto authorization = request.header("authorization");
  bool authenticated = false;
  if (request.method == "POST") {
    std::string problem;
    if (record.grantType != "refresh_token") problem = "only grant_type=refresh_token is served";
    else if (record.clientId.empty()) problem = "client_id is required";
    else if (refreshToken != config_.refreshToken) problem = "invalid_grant";
    if (!problem.empty()) {
      record.status = 400;
      std::lock_guard lock(mutex_);
      requests_.push_back(record);
      return jsonResponse(400, {{"error", problem == "invalid_grant" ? "invalid_grant" : "invalid_request"},
                                {"error_description", problem}});
    }
    authenticated = true;
    record.account = config_.username;
  } else if (!authorization.empty()) {
    std::optional<std::string> credentials;
    if (authorization.starts_with("Basic ")) credentials = base64Decode(authorization.substr(6));
    authenticated = credentials && *credentials == config_.username + ":" + config_.password;
    if (!authenticated) {
      record.account = credentials ? credentials->substr(0, credentials->find(':')) : "?";
      record.status = 401;
      std::lock_guard lock(mutex_);
      requests_.push_back(record);
      return errorResponse(401, "UNAUTHORIZED", "wrong username or password")
          .with("WWW-Authenticate", "Basic realm=\"harness-token\"");
    }
    record.account = config_.username;
  }

  std::vector<AccessGrant> grants;
  try {
    if (!service.empty() && service != config_.service) {
      fail("unknown service '{}', this server issues tokens for '{}'", service, config_.service);
    }
    for (const auto& scope : record.scopes) {
      auto grant = parseScope(scope);
      if (!authenticated) {
        bool wantsPull = std::find(grant.actions.begin(), grant.actions.end(), "pull") != grant.actions.end();
        grant.actions = wantsPull ? std::vector<std::string>{"pull"} : std::vector<std::string>{};
      }
      if (!grant.actions.empty()) grants.push_back(grant);
    }
  } catch (const Error& error) {
    record.status = 400;
    std::lock_guard lock(mutex_);
    requests_.push_back(record);
    return errorResponse(400, "INVALID_REQUEST", error.what());
  }

  auto token = issueToken(record.account, grants);
  record.status = 200;
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(record);
  }
  if (request.method == "POST")
    return jsonResponse(200, {{"access_token", token},
                              {"refresh_token", config_.refreshToken},
                              {"expires_in", lifetimeSeconds_.load()},
                              {"scope", fmt::format("{}", fmt::join(record.scopes, " "))}});
  return jsonResponse(200, {{"token", token},
                            {"access_token", token},
                            {"expires_in", lifetimeSeconds_.load()},
                            {"issued_at", rfc3339(std::time(nullptr))}});
}

}  // namespace ferry::testing
