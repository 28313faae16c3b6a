// Registry credentials, found where users keep them.
//
// Order (the first that has an entry for the registry wins), as skopeo and
// podman read them:
//   1. --src-creds / --dest-creds USER:PASS on the command line
//   2. --authfile FILE, else $REGISTRY_AUTH_FILE (only that file when given)
//   3. $XDG_RUNTIME_DIR/containers/auth.json
//   4. ~/.docker/config.json
// Within a file, keys may be "host", "host/namespace/repo" (the longest match
// wins), or URLs such as "https://index.docker.io/v1/"; all are normalised.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ferry {

struct Credential {
  std::string username;
  std::string password;
  // Parses "user:password"; throws Error that does not echo the password.
  static Credential parse(const std::string& userColonPassword);
};

class CredentialStore {
 public:
  // Reads the files in the order above. `authFile` empty: use the environment.
  static CredentialStore fromEnvironment(const std::filesystem::path& authFile = {});
  // A store of exactly these files (tests use it).
  static CredentialStore fromFiles(std::vector<std::filesystem::path> files);

  // The credential for a repository of a registry ("docker.io", "host:5000").
  std::optional<Credential> find(const std::string& registry, const std::string& repository) const;

  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  std::vector<std::filesystem::path> files_;
};

// Reduces an auth-file key to "host[/path]" with Docker Hub's aliases folded to docker.io.
std::string normaliseAuthKey(const std::string& key);

}  // namespace ferry
