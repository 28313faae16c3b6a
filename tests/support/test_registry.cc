#include "support/test_registry.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <thread>

#include "ferry/base/error.h"
#include "support/http_client.h"
#include "support/test_keys.h"

namespace ferry::testing {
namespace {

constexpr int kStartAttempts = 5;
constexpr auto kStartTimeout = std::chrono::seconds(10);
constexpr auto kPollInterval = std::chrono::milliseconds(10);

uintmax_t fileSize(const std::filesystem::path& path) {
  std::error_code error;
  auto size = std::filesystem::file_size(path, error);
  return error ? 0 : size;
}

std::string readFrom(const std::filesystem::path& path, uintmax_t offset) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  in.seekg(static_cast<std::streamoff>(offset));
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void copyInto(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::filesystem::create_directories(to.parent_path());
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
}

}  // namespace

std::string_view toString(RegistryMode mode) {
  switch (mode) {
    case RegistryMode::Plain:
      return "plain";
    case RegistryMode::BasicAuth:
      return "basic-auth";
    case RegistryMode::Tls:
      return "tls";
    case RegistryMode::BasicAuthTls:
      return "basic-auth-tls";
    case RegistryMode::Token:
      return "token";
  }
  return "unknown";
}

void PrintTo(RegistryMode mode, std::ostream* out) { *out << toString(mode); }

int pickFreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("cannot pick a free port: socket() failed: {}", std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    int error = errno;
    ::close(fd);
    fail("cannot pick a free port on 127.0.0.1: {}", std::strerror(error));
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

std::vector<AccessLogEntry> parseAccessLog(std::string_view text) {
  // The access-log rule from the reference doc, '^[^ ]+ - [^ ]+ \[[^]]+\] "[A-Z]+ ',
  // which skips the registry's own "level=error msg=..." lines.
  static const std::regex line(R"(^[^ ]+ - [^ ]+ \[[^\]]+\] "([A-Z]+) ([^ "]*)[^"]*" ([0-9]{3}) )");
  std::vector<AccessLogEntry> entries;
  size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::cmatch match;
    if (std::regex_search(text.data() + start, text.data() + end, match, line)) {
      entries.push_back(AccessLogEntry{match[1].str(), match[2].str(), std::stoi(match[3].str())});
    }
    start = end + 1;
  }
  return entries;
}

TestRegistry::TestRegistry(RegistryMode mode) : mode_(mode), directory_("ferry-registry") {
  prepareFiles();
  for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
    port_ = pickFreePort();
    if (tryStart()) return;
  }
  fail("docker-registry ({} mode) could not bind a free port in {} attempts; log tail:\n{}", toString(mode_),
       kStartAttempts, logTail());
}

TestRegistry::~TestRegistry() {
  stop();
  tokenServer_.reset();
}

std::string TestRegistry::host() const { return "127.0.0.1:" + std::to_string(port_); }
std::string TestRegistry::url() const { return (tls() ? "https://" : "http://") + host(); }
bool TestRegistry::tls() const { return mode_ == RegistryMode::Tls || mode_ == RegistryMode::BasicAuthTls; }

std::filesystem::path TestRegistry::caFile() const {
  return tls() ? directory() / "certs" / "ca.crt" : std::filesystem::path();
}
std::filesystem::path TestRegistry::certDir() const { return tls() ? directory() / "certs" : std::filesystem::path(); }
std::filesystem::path TestRegistry::certsDRoot() const {
  return tls() ? directory() / "certs.d" : std::filesystem::path();
}
std::filesystem::path TestRegistry::logPath() const { return directory() / "registry.log"; }
std::filesystem::path TestRegistry::dataDir() const { return directory() / "data"; }

uint64_t TestRegistry::tokenRequestCount() const { return tokenServer_ ? tokenServer_->requestCount() : 0; }

void TestRegistry::stop() {
  if (process_) process_->stop();
}

void TestRegistry::restart() {
  stop();
  if (!tryStart()) {
    fail("docker-registry ({} mode) cannot restart: port {} is taken now; log tail:\n{}", toString(mode_), port_,
         logTail());
  }
}

void TestRegistry::prepareFiles() {
  const auto& dir = directory();
  std::filesystem::create_directories(dataDir());
  if (mode_ == RegistryMode::BasicAuth || mode_ == RegistryMode::BasicAuthTls) {
    auto line = runChecked({"htpasswd", "-Bbn", username(), password()});
    line.erase(line.find_last_not_of("\r\n") + 1);  // htpasswd -n adds a blank line
    writeFileAtomically(dir / "htpasswd", line + "\n");
  }
  if (tls()) {
    const auto& keys = harnessKeys();
    copyInto(keys.serverCert, dir / "tls" / "server.crt");
    copyInto(keys.serverKey, dir / "tls" / "server.key");
    copyInto(keys.caCert, caFile());
  }
  if (mode_ == RegistryMode::Token) {
    const auto& keys = harnessKeys();
    copyInto(keys.tokenCert, dir / "token" / "token.crt");
    copyInto(keys.tokenKey, dir / "token" / "token.key");
    TokenServerConfig config;
    config.signingKey = dir / "token" / "token.key";
    config.signingCert = dir / "token" / "token.crt";
    config.username = username();
    config.password = password();
    tokenServer_ = std::make_unique<TokenServer>(config);
  }
}

void TestRegistry::writeConfig() const {
  const auto dir = directory().string();
  std::string config = fmt::format(
      "version: 0.1\n"
      "log:\n"
      "  level: warn\n"
      "  formatter: text\n"
      "  accesslog:\n"
      "    disabled: false\n"
      "storage:\n"
      "  filesystem:\n"
      "    rootdirectory: \"{}\"\n"
      "  delete:\n"
      "    enabled: {}\n"
      "  cache:\n"
      "    blobdescriptor: inmemory\n"
      "  maintenance:\n"
      "    uploadpurging:\n"
      "      enabled: false\n"
      "http:\n"
      "  addr: 127.0.0.1:{}\n"
      "  secret: harness-not-secret\n"
      "  draintimeout: 1s\n"
      "  headers:\n"
      "    X-Content-Type-Options: [nosniff]\n",
      dataDir().string(), deleteEnabled_ ? "true" : "false", port_);
  if (tls()) {
    config += fmt::format(
        "  tls:\n"
        "    certificate: \"{0}/tls/server.crt\"\n"
        "    key: \"{0}/tls/server.key\"\n",
        dir);
  }
  if (mode_ == RegistryMode::BasicAuth || mode_ == RegistryMode::BasicAuthTls) {
    config += fmt::format(
        "auth:\n"
        "  htpasswd:\n"
        "    realm: harness-realm\n"
        "    path: \"{}/htpasswd\"\n",
        dir);
  }
  if (mode_ == RegistryMode::Token) {
    const auto& token = tokenServer_->config();
    config += fmt::format(
        "auth:\n"
        "  token:\n"
        "    realm: \"{}\"\n"
        "    service: {}\n"
        "    issuer: {}\n"
        "    rootcertbundle: \"{}\"\n",
        tokenServer_->realm(), token.service, token.issuer, token.signingCert.string());
  }
  writeFileAtomically(directory() / "config.yml", config);
}

bool TestRegistry::tryStart() {
  if (tls()) {
    std::filesystem::remove_all(certsDRoot());
    copyInto(caFile(), certsDRoot() / host() / "ca.crt");
  }
  writeConfig();
  auto attemptLogStart = fileSize(logPath());
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"docker-registry", "serve", (directory() / "config.yml").string()}, logPath());

  ClientOptions probe;
  probe.caFile = caFile();
  probe.timeout = std::chrono::milliseconds(2000);
  probe.connectTimeout = std::chrono::milliseconds(500);
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (true) {
    if (process_->exited()) {
      auto log = readFrom(logPath(), attemptLogStart);
      if (log.find("address already in use") != std::string::npos) return false;  // lost a port race; retry
      fail("docker-registry ({} mode) exited during start-up; log tail:\n{}", toString(mode_), logTail());
    }
    try {
      auto response = httpGet(url() + "/v2/", probe);
      // The API version header tells our registry apart from whatever else may hold the port.
      bool ours = response.header("docker-distribution-api-version") == "registry/2.0";
      if (ours && (response.status == 200 || response.status == 401) && !process_->exited()) break;
    } catch (const Error&) {
      // not listening yet
    }
    if (std::chrono::steady_clock::now() > deadline) {
      process_->stop();
      fail("docker-registry ({} mode) did not answer GET {}/v2/ within {} s; log tail:\n{}", toString(mode_), url(),
           std::chrono::duration_cast<std::chrono::seconds>(kStartTimeout).count(), logTail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }

  // Start counting after the probe's own access-log line, which may land just after its response.
  auto lineDeadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (parseAccessLog(readFrom(logPath(), attemptLogStart)).empty() &&
         std::chrono::steady_clock::now() < lineDeadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  logStart_ = fileSize(logPath());
  return true;
}

std::vector<AccessLogEntry> TestRegistry::accessLog() const {
  // Wait for the log to be quiet, so a line for a just-answered request is in.
  auto size = fileSize(logPath());
  for (int i = 0; i < 100; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto now = fileSize(logPath());
    if (now == size) break;
    size = now;
  }
  return parseAccessLog(readFrom(logPath(), logStart_));
}

size_t TestRegistry::accessLogCount(std::string_view method) const {
  auto entries = accessLog();
  if (method.empty()) return entries.size();
  return static_cast<size_t>(
      std::count_if(entries.begin(), entries.end(), [&](const auto& entry) { return entry.method == method; }));
}

std::string TestRegistry::logTail(size_t lines) const {
  auto log = readFrom(logPath(), 0);
  size_t position = log.size();
  if (position > 0 && log[position - 1] == '\n') --position;
  for (size_t found = 0; position > 0; --position) {
    if (log[position - 1] == '\n' && ++found == lines) break;
  }
  return log.substr(position);
}

}  // namespace ferry::testing
