#include "ferry/registry/registry_client.h"

#include <nlohmann/json.hpp>
#include <set>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/log.h"
#include "ferry/registry/cert_dirs.h"
#include "ferry/registry/challenge.h"
#include "ferry/transport/image_store.h"

namespace ferry {
namespace {

// TLS for `hostPort`: the explicit cert folder, else its certs.d folder (see
// cert_dirs.h). A plain-HTTP registry has no TLS, so certs.d is not read for it.
TlsSettings tlsSettingsFor(const RegistryOptions& options, const std::string& hostPort) {
  TlsSettings tls;
  tls.verify = options.tlsVerify;
  std::vector<std::filesystem::path> roots;
  if (!options.plainHttp) roots = options.certsDirectoryRoots.value_or(defaultCertsDirectoryRoots());
  auto directory = selectCertDirectory(options.certDirectory, roots, hostPort);
  if (directory.empty()) return tls;
  auto contents = readCertDirectory(directory);
  tls.extraCaPem = std::move(contents.caPem);
  tls.clientCertificate = std::move(contents.clientCertificate);
  tls.clientKey = std::move(contents.clientKey);
  return tls;
}

// Whether the answer to a download resumed at byte `from` continues the `held`
// bytes `out` already has. If not, `out` is restarted: a 200 brings the whole
// blob and is kept; a 206 for another range is abandoned and asked again.
bool continuesDownload(const HttpResponse& head, int64_t from, int64_t& held, BlobWriter& out) {
  if (from == 0 || head.status < 200 || head.status >= 300) return true;  // a fresh download, or no body for `out`
  if (head.status == 206 && contentRangeStart(head.header("content-range")) == from) return true;
  out.restart();
  held = 0;
  return head.status == 200;
}

// What an HTTP error answer means for a caller: 404 or a distribution *_UNKNOWN
// code is "not found" (some registries answer MANIFEST_UNKNOWN with a 400).
ErrorKind errorKindOf(long status, const std::string& registryErrors) {
  if (status == 401 || status == 403) return ErrorKind::Unauthorized;
  if (status == 404) return ErrorKind::NotFound;
  for (const char* code : {"MANIFEST_UNKNOWN", "BLOB_UNKNOWN", "NAME_UNKNOWN"})
    if (registryErrors.starts_with(code)) return ErrorKind::NotFound;
  if (status == 409) return ErrorKind::Conflict;
  return ErrorKind::Other;
}

std::string scopeKey(const std::vector<std::string>& scopes) {
  std::set<std::string> sorted(scopes.begin(), scopes.end());
  std::string key;
  for (const auto& scope : sorted) key += scope + " ";
  return key;
}

}  // namespace

RegistryClient::RegistryClient(std::string registry, std::string apiHost, RegistryOptions options)
    : registry_(std::move(registry)),
      apiHost_(std::move(apiHost)),
      options_(std::move(options)),
      http_(std::make_unique<HttpClient>(tlsSettingsFor(options_, registry_), options_.requestTimeout)),
      slots_(std::clamp(options_.maxConcurrentRequests, 1, 1024)) {
  baseUrl_ = (options_.plainHttp ? "http://" : "https://") + apiHost_;
  origin_ = originOf(baseUrl_);
  retrier_ = std::make_unique<Retrier>(registry_, origin_, options_.retry, options_.warn, options_.retryTotal);
}

std::string RegistryClient::transportHint() const {
  if (options_.plainHttp) return "check the host and port, and that the registry is running";
  return "check the host and port; for a private CA pass --src-cert-dir/--dest-cert-dir, to skip verification "
         "(and reach a plain-HTTP registry) --src-tls-verify=false/--dest-tls-verify=false, to talk only plain HTTP "
         "--source-use-http/--dest-use-http";
}

std::optional<Credential> RegistryClient::credential(const std::vector<std::string>& scopes) {
  // Called with authMutex_ held. Auth files may hold credentials per repository
  // ("quay.io/team"), so they are looked up per repository, once each.
  if (options_.credential) return options_.credential;
  std::string repository = credentialRepository(scopes);
  auto known = credentials_.find(repository);
  if (known != credentials_.end()) return known->second;
  if (!credentialStore_) credentialStore_ = CredentialStore::fromEnvironment(options_.authFile);
  auto found = credentialStore_->find(registry_, repository);
  // An identity token is an OAuth2 refresh token, traded at the token realm
  // (POST grant_type=refresh_token, see fetchTokenWithRefreshToken).
  credentials_.emplace(repository, found);
  return found;
}

void RegistryClient::learnChallenge(const std::string& header) {
  auto challenge = parseAuthChallenge(header);
  if (!challenge) return;
  if (challenge->scheme == "bearer") {
    scheme_ = Scheme::Bearer;
    if (!challenge->parameter("realm").empty()) realm_ = challenge->parameter("realm");
    service_ = challenge->parameter("service");
  } else if (challenge->scheme == "basic") {
    scheme_ = Scheme::Basic;
  }
}

void RegistryClient::ping() {
  std::lock_guard lock(authMutex_);
  if (pinged_) return;
  auto response = retrying(
      [&](int) { return http_->attempt(HttpRequest{.method = "GET", .url = baseUrl_ + "/v2/"}); },
      /*firstContact=*/true);
  if (response.failure != TransportFailure::None && options_.httpFallback && !options_.plainHttp)
    response = pingOverPlainHttp(response);
  response = throwIfUnreached(std::move(response));
  if (response.status == 401) {
    learnChallenge(response.header("www-authenticate"));
  } else if (response.status >= 200 && response.status < 300) {
    scheme_ = Scheme::Anonymous;
  } else if (response.status == 404) {
    fail(ErrorKind::Unsupported, "{} does not answer the registry API at {}/v2/ (HTTP 404); is it a container registry?", registry_, baseUrl_);
  }
  pinged_ = true;
}

HttpResponse RegistryClient::pingOverPlainHttp(const HttpResponse& overTls) {
  // containers/image asks again over http:// when an insecure registry's HTTPS
  // ping fails: a plain-HTTP registry answers a TLS hello with an HTTP error
  // ("wrong version number"). If plain HTTP gets no answer either, the TLS
  // failure is the one worth reporting.
  std::string plainBase = "http://" + apiHost_;
  auto plain = http_->attempt(HttpRequest{.method = "GET", .url = plainBase + "/v2/"});
  if (plain.failure != TransportFailure::None) return overTls;
  baseUrl_ = plainBase;
  origin_ = originOf(baseUrl_);
  log::info("{} does not speak TLS ({}); talking plain HTTP to it, as TLS verification is off", registry_,
            overTls.failureDetail);
  return plain;
}

std::string RegistryClient::fetchToken(const std::vector<std::string>& scopes, int& lifetimeSeconds) {
  if (realm_.empty()) fail(ErrorKind::Unsupported, "registry {} asked for a bearer token but named no realm to get it from", registry_);
  std::string url = realm_ + (realm_.find('?') == std::string::npos ? "?" : "&");
  url += "service=" + urlEncode(service_);
  for (const auto& scope : scopes) url += "&scope=" + urlEncode(scope);
  HttpRequest request{.method = "GET", .url = url};
  auto user = credential(scopes);
  if (user && !user->identityToken.empty()) return fetchTokenWithRefreshToken(scopes, *user, lifetimeSeconds);
  if (user) request.headers.push_back("Authorization: Basic " + base64Encode(user->username + ":" + user->password));
  // A realm may redirect (a load balancer, a moved endpoint); the credentials
  // stay with the realm's own origin.
  auto response = retrying([&](int) { return http_->attemptFollowingRedirects(request); });
  if (response.failure != TransportFailure::None)
    failUnreached(response, fmt::format("cannot get a token for {} from {}", registry_, originOf(realm_)), "");
  if (response.status == 401 || response.status == 403)
    fail(ErrorKind::Unauthorized, "authentication to {} failed: the token server refused {}; check --src-creds/--dest-creds or the auth file",
         registry_, user ? "the credentials of user '" + user->username + "'" : "anonymous access");
  if (response.status != 200) fail("cannot get a token for {}: token server answered HTTP {}", registry_, response.status);
  auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) fail("token server for {} sent no JSON", registry_);
  std::string token = document.value("token", "");
  if (token.empty()) token = document.value("access_token", "");
  if (token.empty()) fail("token server for {} sent no token", registry_);
  lifetimeSeconds = document.contains("expires_in") && document["expires_in"].is_number_integer()
                        ? document["expires_in"].get<int>()
                        : 60;
  return token;
}

