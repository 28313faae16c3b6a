// A real docker-registry (distribution 2.8) for one test, in a fresh temporary
// directory on 127.0.0.1 and a free port, stopped and wiped by the destructor.
//
//   TestRegistry registry(RegistryMode::BasicAuthTls);
//   skopeo copy ... --dest-creds testuser:testpass --dest-cert-dir registry.certDir() ...
//
// Directory layout (directory()):
//   config.yml, registry.log (the registry's stdout+stderr), data/ (storage),
//   htpasswd, tls/{server.crt,server.key}, token/{token.crt,token.key},
//   certs/ca.crt, certs.d/127.0.0.1:PORT/ca.crt
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/base/files.h"
#include "support/process.h"
#include "support/token_server.h"

namespace ferry::testing {

enum class RegistryMode { Plain, BasicAuth, Tls, BasicAuthTls, Token };

std::string_view toString(RegistryMode mode);
// Lets gtest print parameters as "plain", "token", ... rather than raw bytes.
void PrintTo(RegistryMode mode, std::ostream* out);

// One line of the registry's access log (combined log format).
struct AccessLogEntry {
  std::string method;
  std::string target;  // path?query
  int status = 0;
};

class TestRegistry {
 public:
  // Starts the registry and returns once GET /v2/ answers (200 or 401). Throws
  // Error with the tail of registry.log when it does not come up within ~10 s.
  explicit TestRegistry(RegistryMode mode = RegistryMode::Plain);
  ~TestRegistry();
  TestRegistry(const TestRegistry&) = delete;
  TestRegistry& operator=(const TestRegistry&) = delete;

  RegistryMode mode() const { return mode_; }
  int port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  std::string url() const;   // "http://127.0.0.1:PORT" or "https://..."
  bool tls() const;
  // Basic credentials are required (BasicAuth, BasicAuthTls) or accepted by the token server (Token).
  bool needsCredentials() const { return mode_ != RegistryMode::Plain && mode_ != RegistryMode::Tls; }

  // The CA that signed the server certificate; empty path unless tls().
  std::filesystem::path caFile() const;
  // The folder holding ca.crt, for skopeo --cert-dir / ferry --dest-cert-dir; empty unless tls().
  std::filesystem::path certDir() const;
  // A certs.d-style root (HOST:PORT/ca.crt inside), as /etc/containers/certs.d is laid out.
  std::filesystem::path certsDRoot() const;

  std::string username() const { return "testuser"; }
  std::string password() const { return "testpass"; }

  const std::filesystem::path& directory() const { return directory_.path(); }
  std::filesystem::path logPath() const;
  std::filesystem::path dataDir() const;  // the storage root directory

  // Access-log lines written since the registry last became ready (the readiness
  // probe is not counted), optionally only those of one method ("HEAD").
  // The registry writes a line just after sending its response, so both wait
  // until the log has been quiet for a few milliseconds.
  size_t accessLogCount(std::string_view method = {}) const;
  std::vector<AccessLogEntry> accessLog() const;

  // Requests to the token server (Token mode; 0 otherwise).
  uint64_t tokenRequestCount() const;
  // The token server, or nullptr unless mode() is Token.
  TokenServer* tokenServer() const { return tokenServer_.get(); }

  // Stops the registry now (SIGTERM, then SIGKILL); for "registry went away" tests.
  void stop();
  // Starts it again on the same port with the same storage. Access-log counts
  // start again from zero. Throws Error if the port has been taken meanwhile.
  void restart();
  // Restarts it with deleting turned off (distribution's default: DELETE answers 405 UNSUPPORTED).
  void disableDelete() {
    deleteEnabled_ = false;
    stop();
    restart();
  }

 private:
  void prepareFiles();
  void writeConfig() const;
  bool tryStart();
  std::string logTail(size_t lines = 30) const;

  RegistryMode mode_;
  TemporaryDirectory directory_;
  int port_ = 0;
  std::unique_ptr<TokenServer> tokenServer_;
  std::unique_ptr<ChildProcess> process_;
  uintmax_t logStart_ = 0;
  bool deleteEnabled_ = true;  // byte offset of the first line accessLog() reads
};

// Parses combined-log-format access lines (other lines are skipped), e.g.
// 127.0.0.1 - - [date] "HEAD /v2/x/blobs/sha256:... HTTP/1.1" 404 157 "" "skopeo/1.9.3"
std::vector<AccessLogEntry> parseAccessLog(std::string_view text);

// A TCP port on 127.0.0.1 that was free a moment ago.
int pickFreePort();

}  // namespace ferry::testing
