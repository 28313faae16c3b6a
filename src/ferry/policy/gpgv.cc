#include "ferry/policy/gpgv.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

extern char** environ;

namespace ferry {
namespace {

namespace fs = std::filesystem;

struct Ran {
  int exitCode = -1;
  std::string status;  // fd 1 (--status-fd 1)
  std::string err;
};

// Runs argv with stdout and stderr in files under `dir`; kills it after 60 s.
Ran run(const std::vector<std::string>& argv, const fs::path& dir, const std::string& where,
        const std::string& missingHint) {
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
    fail(ErrorKind::Unsupported, "cannot run {} to verify {}: {}; install Debian's gpgv{}", argv[0], where,
         std::strerror(spawned), missingHint);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  int status = 0;
  while (true) {
    auto done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0) fail("waiting for {} failed: {}", argv[0], std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      fail(ErrorKind::Timeout, "{} did not finish verifying {} within 60 s", argv[0], where);
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

std::string binaryKeyring(const std::string& text, const std::string& what) {
  if (text.size() > kMaxKeyringBytes)
    fail(ErrorKind::Limit, "{} is larger than {} MiB, ferry's limit for keyrings (see docs/limits.md)", what,
         kMaxKeyringBytes >> 20);
  if (text.find("-----BEGIN PGP") == std::string::npos) {
    if (text.empty()) fail(ErrorKind::InvalidInput, "{} holds no key", what);
    return text;
  }
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
      if (!decoded) fail(ErrorKind::InvalidInput, "{} has an armored block that is not base64", what);
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
  if (binary.empty()) fail(ErrorKind::InvalidInput, "{} holds no key", what);
  return binary;
}

GpgvVerified gpgvVerify(const std::string& signature, const std::string& keyring, const std::string& where,
                        const std::string& keyringName, const std::string& missingHint) {
  TemporaryDirectory work("ferry-gpgv");
  auto keys = work.path() / "keyring.gpg";
  writeFileAtomically(keys, keyring);
  auto signed_ = work.path() / "signature";
  writeFileAtomically(signed_, signature);
  auto output = work.path() / "message";
  auto ran = run({"gpgv", "--homedir", work.path().string(), "--keyring", keys.string(), "--status-fd", "1",
                  "--output", output.string(), signed_.string()},
                 work.path(), where, missingHint);
  // gpgv writes --output even for a bad signature: only exit 0 with VALIDSIG counts.
  std::string fingerprint;
  std::istringstream lines(ran.status);
  std::string line;
  bool expired = false;
  while (std::getline(lines, line)) {
    if (line.starts_with("[GNUPG:] VALIDSIG ")) fingerprint = line.substr(18, line.find(' ', 18) - 18);
    if (line.starts_with("[GNUPG:] EXPSIG") || line.starts_with("[GNUPG:] EXPKEYSIG")) expired = true;
  }
  if (expired) fail(ErrorKind::Integrity, "{}: the signature has expired (or its key has)", where);
  if (ran.exitCode != 0 || fingerprint.empty())
    fail(ErrorKind::Integrity, "{}: the signature does not verify with the keyring {}: {}", where, keyringName,
         ran.err.empty() ? "gpgv found no good signature" : firstLine(ran.err.substr(ran.err.find("gpgv:") == 0 ? 6 : 0)));
  return {.message = readFile(output), .fingerprint = fingerprint};
}

}  // namespace ferry
