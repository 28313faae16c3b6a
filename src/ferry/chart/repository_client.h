// A Helm chart repository over HTTP(S): its index.yaml and its chart .tgz
// files, through ferry's HTTP layer (retries, redirects, deadlines), with the
// credentials and TLS settings a registry on the same host would get:
//
//   - credentials: --src-creds, else the auth file entry for the host
//     (auth.json "auths", as for registries), sent as HTTP Basic;
//   - TLS: --src-tls-verify, --src-cert-dir or the certs.d folder of the host.
//
// Every chart is checked against the digest the index gives for it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ferry/chart/repository_index.h"
#include "ferry/http/retry.h"
#include "ferry/registry/registry_client.h"

namespace ferry::chart {

class RepositoryClient {
 public:
  // `url` is the repository's (http:// or https://); `options` the source side's registry options.
  RepositoryClient(std::string url, const RegistryOptions& options);

  const std::string& url() const { return url_; }
  // The index, parsed; throws Error naming the index URL (Unreachable after the retries, NotFound for 404...).
  RepositoryIndex index();
  // The .tgz of `chart` (its first URL), verified against its index digest (Integrity when it does not match).
  std::string fetchChart(const ChartVersion& chart);
  int64_t retryCount() const { return http_ ? http_->retryCount() : 0; }

 private:
  std::string get(const std::string& url, int64_t maxBytes, const std::string& what);

  std::string url_;
  std::vector<std::string> headers_;
  std::unique_ptr<RetryingHttpClient> http_;
};

}  // namespace ferry::chart