std::string RegistryClient::fetchTokenWithRefreshToken(const std::vector<std::string>& scopes, const Credential& user,
                                                       int& lifetimeSeconds) {
  // The distribution token spec's OAuth2 form (docs/oauth.md): an identity token
  // is a refresh token, exchanged at the realm for an access token of the scopes.
  std::string scopeList;
  for (const auto& scope : scopes) scopeList += (scopeList.empty() ? "" : " ") + scope;
  std::string body = "grant_type=refresh_token&service=" + urlEncode(service_) + "&client_id=ferry" +
                     "&refresh_token=" + urlEncode(user.identityToken);
  if (!scopeList.empty()) body += "&scope=" + urlEncode(scopeList);
  HttpRequest request{.method = "POST",
                      .url = realm_,
                      .headers = {"Content-Type: application/x-www-form-urlencoded"},
                      .body = std::move(body)};
  auto response = retrying([&](int) { return http_->attemptFollowingRedirects(request); });
  if (response.failure != TransportFailure::None)
    failUnreached(response, fmt::format("cannot get a token for {} from {}", registry_, originOf(realm_)), "");
  if (response.status == 400 || response.status == 401 || response.status == 403)
    fail(ErrorKind::Unauthorized,
         "authentication to {} failed: the token server refused the identity token (OAuth2 refresh token) from the {} "
         "(HTTP {}); log in again to renew it, or pass --src-creds/--dest-creds",
         registry_, user.source, response.status);
  if (response.status == 404 || response.status == 405)
    fail(ErrorKind::Unsupported,
         "cannot log in to {}: its token server {} does not take OAuth2 refresh tokens (POST answered HTTP {}), and the "
         "{} holds an identity token for it; log in with a user name and password instead",
         registry_, originOf(realm_), response.status, user.source);
  if (response.status != 200)
    fail("cannot get a token for {}: token server answered HTTP {} to the refresh-token grant", registry_,
         response.status);
  auto document = nlohmann::json::parse(response.body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) fail("token server for {} sent no JSON", registry_);
  std::string token = document.value("access_token", "");
  if (token.empty()) token = document.value("token", "");
  if (token.empty()) fail("token server for {} sent no access token for the identity token", registry_);
  // A server may rotate the refresh token: the next exchange uses the new one.
  if (auto next = document.value("refresh_token", ""); !next.empty() && !options_.credential)
    if (auto known = credentials_.find(credentialRepository(scopes)); known != credentials_.end() && known->second)
      known->second->identityToken = next;
  lifetimeSeconds = document.contains("expires_in") && document["expires_in"].is_number_integer()
                        ? document["expires_in"].get<int>()
                        : 60;
  return token;
}

