#include "support/update_graph_server.h"

#include <map>

#include <nlohmann/json.hpp>

namespace ferry::testing {

std::string fakeGraphJson(const FakeGraph& graph, const std::string& channel, const std::string& arch) {
  nlohmann::ordered_json out;
  out["version"] = 1;
  out["nodes"] = nlohmann::ordered_json::array();
  std::map<std::string, size_t> index;
  for (const auto& release : graph.releases) {
    if (release.arch != arch) continue;
    bool inChannel = false;
    std::string list;
    for (const auto& name : release.channels) {
      inChannel = inChannel || name == channel;
      list += (list.empty() ? "" : ",") + name;
    }
    if (!inChannel) continue;
    auto digest = release.payload.substr(release.payload.find('@') + 1);
    index[release.version] = out["nodes"].size();
    out["nodes"].push_back({{"version", release.version},
                            {"payload", release.payload},
                            {"metadata",
                             {{"io.openshift.upgrades.graph.release.channels", list},
                              {"io.openshift.upgrades.graph.release.manifestref", digest},
                              {"url", "https://access.redhat.com/errata/RHSA-0000:" + release.version}}}});
  }
  out["edges"] = nlohmann::ordered_json::array();
  for (const auto& [from, to] : graph.edges)
    if (index.count(from) && index.count(to)) out["edges"].push_back({index[from], index[to]});
  out["conditionalEdges"] = nlohmann::ordered_json::array();
  for (const auto& [from, to] : graph.conditionalEdges)
    if (index.count(from) && index.count(to))
      out["conditionalEdges"].push_back(
          {{"edges", {{{"from", from}, {"to", to}}}},
           {"risks",
            {{{"url", "https://issues.example/R-1"},
              {"name", "ExampleRisk"},
              {"message", "a known risk"},
              {"matchingRules", {{{"type", "PromQL"}, {"promql", {{"promql", "vector(1)"}}}}}}}}}});
  return out.dump();
}

UpdateGraphServer::UpdateGraphServer(FakeGraph graph)
    : graph_(std::move(graph)), server_([this](const HttpRequest& request) { return answer(request); }) {}

std::string UpdateGraphServer::url() const { return server_.url() + "/api/upgrades_info/v1/graph"; }

std::vector<std::string> UpdateGraphServer::queries() const {
  std::lock_guard lock(mutex_);
  return queries_;
}

void UpdateGraphServer::setGraph(FakeGraph graph) {
  std::lock_guard lock(mutex_);
  graph_ = std::move(graph);
}

HttpResponse UpdateGraphServer::answer(const HttpRequest& request) {
  {
    std::lock_guard lock(mutex_);
    queries_.push_back(request.query);
  }
  if (failures_ > 0) {
    --failures_;
    return HttpResponse{.status = 503, .headers = {}, .body = "try later"};
  }
  if (request.path != "/api/upgrades_info/v1/graph" && request.path != "/graph")
    return HttpResponse{.status = 404, .headers = {}, .body = "not found"};
  if (request.header("accept") != "application/json")
    return HttpResponse{.status = 406, .headers = {}, .body = R"({"kind":"invalid_content_type","value":""})"};
  std::string channel, arch = "amd64";
  for (const auto& [name, value] : parseQuery(request.query)) {
    if (name == "channel") channel = value;
    if (name == "arch") arch = value;
  }
  if (channel.empty())
    return HttpResponse{.status = 400, .headers = {}, .body = R"({"kind":"missing_params","value":"channel"})"};
  std::lock_guard lock(mutex_);
  return HttpResponse{.status = 200, .headers = {}, .body = fakeGraphJson(graph_, channel, arch)}.with(
      "Content-Type", "application/json");
}

}  // namespace ferry::testing
