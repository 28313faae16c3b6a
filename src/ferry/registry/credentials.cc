#include "ferry/registry/credentials.h"

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

std::optional<Credential> credentialFromEntry(const nlohmann::json& entry, const std::filesystem::path& file,
                                              const std::string& key) {
  if (!entry.is_object()) return std::nullopt;
  if (auto auth = entry.find("auth"); auth != entry.end() && auth->is_string() && !auth->get<std::string>().empty()) {
    auto decoded = base64Decode(auth->get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      fail("auth file '{}': the \"auth\" value for '{}' is not base64 of user:password", file.string(), key);
    return Credential{decoded->substr(0, colon), decoded->substr(colon + 1)};
  }
  auto user = entry.find("username");
  auto pass = entry.find("password");
  if (user != entry.end() && pass != entry.end() && user->is_string() && pass->is_string())
    return Credential{user->get<std::string>(), pass->get<std::string>()};
  return std::nullopt;
}

}  // namespace

Credential Credential::parse(const std::string& userColonPassword) {
  auto colon = userColonPassword.find(':');
  if (colon == std::string::npos || colon == 0)
    fail("invalid credentials: expected USER:PASSWORD (the value is not shown here)");
  return Credential{userColonPassword.substr(0, colon), userColonPassword.substr(colon + 1)};
}

std::string normaliseAuthKey(const std::string& key) {
  std::string out = key;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (out.starts_with(scheme)) out = out.substr(scheme.size());
  }
  while (!out.empty() && out.back() == '/') out.pop_back();
  // "https://index.docker.io/v1/" style keys carry an API path, not a repository.
  for (std::string_view suffix : {"/v1", "/v2"}) {
    if (out.ends_with(suffix)) out.resize(out.size() - suffix.size());
  }
  auto slash = out.find('/');
  std::string host = out.substr(0, slash);
  if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
  return slash == std::string::npos ? host : host + out.substr(slash);
}

CredentialStore CredentialStore::fromFiles(std::vector<std::filesystem::path> files) {
  CredentialStore store;
  store.files_ = std::move(files);
  return store;
}

CredentialStore CredentialStore::fromEnvironment(const std::filesystem::path& authFile) {
  if (!authFile.empty()) {
    if (!std::filesystem::exists(authFile)) fail("auth file '{}' does not exist (--authfile)", authFile.string());
    return fromFiles({authFile});
  }
  if (const char* env = std::getenv("REGISTRY_AUTH_FILE"); env && *env) return fromFiles({env});
  std::vector<std::filesystem::path> files;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime)
    files.push_back(std::filesystem::path(runtime) / "containers/auth.json");
  if (const char* home = std::getenv("HOME"); home && *home)
    files.push_back(std::filesystem::path(home) / ".docker/config.json");
  return fromFiles(std::move(files));
}

std::optional<Credential> CredentialStore::find(const std::string& registry, const std::string& repository) const {
  std::string wanted = registry + "/" + repository;
  for (const auto& file : files_) {
    if (!std::filesystem::exists(file)) continue;
    auto document = nlohmann::json::parse(readFile(file), nullptr, false);
    if (document.is_discarded() || !document.is_object())
      fail("auth file '{}' is not valid JSON; fix it or point --authfile elsewhere", file.string());
    auto auths = document.find("auths");
    if (auths == document.end() || !auths->is_object()) continue;
    // The longest key that is the registry or a path prefix of the repository wins.
    std::optional<Credential> best;
    size_t bestLength = 0;
    for (const auto& [key, entry] : auths->items()) {
      std::string normal = normaliseAuthKey(key);
      bool matches = normal == registry || wanted == normal || wanted.starts_with(normal + "/");
      if (!matches || normal.size() < bestLength) continue;
      if (auto credential = credentialFromEntry(entry, file, key)) {
        best = credential;
        bestLength = normal.size();
      }
    }
    if (best) return best;
  }
  return std::nullopt;
}

}  // namespace ferry
