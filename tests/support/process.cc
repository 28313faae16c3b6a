#include "support/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "ferry/base/error.h"

extern char** environ;

namespace ferry::testing {
namespace {

// argv and the environment as execve wants them; built before fork() because
// the child of a multi-threaded process may only make async-signal-safe calls.
struct ExecArgs {
  std::string path;
  std::vector<std::string> storage;
  std::vector<char*> pointers;
  std::vector<std::string> environmentStorage;
  std::vector<char*> environment;

  explicit ExecArgs(const std::vector<std::string>& argv, const EnvironmentChanges& changes = {}) : storage(argv) {
    if (argv.empty()) fail("cannot run a command: the argument list is empty");
    auto found = findExecutable(argv[0]);
    if (found.empty()) fail("cannot run '{}': not found in PATH", argv[0]);
    path = found.string();
    for (auto& arg : storage) pointers.push_back(arg.data());
    pointers.push_back(nullptr);
    for (char** variable = environ; *variable; ++variable) {
      std::string_view entry(*variable);
      if (!changes.contains(std::string(entry.substr(0, entry.find('='))))) environmentStorage.emplace_back(entry);
    }
    for (const auto& [name, value] : changes) {
      if (value) environmentStorage.push_back(name + "=" + *value);
    }
    for (auto& entry : environmentStorage) environment.push_back(entry.data());
    environment.push_back(nullptr);
  }
};

// Runs in the forked child: wire up stdio, drop every other descriptor, exec.
[[noreturn]] void execChild(const ExecArgs& args, pid_t parent, int in, int out, int err) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
  ::dup2(in, 0);
  ::dup2(out, 1);
  ::dup2(err, 2);
  ::syscall(SYS_close_range, 3U, ~0U, 0U);
  ::execve(args.path.c_str(), args.pointers.data(), args.environment.data());
  const char message[] = "exec failed\n";
  [[maybe_unused]] auto ignored = ::write(2, message, sizeof message - 1);
  ::_exit(127);
}

int exitCodeOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

int waitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return exitCodeOf(status);
}

struct Pipe {
  int read = -1, write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("cannot create a pipe: {}", std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    closeRead();
    closeWrite();
  }
  void closeRead() {
    if (read >= 0) ::close(read);
    read = -1;
  }
  void closeWrite() {
    if (write >= 0) ::close(write);
    write = -1;
  }
};

}  // namespace

std::filesystem::path findExecutable(std::string_view name) {
  if (name.find('/') != std::string_view::npos) {
    return ::access(std::string(name).c_str(), X_OK) == 0 ? std::filesystem::path(name) : std::filesystem::path();
  }
  const char* pathVariable = std::getenv("PATH");
  std::string_view rest = pathVariable ? pathVariable : "/usr/local/bin:/usr/bin:/bin";
  while (true) {
    auto colon = rest.find(':');
    auto directory = rest.substr(0, colon);
    if (!directory.empty()) {
      auto candidate = std::filesystem::path(directory) / name;
      if (::access(candidate.c_str(), X_OK) == 0 && !std::filesystem::is_directory(candidate)) return candidate;
    }
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
}

std::string describeCommand(const std::vector<std::string>& argv) {
  std::string text;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    bool plain = !arg.empty() && arg.find_first_of(" '\"\\$*?;&|<>()") == std::string::npos;
    text += plain ? arg : "'" + arg + "'";
  }
  return text;
}

CommandResult runCommand(const std::vector<std::string>& argv, std::string_view input,
                         const EnvironmentChanges& environment) {
  ExecArgs args(argv, environment);
  Pipe in, out, err;
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) fail("cannot start '{}': fork failed: {}", describeCommand(argv), std::strerror(errno));
  if (pid == 0) execChild(args, parent, in.read, out.write, err.write);

  in.closeRead();
  out.closeWrite();
  err.closeWrite();
  ::fcntl(in.write, F_SETFL, O_NONBLOCK);
  if (input.empty()) in.closeWrite();

  // Feed stdin and drain both outputs together, so neither side can fill a pipe and stall.
  CommandResult result;
  size_t written = 0;
  while (out.read >= 0 || err.read >= 0) {
    pollfd fds[3];
    nfds_t count = 0;
    auto watch = [&](int fd, short events) {
      if (fd >= 0) fds[count++] = pollfd{fd, events, 0};
    };
    watch(out.read, POLLIN);
    watch(err.read, POLLIN);
    watch(in.write, POLLOUT);
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      int fd = fds[i].fd;
      if (fd == in.write) {
        auto n = ::write(fd, input.data() + written, input.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // the child closed stdin
        if (written == input.size()) in.closeWrite();
        continue;
      }
      char buffer[65536];
      auto n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      bool isOut = fd == out.read;
      if (n <= 0) {
        isOut ? out.closeRead() : err.closeRead();
      } else {
        (isOut ? result.out : result.err).append(buffer, static_cast<size_t>(n));
      }
    }
  }
  in.closeWrite();
  result.exitCode = waitFor(pid);
  return result;
}

std::string runChecked(const std::vector<std::string>& argv, std::string_view input) {
  auto result = runCommand(argv, input);
  if (result.exitCode != 0) {
    fail("'{}' failed with exit code {}: {}", describeCommand(argv), result.exitCode,
         result.err.empty() ? result.out : result.err);
  }
  return result.out;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& logFile) {
  ExecArgs args(argv);
  int log = ::open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) fail("cannot open log file '{}': {}", logFile.string(), std::strerror(errno));
  int devNull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) execChild(args, parent, devNull, log, log);
  int forkErrno = errno;
  ::close(log);
  ::close(devNull);
  if (pid_ < 0) fail("cannot start '{}': fork failed: {}", describeCommand(argv), std::strerror(forkErrno));
}

ChildProcess::~ChildProcess() { stop(); }

bool ChildProcess::exited() {
  if (reaped_) return true;
  int status = 0;
  pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == pid_ || (result < 0 && errno == ECHILD)) reaped_ = true;
  return reaped_;
}

void ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ < 0 || exited()) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  while (std::chrono::steady_clock::now() < deadline) {
    if (exited()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid_, SIGKILL);
  waitFor(pid_);
  reaped_ = true;
}

}  // namespace ferry::testing