std::optional<std::string> RegistryClient::authorization(const std::vector<std::string>& scopes, bool refresh) {
  std::lock_guard lock(authMutex_);
  switch (scheme_) {
    case Scheme::Unknown:
    case Scheme::Anonymous:
      return std::nullopt;
    case Scheme::Basic: {
      auto user = credential(scopes);
      if (!user) return std::nullopt;
      if (user->username.empty() && !user->identityToken.empty())
        fail(ErrorKind::Unauthorized,
             "cannot log in to {}: it asks for Basic authentication, and the {} holds only an identity token for it "
             "(an OAuth2 refresh token, for bearer-token registries); pass --src-creds/--dest-creds",
             registry_, user->source);
      return "Basic " + base64Encode(user->username + ":" + user->password);
    }
    case Scheme::Bearer: {
      auto key = scopeKey(scopes);
      auto now = std::chrono::steady_clock::now();
      auto it = tokens_.find(key);
      if (!refresh && it != tokens_.end() && it->second.expires > now) return "Bearer " + it->second.value;
      int lifetime = 60;
      std::string token = fetchToken(scopes, lifetime);
      // Renew a little early so a token never expires mid-request.
      tokens_[key] = Token{token, now + std::chrono::seconds(std::max(lifetime - 10, 5))};
      return "Bearer " + token;
    }
  }
  return std::nullopt;
}

HttpResponse RegistryClient::send(HttpRequest request, const std::vector<std::string>& scopes, bool followRedirects) {
  return throwIfUnreached(retrying([&](int) { return sendOnce(request, scopes, followRedirects); }));
}

HttpResponse RegistryClient::sendOnce(HttpRequest request, const std::vector<std::string>& scopes,
                                      bool followRedirects) {
  ping();
  if (request.url.starts_with("/")) request.url = baseUrl_ + request.url;
  const auto baseHeaders = request.headers;
  auto auth = authorization(scopes, false);
  bool reauthenticated = false;
  bool redirected = false;
  for (int hops = 0;;) {
    request.headers = baseHeaders;
    bool toRegistry = originOf(request.url) == origin_;
    if (auth && toRegistry) request.headers.push_back("Authorization: " + *auth);
    auto response = performLimited(request);
    response.redirected = redirected;
    if (response.failure != TransportFailure::None) return response;
    // A token can stop working before its stated lifetime ends (revoked, or a
    // clock that disagrees): the registry answers 401 and one fresh token is fetched.
    // (A pulled body has gone by then: it cannot be sent a second time.)
    if (response.status == 401 && toRegistry && !reauthenticated && !request.bodySource) {
      {
        std::lock_guard lock(authMutex_);
        learnChallenge(response.header("www-authenticate"));
      }
      auth = authorization(scopes, /*refresh=*/true);
      reauthenticated = true;
      ++reauthentications_;
      continue;
    }
    if (followRedirects && isRedirect(response.status) && hops < 10 && !response.header("location").empty()) {
      ++hops;
      redirected = true;
      followRedirect(request, response);
      continue;
    }
    return response;
  }
}

