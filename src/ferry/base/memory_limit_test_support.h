// For tests: run a piece of code in a child process with an address-space
// limit (setrlimit RLIMIT_AS) and a time limit (alarm), so a test of a hostile
// input can assert "refused quickly and in bounded memory" without the test
// process itself being the one that runs out.
#pragma once

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <exception>
#include <functional>
#include <string>

namespace ferry::test_support {

struct LimitedRun {
  bool returned = false;     // the code returned (or threw) inside the limits
  bool threw = false;        // it threw; `message` is what()
  std::string message;       // what() of the exception, or how the child ended
  double seconds = 0;        // wall time of the child
};

// Runs `code` in a forked child limited to `memoryBytes` of address space and
// `timeoutSeconds` of wall time (SIGALRM). The child writes what happened to a pipe.
inline LimitedRun runWithLimits(size_t memoryBytes, unsigned timeoutSeconds, const std::function<void()>& code) {
  int fds[2];
  if (::pipe(fds) != 0) return {false, false, "pipe failed", 0};
  auto started = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    struct rlimit limit {memoryBytes, memoryBytes};
    ::setrlimit(RLIMIT_AS, &limit);
    ::alarm(timeoutSeconds);
    std::string report;
    try {
      code();
      report = "R";
    } catch (const std::exception& e) {
      report = std::string("T") + e.what();
    } catch (...) {
      report = "Tunknown exception";
    }
    ssize_t ignored = ::write(fds[1], report.data(), report.size());
    (void)ignored;
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string report;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) report.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  LimitedRun run;
  run.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (WIFSIGNALED(status)) {
    run.message = std::string("the child was killed by signal ") + ::strsignal(WTERMSIG(status));
    return run;
  }
  if (report.empty()) {
    run.message = "the child ended without a report (exit status " + std::to_string(WEXITSTATUS(status)) + ")";
    return run;
  }
  run.returned = true;
  run.threw = report[0] == 'T';
  run.message = report.substr(1);
  return run;
}

}  // namespace ferry::test_support
