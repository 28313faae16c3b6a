// Running the external tools the tests depend on (docker-registry, skopeo,
// umoci, openssl, htpasswd) without a shell, so arguments never need quoting.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::testing {

struct CommandResult {
  int exitCode = -1;  // the exit status, or 128 + signal number when killed
  std::string out;    // everything written to stdout
  std::string err;    // everything written to stderr
};

// The full path of an executable found in PATH, or empty when there is none.
std::filesystem::path findExecutable(std::string_view name);
inline bool toolAvailable(std::string_view name) { return !findExecutable(name).empty(); }

// Changes to the environment a child starts with: a value sets the variable,
// nullopt removes it; everything else is inherited.
using EnvironmentChanges = std::map<std::string, std::optional<std::string>>;

// Runs argv to completion, feeding `input` to its stdin and capturing stdout and stderr.
// The program is looked up in this process's PATH, whatever `environment` says.
// Throws Error only when the program cannot be started.
CommandResult runCommand(const std::vector<std::string>& argv, std::string_view input = {},
                         const EnvironmentChanges& environment = {});

// Like runCommand, but a non-zero exit is an Error quoting the command and its stderr.
// Returns stdout.
std::string runChecked(const std::vector<std::string>& argv, std::string_view input = {});

// "prog 'arg one' arg2", for messages.
std::string describeCommand(const std::vector<std::string>& argv);

// A long-running child (the registry) whose stdout and stderr are appended to a log file.
//
// The child gets SIGKILL if the *thread* that started it exits (PR_SET_PDEATHSIG), so a
// crashed or killed test run leaves no registry behind. Start it from a thread that
// outlives it — in gtest, the test body's thread.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& logFile);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reaps the child if it has exited; true once it has.
  bool exited();
  // SIGTERM, up to `grace` for it to exit, then SIGKILL; always reaps. Idempotent.
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

}  // namespace ferry::testing
