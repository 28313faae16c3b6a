// Parsing what registries put in headers: WWW-Authenticate challenges,
// Link pagination, and the JSON error bodies of the distribution API.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ferry {

struct AuthChallenge {
  std::string scheme;  // lower-case: "basic", "bearer"
  std::map<std::string, std::string> parameters;  // realm, service, scope, error
  std::string parameter(const std::string& name) const;
};

// Parses `Bearer realm="https://auth",service="registry",scope="repository:a:pull"`.
// Returns nullopt when the header is empty or has no scheme.
std::optional<AuthChallenge> parseAuthChallenge(const std::string& header);

// The URL of rel="next" in Link headers such as `</v2/x/tags/list?n=2&last=b>; rel="next"`.
std::optional<std::string> nextLink(const std::vector<std::string>& linkHeaders);

// "MANIFEST_UNKNOWN: manifest unknown" from a distribution error body; empty when there is none.
std::string registryErrorSummary(const std::string& body);

}  // namespace ferry
