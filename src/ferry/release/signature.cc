#include "ferry/release/signature.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

extern char** environ;

namespace ferry::release {
namespace {

namespace fs = std::filesystem;

// An armored keyring ("-----BEGIN PGP PUBLIC KEY BLOCK-----") as the binary
// packets gpgv reads; a binary one as it is.
std::string binaryKeyring(const fs::path& keyring) {
  std::error_code error;
  auto size = fs::file_size(keyring, error);
  if (error) fail(ErrorKind::NotFound, "cannot read the release signature keyring '{}': {}", keyring.string(), error.message());
  if (size > (16 << 20))
    fail(ErrorKind::Limit, "the release signature keyring '{}' is larger than 16 MiB", keyring.string());
  auto text = readFile(keyring);
  if (text.find("-----BEGIN PGP") == std::string::npos) return text;
  std::string binary;
  std::istringstream lines(text);
  std::string line, body;
  bool inBlock = false, inBody = false;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with("-----BEGIN PGP")) {
      inBlock = true;
      inBody = false;
      body.clear();
      continue;
    }
    if (line.starts_with("-----END PGP")) {
      auto decoded = base64Decode(body);
      if (!decoded) fail(ErrorKind::InvalidInput, "the release signature keyring '{}' has an armored block that is not base64", keyring.string());
      binary += *decoded;
      inBlock = inBody = false;
      continue;
    }
    if (!inBlock) continue;
    if (!inBody) {
      if (line.empty()) inBody = true;  // headers end at the first empty line
      else if (line.find(':') == std::string::npos) { inBody = true; body += line; }
      continue;
    }
    if (line.starts_with("=")) continue;  // the CRC line
    body += line;
  }
  if (binary.empty()) fail(ErrorKind::InvalidInput, "the release signature keyring '{}' holds no key", keyring.string());
  return binary;
}

struct Ran {
  int exitCode = -1;
  std::string status;  // fd 1 (--status-fd 1)
  std::string err;
};

// Runs argv with stdout and stderr in files under `dir`; kills it after 60 s.
Ran run(const std::vector<std::string>& argv, const fs::path& dir) {
  auto outFile = dir / "status", errFile = dir / "stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, outFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0)
    fail(ErrorKind::Unsupported, "cannot run {} to verify release signatures: {}; install Debian's gpgv, or give "
         "--ignore-release-signature", argv[0], std::strerror(spawned));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (true) {
    auto done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) fail("waiting for {} failed: {}", argv[0], std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail(ErrorKind::Timeout, "{} did not finish verifying a release signature within 60 s", argv[0]);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  Ran ran;
  ran.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  ran.status = readFile(outFile);
  ran.err = readFile(errFile);
  return ran;
}

std::string firstLine(std::string text) {
  auto end = text.find('\n');
  if (end != std::string::npos) text.erase(end);
  return text;
}

}  // namespace

std::vector<std::string> fetchSignatures(RetryingHttpClient& http, const std::string& storeUrl, const Digest& digest) {
  std::vector<std::string> signatures;
  auto base = storeUrl;
  if (!base.empty() && base.back() != '/') base += '/';
  for (int n = 1; n <= kMaxSignatures; ++n) {
    HttpRequest request;
    request.url = fmt::format("{}sha256={}/signature-{}", base, digest.hex(), n);
    request.maxBodyBytes = kMaxSignatureBytes;
    HttpResponse response;
    try {
      response = http.send(request);
    } catch (const Error& e) {
      fail(e.kind(), "cannot read release signature {}: {}; check --release-signature-url (or ${})",
           urlForMessages(request.url), e.what(), kSignatureUrlVariable);
    }
    if (response.status == 404 || response.status == 403) break;  // no more (object stores answer 403)
    if (response.bodyTooLarge)
      fail(ErrorKind::Limit, "release signature {} is larger than {} KiB, ferry's limit (see docs/limits.md)",
           urlForMessages(request.url), kMaxSignatureBytes >> 10);
    if (response.status != 200)
      fail("cannot read release signature {}: HTTP {}; check --release-signature-url (or ${})",
           urlForMessages(request.url), response.status, kSignatureUrlVariable);
    signatures.push_back(std::move(response.body));
  }
  return signatures;
}

VerifiedSignature verifySignature(const std::string& signature, const fs::path& keyring, const Digest& digest,
                                  const std::string& where) {
  TemporaryDirectory work("ferry-gpgv");
  auto keys = work.path() / "keyring.gpg";
  writeFileAtomically(keys, binaryKeyring(keyring));
  auto signed_ = work.path() / "signature";
  writeFileAtomically(signed_, signature);
  auto output = work.path() / "message.json";
  auto ran = run({"gpgv", "--homedir", work.path().string(), "--keyring", keys.string(), "--status-fd", "1",
                  "--output", output.string(), signed_.string()},
                 work.path());
  // gpgv writes --output even for a bad signature: only exit 0 with VALIDSIG counts.
  std::string fingerprint;
  std::istringstream lines(ran.status);
  std::string line;
  bool expired = false;
  while (std::getline(lines, line)) {
    if (line.starts_with("[GNUPG:] VALIDSIG ")) {
      fingerprint = line.substr(18, line.find(' ', 18) - 18);
    }
    if (line.starts_with("[GNUPG:] EXPSIG") || line.starts_with("[GNUPG:] EXPKEYSIG")) expired = true;
  }
  if (expired) fail(ErrorKind::Integrity, "{}: the signature has expired (or its key has)", where);
  if (ran.exitCode != 0 || fingerprint.empty())
    fail(ErrorKind::Integrity, "{}: the signature does not verify with the keyring {}: {}", where, keyring.string(),
         ran.err.empty() ? "gpgv found no good signature" : firstLine(ran.err.substr(ran.err.find("gpgv:") == 0 ? 6 : 0)));
  nlohmann::json message;
  try {
    message = nlohmann::json::parse(readFile(output));
  } catch (const std::exception& e) {
    fail(ErrorKind::Integrity, "{}: the signed message is not JSON ({})", where, e.what());
  }
  auto critical = message.is_object() ? message.value("critical", nlohmann::json::object()) : nlohmann::json::object();
  if (!critical.is_object() || critical.value("type", "") != "atomic container signature")
    fail(ErrorKind::Integrity, "{}: the signed message is not an atomic container signature", where);
  std::string signedDigest;
  if (critical.contains("image") && critical["image"].is_object())
    signedDigest = critical["image"].value("docker-manifest-digest", "");
  if (signedDigest != digest.str())
    fail(ErrorKind::Integrity, "{}: the signature is for {}, not for the payload {}", where,
         signedDigest.empty() ? "no digest" : signedDigest, digest.str());
  std::string reference;
  if (critical.contains("identity") && critical["identity"].is_object())
    reference = critical["identity"].value("docker-reference", "");
  if (reference.empty()) fail(ErrorKind::Integrity, "{}: the signature names no identity (docker-reference)", where);
  return {.dockerReference = reference, .fingerprint = fingerprint};
}

}  // namespace ferry::release
