#include "ferry/chart/helm_binary.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"

extern char** environ;

namespace ferry::chart {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::string firstLine(std::string_view text) {
  auto start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return "(nothing on stderr)";
  text.remove_prefix(start);
  text = text.substr(0, text.find_first_of("\r\n"));
  return std::string(text.substr(0, 300));
}

}  // namespace

std::filesystem::path findHelm(const std::filesystem::path& explicitPath) {
  if (!explicitPath.empty()) {
    if (::access(explicitPath.c_str(), X_OK) != 0 || std::filesystem::is_directory(explicitPath))
      fail(ErrorKind::InvalidInput, "--helm {}: not an executable file", explicitPath.string());
    return explicitPath;
  }
  const char* path = std::getenv("PATH");
  for (const auto& directory : splitString(path ? path : "/usr/local/bin:/usr/bin:/bin", ':')) {
    if (directory.empty()) continue;
    auto candidate = std::filesystem::path(directory) / "helm";
    if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
  }
  return {};
}

std::string renderWithHelm(const std::filesystem::path& helm, const std::filesystem::path& chart,
                           std::chrono::seconds timeout) {
  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0) fail("cannot run {}: cannot create a pipe: {}", helm.string(), std::strerror(errno));
  Fd outRead{outPipe[0]}, outWrite{outPipe[1]};
  if (::pipe2(errPipe, O_CLOEXEC) != 0) fail("cannot run {}: cannot create a pipe: {}", helm.string(), std::strerror(errno));
  Fd errRead{errPipe[0]}, errWrite{errPipe[1]};
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  Fd in{devNull};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (in.fd >= 0) posix_spawn_file_actions_adddup2(&actions, in.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, outWrite.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, errWrite.fd, 2);
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<std::string> args{helm.string(), "template", "ferry", chart.string(), "--kube-version", "1.20.0"};
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int spawnError = posix_spawn(&pid, args[0].c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  outWrite.reset();
  errWrite.reset();
  if (spawnError != 0) fail("cannot run {}: {}", helm.string(), std::strerror(spawnError));

  std::string out, err;
  bool timedOut = false, tooLarge = false;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (outRead.fd >= 0 || errRead.fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out.size() > kMaxRenderedBytes) {
      timedOut = left.count() <= 0;
      tooLarge = !timedOut;
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd fds[2];
    nfds_t count = 0;
    if (outRead.fd >= 0) fds[count++] = pollfd{outRead.fd, POLLIN, 0};
    if (errRead.fd >= 0) fds[count++] = pollfd{errRead.fd, POLLIN, 0};
    int ready = ::poll(fds, count, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) break;
    for (nfds_t i = 0; ready > 0 && i < count; ++i) {
      if (fds[i].revents == 0) continue;
      char buffer[65536];
      auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      bool isOut = fds[i].fd == outRead.fd;
      if (n <= 0)
        (isOut ? outRead : errRead).reset();
      else if (isOut)
        out.append(buffer, static_cast<size_t>(n));
      else if (err.size() < 65536)
        err.append(buffer, static_cast<size_t>(n));
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timedOut) fail(ErrorKind::Timeout, "{} template {}: still running after {}s; killed", helm.string(), chart.string(), timeout.count());
  if (tooLarge)
    fail(ErrorKind::Limit, "{} template {}: printed more than {}, ferry's limit for rendered charts (see docs/limits.md)",
         helm.string(), chart.string(), limitText(kMaxRenderedBytes));
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code != 0)
    fail("{} template {} failed (exit {}): {}", helm.string(), chart.string(), code, firstLine(err));
  return out;
}

}  // namespace ferry::chart
