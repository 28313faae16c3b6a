#include "ferry/release/update_graph.h"

#include <algorithm>
#include <cstdlib>
#include <random>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/fbc/semver.h"

namespace ferry::release {
namespace {

using nlohmann::json;

std::string stringField(const json& object, const char* key, const std::string& where) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) fail(ErrorKind::InvalidInput, "{}: \"{}\" must be a string", where, key);
  return it->get<std::string>();
}

}  // namespace

std::optional<size_t> UpdateGraph::find(std::string_view version) const {
  auto wanted = catalog::Version::tryParse(version);
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].version == version) return i;
    if (wanted) {
      auto have = catalog::Version::tryParse(nodes[i].version);
      if (have && *have == *wanted) return i;
    }
  }
  return std::nullopt;
}

UpdateGraph parseUpdateGraph(std::string_view text, const std::string& where) {
  if (static_cast<int64_t>(text.size()) > kMaxGraphBytes)
    fail(ErrorKind::Limit, "{}: the update graph is larger than {} MiB, ferry's limit for one graph (see docs/limits.md)",
         where, kMaxGraphBytes >> 20);
  json document;
  try {
    document = json::parse(text);
  } catch (const json::exception& e) {
    fail(ErrorKind::InvalidInput, "{}: the update graph is not JSON ({}); is the URL a graph server's?", where,
         e.what());
  }
  if (!document.is_object()) fail(ErrorKind::InvalidInput, "{}: the update graph is not a JSON object", where);
  UpdateGraph graph;
  auto nodes = document.find("nodes");
  if (nodes == document.end() || !nodes->is_array())
    fail(ErrorKind::InvalidInput, "{}: the update graph has no \"nodes\" array", where);
  if (nodes->size() > kMaxGraphNodes)
    fail(ErrorKind::Limit, "{}: the update graph has {} nodes, more than {}, ferry's limit (see docs/limits.md)", where,
         nodes->size(), kMaxGraphNodes);
  for (size_t i = 0; i < nodes->size(); ++i) {
    const auto& node = (*nodes)[i];
    auto at = fmt::format("{}: nodes[{}]", where, i);
    if (!node.is_object()) fail(ErrorKind::InvalidInput, "{} is not an object", at);
    GraphNode parsed{.version = stringField(node, "version", at), .payload = stringField(node, "payload", at),
                     .metadata = {}};
    if (auto metadata = node.find("metadata"); metadata != node.end() && metadata->is_object())
      for (const auto& [key, value] : metadata->items())
        if (value.is_string()) parsed.metadata[key] = value.get<std::string>();
    graph.nodes.push_back(std::move(parsed));
  }
  if (auto edges = document.find("edges"); edges != document.end() && !edges->is_null()) {
    if (!edges->is_array()) fail(ErrorKind::InvalidInput, "{}: \"edges\" must be an array", where);
    if (edges->size() > kMaxGraphEdges)
      fail(ErrorKind::Limit, "{}: the update graph has {} edges, more than {}, ferry's limit (see docs/limits.md)",
           where, edges->size(), kMaxGraphEdges);
    for (size_t i = 0; i < edges->size(); ++i) {
      const auto& edge = (*edges)[i];
      if (!edge.is_array() || edge.size() != 2 || !edge[0].is_number_unsigned() || !edge[1].is_number_unsigned())
        fail(ErrorKind::InvalidInput, "{}: edges[{}] must be a pair of node indexes", where, i);
      auto from = edge[0].get<uint64_t>(), to = edge[1].get<uint64_t>();
      if (from >= graph.nodes.size() || to >= graph.nodes.size())
        fail(ErrorKind::InvalidInput, "{}: edges[{}] names node {} of {} nodes (indexes start at 0)", where, i,
             std::max(from, to), graph.nodes.size());
      graph.edges.emplace_back(from, to);
    }
  }
  // Conditional edges: parsed for those who ask for them; an entry of another
  // shape is skipped (oc-mirror ignores the key altogether).
  if (auto conditional = document.find("conditionalEdges");
      conditional != document.end() && conditional->is_array()) {
    if (conditional->size() > kMaxGraphEdges)
      fail(ErrorKind::Limit, "{}: the update graph has more than {} conditional edges, ferry's limit (see docs/limits.md)",
           where, kMaxGraphEdges);
    for (const auto& entry : *conditional) {
      if (!entry.is_object()) continue;
      std::vector<std::string> risks;
      if (auto list = entry.find("risks"); list != entry.end() && list->is_array())
        for (const auto& risk : *list)
          if (risk.is_object() && risk.contains("name") && risk["name"].is_string())
            risks.push_back(risk["name"].get<std::string>());
      auto edges = entry.find("edges");
      if (edges == entry.end() || !edges->is_array()) continue;
      for (const auto& edge : *edges) {
        if (!edge.is_object() || !edge.contains("from") || !edge.contains("to") || !edge["from"].is_string() ||
            !edge["to"].is_string())
          continue;
        if (graph.conditionalEdges.size() >= kMaxGraphEdges)
          fail(ErrorKind::Limit, "{}: the update graph has more than {} conditional edges, ferry's limit (see docs/limits.md)",
               where, kMaxGraphEdges);
        graph.conditionalEdges.push_back(
            {.from = edge["from"].get<std::string>(), .to = edge["to"].get<std::string>(), .risks = risks});
      }
    }
  }
  return graph;
}

