// A loopback update-graph (Cincinnati) server for release tests, on HttpServer.
//
// It holds one node list for every channel and architecture and answers
// `GET /api/upgrades_info/v1/graph?channel=C&arch=A` as the real server does:
// the nodes whose channel list holds C and whose arch is A (the arch key is
// dropped from the answer), the edges among them re-indexed from 0, and the
// conditional edges among them; 400 {"kind":"missing_params"} without a
// channel, 406 unless Accept is application/json. It can be told to answer
// 503 to the next N requests, and records every query it was sent.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "support/http_server.h"

namespace ferry::testing {

struct FakeRelease {
  std::string version;
  std::string payload;                // pull spec, by digest
  std::vector<std::string> channels;
  std::string arch = "amd64";
};

struct FakeGraph {
  std::vector<FakeRelease> releases;
  // Updates by version, between releases of the same arch.
  std::vector<std::pair<std::string, std::string>> edges;
  std::vector<std::pair<std::string, std::string>> conditionalEdges;
};

// The server's answer for one channel and arch.
std::string fakeGraphJson(const FakeGraph& graph, const std::string& channel, const std::string& arch);

class UpdateGraphServer {
 public:
  explicit UpdateGraphServer(FakeGraph graph);

  // "http://127.0.0.1:PORT/api/upgrades_info/v1/graph"
  std::string url() const;
  // The next `count` requests are answered 503.
  void failNext(int count) { failures_ = count; }
  std::vector<std::string> queries() const;
  uint64_t requestCount() const { return server_.requestCount(); }
  void setGraph(FakeGraph graph);

 private:
  HttpResponse answer(const HttpRequest& request);

  mutable std::mutex mutex_;
  FakeGraph graph_;
  std::vector<std::string> queries_;
  std::atomic<int> failures_{0};
  HttpServer server_;
};

}  // namespace ferry::testing
