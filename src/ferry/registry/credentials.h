// Registry credentials, found where users keep them, in the order skopeo and
// podman (containers/image) read them. The first source with a credential for
// the repository wins:
//
//   1. --src-creds / --dest-creds USER:PASS (RegistryOptions::credential; the
//      store is not asked)
//   2. --authfile FILE, else $REGISTRY_AUTH_FILE: that one file and no other
//   3. otherwise these files, in turn (missing ones are skipped):
//        $XDG_RUNTIME_DIR/containers/auth.json   (/run/containers/UID/auth.json without XDG_RUNTIME_DIR)
//        $XDG_CONFIG_HOME/containers/auth.json   (~/.config/containers/auth.json)
//        $DOCKER_CONFIG/config.json              (~/.docker/config.json)
//        ~/.dockercfg                            (docker's legacy format: no "auths" wrapper)
//
// Within one file:
//   a. "credHelpers": {"HOST": "NAME"} for the registry: ask docker-credential-NAME,
//      and nothing else in this file (as containers/image does);
//   b. "auths": the longest key that is the registry or a path prefix of the
//      repository ("quay.io/team" beats "quay.io" for quay.io/team/app). Keys with
//      a scheme ("https://index.docker.io/v1/") stand for their host only;
//   c. "credsStore": "NAME": ask docker-credential-NAME (docker's default helper).
// A helper that has nothing for the registry passes on to the next file; one that
// is not installed or fails is an error naming the helper, the registry and the
// file that configured it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/registry/credential_helper.h"

namespace ferry {

struct Credential {
  std::string username;
  std::string password;
  // An identity token (OAuth2 refresh token): a helper answered user "<token>",
  // or an auth-file entry had "identitytoken". See RegistryClient::credential().
  std::string identityToken;
  // Where it was found, for messages: "auth file '/root/.docker/config.json'".
  std::string source;

  // Parses "user:password"; throws Error that does not echo the password.
  static Credential parse(const std::string& userColonPassword);
};

// One file the store reads.
struct AuthFile {
  std::filesystem::path path;
  bool legacyFormat = false;  // ~/.dockercfg: {"KEY": {"auth": ...}} at the top level
  bool operator==(const AuthFile&) const = default;
};

// Reads an environment variable; nullopt when unset or empty.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> processEnvironment(const std::string& name);

// The files of steps 2 and 3 above, in order, for --authfile `authFile` (empty: not given).
std::vector<AuthFile> authFileSearchOrder(const std::filesystem::path& authFile,
                                          const EnvironmentLookup& environment = processEnvironment);

class CredentialStore {
 public:
  // Asks docker-credential-NAME for SERVER; tests substitute their own.
  using HelperRunner = std::function<HelperResult(const std::string& name, const std::string& server)>;

  // The files of authFileSearchOrder(). Throws Error when `authFile` is given but missing.
  static CredentialStore fromEnvironment(const std::filesystem::path& authFile = {});
  // A store of exactly these files.
  static CredentialStore fromFiles(std::vector<AuthFile> files, HelperRunner runHelper = defaultHelperRunner());

  // The credential for a repository of a registry ("docker.io", "library/nginx"), or
  // for the registry as a whole when `repository` is empty. Files are parsed and
  // helpers asked once per store; answers are kept. Thread-safe.
  std::optional<Credential> find(const std::string& registry, const std::string& repository) const;

  const std::vector<AuthFile>& files() const { return files_; }

  static HelperRunner defaultHelperRunner();

 private:
  struct Cache;
  std::optional<Credential> askHelper(const std::string& name, const std::string& registry, const AuthFile& file,
                                      const char* setting) const;

  std::vector<AuthFile> files_;
  HelperRunner runHelper_;
  std::shared_ptr<Cache> cache_;
};

// Reduces an auth-file key to "host" or "host/path", with Docker Hub's aliases
// (index.docker.io, registry-1.docker.io) folded to docker.io. A key with a
// scheme, and every key of a legacy file, stands for its host only: its path is
// an API path such as "/v1/".
std::string normaliseAuthKey(const std::string& key, bool legacyFormat = false);

// The repository whose credential a request with these token scopes uses: the
// one pushed to when there is one (a mount also names its source, read-only),
// else the first named; "" when no scope names a repository.
std::string credentialRepository(const std::vector<std::string>& scopes);

// The server names to ask a credential helper for `registry`, in order: for Docker
// Hub "https://index.docker.io/v1/" (what docker login stores) then "docker.io"
// (what podman login stores); otherwise the registry name itself.
std::vector<std::string> helperServerNames(const std::string& registry);

}  // namespace ferry