std::string graphUrlFor(bool okd, const GraphServerOptions& options) {
  if (!options.urlOverride.empty()) return options.urlOverride;
  return okd ? kOkdUpdateUrl : kOcpUpdateUrl;
}

std::string graphQueryUrl(const std::string& base, const std::string& arch, const std::string& channel,
                          const std::string& id, const std::string& version) {
  std::string url = base;
  auto fragment = url.find('#');
  if (fragment != std::string::npos) url.erase(fragment);
  std::string query = "arch=" + urlEncode(arch) + "&channel=" + urlEncode(channel) + "&id=" + urlEncode(id);
  if (!version.empty()) query += "&version=" + urlEncode(version);
  if (url.find('?') == std::string::npos) return url + "?" + query;
  if (url.back() == '?' || url.back() == '&') return url + query;
  return url + "&" + query;
}

std::string randomUuid() {
  std::random_device device;
  std::mt19937_64 generator((uint64_t{device()} << 32) ^ device());
  uint64_t high = generator(), low = generator();
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // variant 10
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff, high & 0xffff,
                     low >> 48, low & 0xffffffffffffULL);
}

UpdateGraphClient::UpdateGraphClient(GraphServerOptions options)
    : options_(std::move(options)), http_("update graph server", options_.http) {}

std::string UpdateGraphClient::fetch(bool okd, const std::string& channel, const std::string& arch,
                                     const std::string& version) {
  auto base = graphUrlFor(okd, options_);
  auto url = graphQueryUrl(base, arch, channel, randomUuid(), version);
  auto what = fmt::format("update graph {} (channel {}, arch {})", urlForMessages(base), channel, arch);
  HttpRequest request;
  request.url = url;
  request.headers = {"Accept: application/json"};
  request.maxBodyBytes = kMaxGraphBytes;
  HttpResponse response;
  try {
    response = http_.send(request);
  } catch (const Error& e) {
    fail(e.kind(), "cannot read the {}: {}; check --update-url (or ${}) and the network", what, e.what(),
         kUpdateUrlVariable);
  }
  if (response.bodyTooLarge)
    fail(ErrorKind::Limit, "{}: the answer is larger than {} MiB, ferry's limit for one graph (see docs/limits.md)",
         what, kMaxGraphBytes >> 20);
  if (response.status != 200) {
    std::string body = response.body.substr(0, 300);
    std::replace(body.begin(), body.end(), '\n', ' ');
    fail(response.status == 404 ? ErrorKind::NotFound : ErrorKind::Other,
         "cannot read the {}: HTTP {}{}{}; check the channel name and --update-url (or ${})", what, response.status,
         body.empty() ? "" : ": ", body, kUpdateUrlVariable);
  }
  parseUpdateGraph(response.body, what);
  return std::move(response.body);
}

}  // namespace ferry::release
