// A bearer-token service for docker-registry's auth.token mode, served in
// process by HttpServer:
//
//   GET /token?service=S&scope=repository:foo/bar:pull,push&scope=...
//
//   POST /token  grant_type=refresh_token&refresh_token=R&service=S&client_id=C&scope=A B
//
// With valid Basic credentials (or, on POST, the refresh token of
// config.refreshToken: the OAuth2 refresh-token grant of the distribution token
// spec, which identity tokens use) every requested action is granted;
// anonymous callers get at most "pull"; wrong credentials get 401, a wrong
// refresh token 400 (invalid_grant), as OAuth2 says. Tokens are RS256 JWTs
// whose header `kid` is the libtrust fingerprint of the signing key, which is
// how docker-registry 2.8 finds the key in its rootcertbundle.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "support/http_server.h"

namespace ferry::testing {

struct AccessGrant {
  std::string type;  // "repository", "registry"
  std::string name;  // "foo/bar", "catalog"
  std::vector<std::string> actions;
};

// One call to /token as the server saw it.
struct TokenRequestRecord {
  std::string account;              // "" for anonymous
  std::vector<std::string> scopes;  // as requested, e.g. "repository:foo/bar:pull,push"
  int status = 0;                   // 200; 401 bad credentials; 400 bad scope or service
  std::string method;               // "GET", or "POST" for the OAuth2 form
  std::string grantType;            // POST: "refresh_token"
  std::string clientId;             // POST: client_id
};

struct TokenServerConfig {
  std::filesystem::path signingKey;   // PEM RSA private key
  std::filesystem::path signingCert;  // PEM certificate of that key
  std::string service = "harness-registry";
  std::string issuer = "harness-token-issuer";
  std::string username = "testuser";
  std::string password = "testpass";
  // The one refresh token (identity token) the POST form accepts, for `username`.
  std::string refreshToken = "harness-refresh-token";
};

class TokenServer {
 public:
  explicit TokenServer(TokenServerConfig config);
  ~TokenServer();
  TokenServer(const TokenServer&) = delete;
  TokenServer& operator=(const TokenServer&) = delete;

  int port() const;
  std::string realm() const;  // "http://127.0.0.1:PORT/token"
  const TokenServerConfig& config() const { return config_; }

  uint64_t requestCount() const { return requestCount_; }
  std::vector<TokenRequestRecord> requests() const;

  // How long new tokens live (expires_in); 300 s unless changed.
  void setTokenLifetime(std::chrono::seconds lifetime) { lifetimeSeconds_ = lifetime.count(); }

  // A signed token carrying exactly `access`, for tests that need tokens the
  // HTTP endpoint would not hand out.
  std::string issueToken(const std::string& subject, const std::vector<AccessGrant>& access) const;

 private:
  HttpResponse handle(const HttpRequest& request);

  TokenServerConfig config_;
  struct Signer;
  std::unique_ptr<Signer> signer_;
  std::atomic<int64_t> lifetimeSeconds_{300};
  std::atomic<uint64_t> requestCount_{0};
  mutable std::mutex mutex_;
  std::vector<TokenRequestRecord> requests_;
  std::unique_ptr<HttpServer> server_;  // last: stops before the state it uses goes away
};

// The libtrust key ID of a certificate's public key: RFC 4648 base32 (no padding)
// of the first 30 bytes of SHA-256 over the DER SubjectPublicKeyInfo, in groups
// of four characters joined by ':'.
std::string libtrustKeyId(const std::filesystem::path& certificatePem);

// Parses "type:name:actions"; the name may itself contain ':' (a registry host with a port).
// Throws Error when there are fewer than three parts.
AccessGrant parseScope(const std::string& scope);

}  // namespace ferry::testing