HttpResponse RegistryClient::performLimited(const HttpRequest& request) {
  // A streamed upload moves at the pace of the download feeding it, which holds
  // a slot of its own registry: taking a second one here could leave every slot
  // to uploads waiting for downloads that wait for a slot.
  if (request.bodySource) return http_->attempt(request);
  slots_.acquire();
  struct Release {
    std::counting_semaphore<1024>& slots;
    ~Release() { slots.release(); }
  } release{slots_};
  return http_->attempt(request);
}

HttpResponse RegistryClient::retrying(const std::function<HttpResponse(int)>& attempt, bool firstContact) {
  return retrier_->run(attempt, firstContact, [](const HttpResponse& response) -> std::optional<std::string> {
    if (response.abandoned)
      return fmt::format("HTTP {} for the wrong range; asking for the whole blob", response.status);
    // Object storage refuses a signed download URL once it has expired; the
    // registry hands out a fresh one. (A HEAD may be refused for the method
    // alone, which asking again does not change.)
    if (response.status == 403 && response.redirected && response.method == "GET")
      return "HTTP 403, an expired link; asking the registry for a new one";
    return std::nullopt;
  });
}

HttpResponse RegistryClient::throwIfUnreached(HttpResponse response) const {
  if (response.failure == TransportFailure::None) return response;
  std::string hint = response.failure == TransportFailure::Interrupted
                         ? "the connection keeps failing; try again later or raise --retry-times"
                         : transportHint();
  failUnreached(response, "cannot reach registry " + registry_, hint);
}

HttpResponse RegistryClient::download(HttpRequest request, const std::vector<std::string>& scopes, BlobWriter& out) {
  const auto headers = request.headers;
  int64_t held = 0;  // bytes `out` has, from earlier attempts
  auto response = retrying([&](int) {
    int64_t from = held;
    request.headers = headers;
    if (from > 0) request.headers.push_back(fmt::format("Range: bytes={}-", from));
    request.onHead = [&out, &held, from](const HttpResponse& head) { return continuesDownload(head, from, held, out); };
    request.onBody = [&out, &held](const char* data, size_t size) {
      if (!out.write(data, size)) return false;
      held += static_cast<int64_t>(size);
      return true;
    };
    auto answer = sendOnce(request, scopes, /*followRedirects=*/true);
    if (answer.failure != TransportFailure::None && held > 0)
      answer.failureDetail += fmt::format(" (resuming from byte {})", held);
    return answer;
  });
  if (response.abandoned)
    fail(ErrorKind::Unreachable, "cannot download from {}: it answered a request for the rest of a blob with another range ({}), "
         "{} times; try again later",
         registry_, response.header("content-range"), response.retries + 1);
  return throwIfUnreached(std::move(response));
}

void RegistryClient::noteMountRefused(const std::string& why) {
  if (!mountsRefused_.exchange(true))
    warn(fmt::format("{}: cross-repository mount refused ({}); uploading blobs instead of mounting them", registry_,
                     why));
}

void RegistryClient::warn(const std::string& line) const {
  if (options_.warn) options_.warn(line);
}

void RegistryClient::failWith(const HttpResponse& response, const std::string& action) const {
  std::string detail = registryErrorSummary(response.body);
  std::string hint;
  if (response.status == 401) {
    hint = "; check the credentials (--src-creds/--dest-creds, --authfile, or the auth file)";
  } else if (response.status == 403) {
    hint = "; the credentials lack permission for this repository";
  } else if (response.status == 429) {
    hint = "; the registry is rate-limiting, try again later or lower --parallel";
  }
  std::string retried = response.retries > 0 ? fmt::format(" after {} retries", response.retries) : "";
  fail(errorKindOf(response.status, detail), "cannot {}: {} answered HTTP {}{}{}{}", action, registry_, response.status,
       detail.empty() ? "" : " (" + detail + ")", retried, hint);
}

}  // namespace ferry
