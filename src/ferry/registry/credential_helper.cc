#include "ferry/registry/credential_helper.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <vector>

extern char** environ;

namespace ferry {
namespace {

std::filesystem::path findInPath(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path ? path : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = rest.find(':');
    auto directory = rest.substr(0, colon);
    if (!directory.empty()) {
      auto candidate = std::filesystem::path(directory) / program;
      if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    // Close-on-exec, so children other threads start meanwhile do not inherit them.
    if (::pipe2(fds, O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  bool ok() const { return read >= 0; }
  void closeRead() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void closeWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

struct ProcessOutput {
  bool started = false;
  std::string startError;
  bool timedOut = false;
  int exitStatus = -1;  // the exit code, or 128 + signal
  std::string out;
  std::string err;
};

// Runs `program args...` with `input` on stdin and collects stdout and stderr,
// killing it after `timeout`.
ProcessOutput runProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                         std::string_view input, std::chrono::seconds timeout) {
  ProcessOutput result;
  Pipe in, out, err;
  if (!in.ok() || !out.ok() || !err.ok()) {
    result.startError = std::string("cannot create a pipe: ") + std::strerror(errno);
    return result;
  }
  // The input (a server name) fits in the pipe's buffer: writing it before the
  // child starts means no write can block, nor raise SIGPIPE if the child never reads.
  if (::write(in.write, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
    result.startError = std::string("cannot write to a pipe: ") + std::strerror(errno);
    return result;
  }
  in.closeWrite();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.read, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  // Nothing else of ferry's (connections to registries) is the helper's business.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::string programText = program.string();
  std::vector<std::string> argvStorage{programText};
  argvStorage.insert(argvStorage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argvStorage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int spawnError = posix_spawn(&pid, programText.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  in.closeRead();
  out.closeWrite();
  err.closeWrite();
  if (spawnError != 0) {
    result.startError = std::strerror(spawnError);
    return result;
  }
  result.started = true;

  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.read >= 0 || err.read >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      result.timedOut = true;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (out.read >= 0) fds[count++] = pollfd{out.read, POLLIN, 0};
    if (err.read >= 0) fds[count++] = pollfd{err.read, POLLIN, 0};
    int ready = ::poll(fds, count, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) continue;
      char buffer[4096];
      auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      bool isOut = fds[i].fd == out.read;
      if (n <= 0) {
        isOut ? out.closeRead() : err.closeRead();
      } else {
        (isOut ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exitStatus = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

std::string firstLine(std::string_view text) {
  auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  text = text.substr(0, text.find_first_of("\r\n"));
  constexpr size_t kMaximum = 200;
  return text.size() > kMaximum ? std::string(text.substr(0, kMaximum)) + "..." : std::string(text);
}

HelperResult failed(std::string detail) {
  return HelperResult{.outcome = HelperResult::Outcome::Failed, .detail = std::move(detail)};
}

}  // namespace

bool helperSaysNotFound(std::string_view output) {
  // The wording of docker-credential-helpers: "credentials not found in native keychain".
  return output.find("credentials not found") != std::string_view::npos;
}

HelperResult parseHelperOutput(std::string_view output) {
  auto document = nlohmann::json::parse(output, nullptr, false);
  if (document.is_discarded() || !document.is_object())
    return failed("it printed something other than the expected JSON object (not shown: it may hold a secret)");
  auto text = [&](const char* name) {
    auto it = document.find(name);
    return it != document.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  HelperResult result{.outcome = HelperResult::Outcome::Found, .username = text("Username"), .secret = text("Secret")};
  if (result.secret.empty()) return HelperResult{};
  return result;
}

HelperResult runCredentialHelper(const std::string& name, const std::string& serverUrl, std::chrono::seconds timeout) {
  std::string program = "docker-credential-" + name;
  auto path = findInPath(program);
  if (path.empty()) return HelperResult{.outcome = HelperResult::Outcome::NotInstalled};
  auto run = runProcess(path, {"get"}, serverUrl, timeout);
  if (!run.started) return failed("cannot start " + path.string() + ": " + run.startError);
  if (run.timedOut) return failed("it did not answer within " + std::to_string(timeout.count()) + " s");
  if (run.exitStatus != 0) {
    if (helperSaysNotFound(run.out) || helperSaysNotFound(run.err)) return HelperResult{};
    std::string said = firstLine(run.err.empty() ? run.out : run.err);
    return failed("it exited with status " + std::to_string(run.exitStatus) + (said.empty() ? "" : " (" + said + ")"));
  }
  return parseHelperOutput(run.out);
}

}  // namespace ferry
