// The OpenShift update graph (Cincinnati): the JSON a graph server answers for
// one channel and architecture, and the client that asks for it.
//
//   GET <url>?arch=<arch>&channel=<channel>&id=<uuid>[&version=<v>]
//   Accept: application/json
//   {"version":1,
//    "nodes":[{"version":"4.18.2","payload":"quay.io/...@sha256:…","metadata":{…}}, …],
//    "edges":[[1,0], …],                       from and to are 0-based indexes into nodes
//    "conditionalEdges":[{"edges":[{"from":"4.17.20","to":"4.18.2"}],"risks":[{"name":…}]}]}
//
// Nodes are not sorted. Conditional edges (updates with known risks) are kept
// apart from the plain edges: channel resolution uses them only when asked
// (resolve.h). The answer is bounded (docs/limits.md): kMaxGraphBytes,
// kMaxGraphNodes, kMaxGraphEdges.
//
// The server is oc-mirror's: api.openshift.com for OCP, origin-release for OKD;
// UPDATE_URL_OVERRIDE replaces both (oc-mirror applies it to OCP only), and
// ferry's --update-url replaces the variable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ferry/http/retry.h"

namespace ferry::release {

inline constexpr const char* kOcpUpdateUrl = "https://api.openshift.com/api/upgrades_info/v1/graph";
inline constexpr const char* kOkdUpdateUrl = "https://origin-release.ci.openshift.org/graph";
inline constexpr const char* kUpdateUrlVariable = "UPDATE_URL_OVERRIDE";

// Bounds of one graph answer (docs/limits.md). A real stable channel has about
// a hundred nodes and a few thousand edges; a body is a few hundred KiB.
inline constexpr int64_t kMaxGraphBytes = int64_t{64} << 20;
inline constexpr size_t kMaxGraphNodes = 100000;
inline constexpr size_t kMaxGraphEdges = 5000000;

struct GraphNode {
  std::string version;  // as the server wrote it ("4.18.2")
  std::string payload;  // the payload's pull spec, by digest ("quay.io/openshift-release-dev/ocp-release@sha256:…")
  std::map<std::string, std::string> metadata;
};

struct ConditionalEdge {
  std::string from, to;            // versions
  std::vector<std::string> risks;  // risk names
};

struct UpdateGraph {
  std::vector<GraphNode> nodes;
  std::vector<std::pair<size_t, size_t>> edges;  // indexes into nodes
  std::vector<ConditionalEdge> conditionalEdges;

  // The node of `version` (compared as semver, so "4.18.2" finds "4.18.2+amd64"), or nullopt.
  std::optional<size_t> find(std::string_view version) const;
};

// Parses a graph answer; `where` names it in errors (the URL or the saved
// file). Throws Error (InvalidInput, or Limit for the bounds above).
UpdateGraph parseUpdateGraph(std::string_view json, const std::string& where);

// Which server is asked, and how.
struct GraphServerOptions {
  // Replaces both default URLs when set (--update-url, else $UPDATE_URL_OVERRIDE).
  std::string urlOverride;
  RetryingHttpClientOptions http;
};

// The URL of the graph server for channels of this type ("ocp" or "okd").
std::string graphUrlFor(bool okd, const GraphServerOptions& options);

// The request URL: `base` with arch, channel, id and (when not empty) version
// added to any query it already has, keys in sorted order as oc-mirror sends them.
std::string graphQueryUrl(const std::string& base, const std::string& arch, const std::string& channel,
                          const std::string& id, const std::string& version = "");

// A random RFC 4122 version-4 UUID, for the `id` parameter.
std::string randomUuid();

class UpdateGraphClient {
 public:
  explicit UpdateGraphClient(GraphServerOptions options);

  // The graph of `channel` for `arch` from the server for the channel's type,
  // as the server's JSON text (checked to parse). Throws Error naming the URL:
  // Unreachable after the retries, or the status and the server's words.
  std::string fetch(bool okd, const std::string& channel, const std::string& arch, const std::string& version = "");

  int64_t retryCount() const { return http_.retryCount(); }

 private:
  GraphServerOptions options_;
  RetryingHttpClient http_;
};

}  // namespace ferry::release
