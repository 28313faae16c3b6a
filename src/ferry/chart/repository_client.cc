#include "ferry/chart/repository_client.h"

#include "ferry/base/base64.h"
#include "ferry/chart/chart_archive.h"
#include "ferry/base/error.h"
#include "ferry/base/strings.h"
#include "ferry/registry/cert_dirs.h"
#include "ferry/registry/credentials.h"

namespace ferry::chart {
namespace {

// "host[:port]" of an http(s) URL.
std::string hostOf(const std::string& url) {
  auto origin = originOf(url);
  auto scheme = origin.find("://");
  return scheme == std::string::npos ? origin : origin.substr(scheme + 3);
}

}  // namespace

RepositoryClient::RepositoryClient(std::string url, const RegistryOptions& options) : url_(std::move(url)) {
  if (!url_.starts_with("http://") && !url_.starts_with("https://"))
    fail(ErrorKind::InvalidInput, "chart repository '{}': the URL must start with http://, https:// or oci://", url_);
  auto host = hostOf(url_);
  RetryingHttpClientOptions http{.tls = {}, .retry = options.retry, .requestTimeout = options.requestTimeout,
                                 .warn = options.warn, .retryTotal = options.retryTotal};
  http.tls.verify = options.tlsVerify;
  auto certs = selectCertDirectory(options.certDirectory,
                                   options.certsDirectoryRoots.value_or(defaultCertsDirectoryRoots()), host);
  if (!certs.empty()) {
    auto contents = readCertDirectory(certs);
    http.tls.extraCaPem = contents.caPem;
    http.tls.clientCertificate = contents.clientCertificate;
    http.tls.clientKey = contents.clientKey;
  }
  std::optional<Credential> credential = options.credential;
  if (!credential) credential = CredentialStore::fromEnvironment(options.authFile).find(host, "");
  if (credential && !credential->username.empty())
    headers_.push_back("Authorization: Basic " + base64Encode(credential->username + ":" + credential->password));
  http_ = std::make_unique<RetryingHttpClient>("chart repository " + host, std::move(http));
}

std::string RepositoryClient::get(const std::string& url, int64_t maxBytes, const std::string& what) {
  HttpRequest request;
  request.url = url;
  request.headers = headers_;
  request.maxBodyBytes = maxBytes;
  request.expectedBytes = maxBytes / 16;
  HttpResponse response;
  try {
    response = http_->send(request);
  } catch (const Error& e) {
    throw Error(e.kind(), fmt::format("cannot fetch {} {}: {}", what, urlForMessages(url), e.what()));
  }
  if (response.bodyTooLarge)
    fail(ErrorKind::Limit, "{} {} is larger than {}, ferry's limit for it (see docs/limits.md)", what,
         urlForMessages(url), limitText(static_cast<uint64_t>(maxBytes)));
  if (response.status == 401 || response.status == 403)
    fail(ErrorKind::Unauthorized,
         "cannot fetch {} {}: HTTP {}; give credentials for {} (--src-creds, or an auth file entry for the host)", what,
         urlForMessages(url), response.status, hostOf(url));
  if (response.status == 404)
    fail(ErrorKind::NotFound, "cannot fetch {} {}: HTTP 404; check the repository URL and the chart name", what,
         urlForMessages(url));
  if (response.status < 200 || response.status >= 300)
    fail("cannot fetch {} {}: HTTP {}{}", what, urlForMessages(url), response.status,
         response.retries ? fmt::format(" after {} retries", response.retries) : "");
  return std::move(response.body);
}

RepositoryIndex RepositoryClient::index() {
  auto url = indexUrlOf(url_);
  auto text = get(url, kMaxIndexBytes, "chart repository index");
  return parseRepositoryIndex(text, urlForMessages(url));
}

std::string RepositoryClient::fetchChart(const ChartVersion& chart) {
  auto url = chartUrlOf(url_, chart.urls.front());
  auto bytes = get(url, kMaxChartArchiveBytes, fmt::format("chart {} {}", chart.name, chart.version));
  if (chart.digest) {
    auto actual = Digest::sha256Of(bytes);
    if (actual != *chart.digest)
      fail(ErrorKind::Integrity,
           "chart {} {} from {} has digest {}, but the repository index says {}: the chart or the index was changed "
           "or damaged; not mirroring it",
           chart.name, chart.version, urlForMessages(url), actual.str(), chart.digest->str());
  }
  return bytes;
}

}  // namespace ferry::chart
