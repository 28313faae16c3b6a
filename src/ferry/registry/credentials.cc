#include "ferry/registry/credentials.h"

#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

// What ferry uses of one auth file.
struct ParsedAuthFile {
  nlohmann::json auths = nlohmann::json::object();  // key -> entry, as written
  std::map<std::string, std::string> credHelpers;    // normalised host -> helper name
  std::string credsStore;
};

ParsedAuthFile parseAuthFile(const AuthFile& file) {
  auto document = nlohmann::json::parse(readFile(file.path), nullptr, false);
  if (document.is_discarded() || !document.is_object())
    fail("auth file '{}' is not valid JSON; fix it or point --authfile elsewhere", file.path.string());
  ParsedAuthFile parsed;
  if (file.legacyFormat) {
    parsed.auths = document;
    return parsed;
  }
  if (auto auths = document.find("auths"); auths != document.end() && auths->is_object()) parsed.auths = *auths;
  if (auto helpers = document.find("credHelpers"); helpers != document.end() && helpers->is_object()) {
    for (const auto& [key, name] : helpers->items()) {
      // Helpers hold credentials per registry: every key stands for its host, as in a legacy file.
      if (name.is_string() && !name.get<std::string>().empty())
        parsed.credHelpers[normaliseAuthKey(key, /*legacyFormat=*/true)] = name.get<std::string>();
    }
  }
  if (auto store = document.find("credsStore"); store != document.end() && store->is_string())
    parsed.credsStore = store->get<std::string>();
  return parsed;
}

std::optional<Credential> credentialFromEntry(const nlohmann::json& entry, const AuthFile& file,
                                              const std::string& key) {
  if (!entry.is_object()) return std::nullopt;
  Credential credential;
  credential.source = "auth file '" + file.path.string() + "'";
  if (auto token = entry.find("identitytoken"); token != entry.end() && token->is_string())
    credential.identityToken = token->get<std::string>();
  if (auto auth = entry.find("auth"); auth != entry.end() && auth->is_string() && !auth->get<std::string>().empty()) {
    auto decoded = base64Decode(auth->get<std::string>());
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon == std::string::npos)
      fail("auth file '{}': the \"auth\" value for '{}' is not base64 of user:password", file.path.string(), key);
    credential.username = decoded->substr(0, colon);
    credential.password = decoded->substr(colon + 1);
    return credential;
  }
  auto user = entry.find("username");
  auto pass = entry.find("password");
  if (user != entry.end() && pass != entry.end() && user->is_string() && pass->is_string()) {
    credential.username = user->get<std::string>();
    credential.password = pass->get<std::string>();
    return credential;
  }
  if (!credential.identityToken.empty()) return credential;
  // Nothing usable: docker writes empty entries ({}) for logins whose secret is in its credsStore.
  return std::nullopt;
}

// The "auths" entry for `wanted` ("registry/repository"): the longest key that is
// the registry or a path prefix of the repository.
std::optional<Credential> bestAuthsEntry(const ParsedAuthFile& parsed, const AuthFile& file,
                                         const std::string& registry, const std::string& wanted) {
  std::optional<Credential> best;
  size_t bestLength = 0;
  bool bestWrittenPlainly = false;
  for (const auto& [key, entry] : parsed.auths.items()) {
    std::string normal = normaliseAuthKey(key, file.legacyFormat);
    bool matches = normal == registry || wanted == normal || wanted.starts_with(normal + "/");
    if (!matches) continue;
    // Of two keys naming the same thing, the one written plainly ("docker.io")
    // beats a URL ("https://index.docker.io/v1/"), as in containers/image.
    bool plainly = key == normal;
    bool better = !best || normal.size() > bestLength || (normal.size() == bestLength && plainly && !bestWrittenPlainly);
    if (!better) continue;
    // An empty entry ({}) is docker's marker for a login kept in credsStore: not a match.
    if (auto credential = credentialFromEntry(entry, file, key)) {
      best = std::move(credential);
      bestLength = normal.size();
      bestWrittenPlainly = plainly;
    }
  }
  return best;
}

}  // namespace

struct CredentialStore::Cache {
  std::mutex mutex;
  std::map<std::filesystem::path, std::optional<ParsedAuthFile>> files;  // nullopt: the file does not exist
  std::map<std::pair<std::string, std::string>, HelperResult> helperAnswers;  // (helper, server) -> answer

  // The file read once, or nullptr when it does not exist.
  const ParsedAuthFile* file(const AuthFile& authFile) {
    auto it = files.find(authFile.path);
    if (it == files.end()) {
      std::optional<ParsedAuthFile> parsed;
      if (std::filesystem::exists(authFile.path)) parsed = parseAuthFile(authFile);
      it = files.emplace(authFile.path, std::move(parsed)).first;
    }
    return it->second ? &*it->second : nullptr;
  }
};

Credential Credential::parse(const std::string& userColonPassword) {
  auto colon = userColonPassword.find(':');
  if (colon == std::string::npos || colon == 0)
    fail("invalid credentials: expected USER:PASSWORD (the value is not shown here)");
  return Credential{.username = userColonPassword.substr(0, colon),
                    .password = userColonPassword.substr(colon + 1),
                    .source = "the command line"};
}

std::string normaliseAuthKey(const std::string& key, bool legacyFormat) {
  std::string out = key;
  bool hadScheme = false;
  for (std::string_view scheme : {"https://", "http://"}) {
    if (out.starts_with(scheme)) {
      out = out.substr(scheme.size());
      hadScheme = true;
    }
  }
  // A URL's path is an API path ("/v1/"), never a repository.
  if (hadScheme || legacyFormat) out = out.substr(0, out.find('/'));
  while (!out.empty() && out.back() == '/') out.pop_back();
  auto slash = out.find('/');
  std::string host = out.substr(0, slash);
  if (host == "index.docker.io" || host == "registry-1.docker.io") host = "docker.io";
  return slash == std::string::npos ? host : host + out.substr(slash);
}

std::string credentialRepository(const std::vector<std::string>& scopes) {
  constexpr std::string_view kPrefix = "repository:";
  std::string first;
  for (const auto& scope : scopes) {
    // "repository:NAME:ACTIONS"; NAME holds no ':'.
    if (!scope.starts_with(kPrefix)) continue;
    auto actionsAt = scope.rfind(':');
    if (actionsAt <= kPrefix.size()) continue;
    std::string name = scope.substr(kPrefix.size(), actionsAt - kPrefix.size());
    std::string actions = "," + scope.substr(actionsAt + 1) + ",";
    if (actions.find(",push,") != std::string::npos) return name;
    if (first.empty()) first = name;
  }
  return first;
}

std::vector<std::string> helperServerNames(const std::string& registry) {
  if (registry == "docker.io") return {"https://index.docker.io/v1/", "docker.io"};
  return {registry};
}

std::optional<std::string> processEnvironment(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

std::vector<AuthFile> authFileSearchOrder(const std::filesystem::path& authFile, const EnvironmentLookup& environment) {
  if (!authFile.empty()) return {{authFile}};
  if (auto file = environment("REGISTRY_AUTH_FILE")) return {{*file}};
  std::vector<AuthFile> files;
  if (auto runtime = environment("XDG_RUNTIME_DIR")) {
    files.push_back({std::filesystem::path(*runtime) / "containers/auth.json"});
  } else {
    files.push_back({"/run/containers/" + std::to_string(::getuid()) + "/auth.json"});
  }
  auto home = environment("HOME");
  if (auto config = environment("XDG_CONFIG_HOME")) {
    files.push_back({std::filesystem::path(*config) / "containers/auth.json"});
  } else if (home) {
    files.push_back({std::filesystem::path(*home) / ".config/containers/auth.json"});
  }
  if (auto docker = environment("DOCKER_CONFIG")) {
    files.push_back({std::filesystem::path(*docker) / "config.json"});
  } else if (home) {
    files.push_back({std::filesystem::path(*home) / ".docker/config.json"});
  }
  if (home) files.push_back({std::filesystem::path(*home) / ".dockercfg", /*legacyFormat=*/true});
  return files;
}

CredentialStore::HelperRunner CredentialStore::defaultHelperRunner() {
  return [](const std::string& name, const std::string& server) { return runCredentialHelper(name, server); };
}

CredentialStore CredentialStore::fromFiles(std::vector<AuthFile> files, HelperRunner runHelper) {
  CredentialStore store;
  store.files_ = std::move(files);
  store.runHelper_ = std::move(runHelper);
  store.cache_ = std::make_shared<Cache>();
  return store;
}

CredentialStore CredentialStore::fromEnvironment(const std::filesystem::path& authFile) {
  if (!authFile.empty() && !std::filesystem::exists(authFile))
    fail("auth file '{}' does not exist (--authfile)", authFile.string());
  return fromFiles(authFileSearchOrder(authFile));
}

std::optional<Credential> CredentialStore::askHelper(const std::string& name, const std::string& registry,
                                                     const AuthFile& file, const char* setting) const {
  // Called with cache_->mutex held.
  std::string program = "docker-credential-" + name;
  for (const auto& server : helperServerNames(registry)) {
    auto key = std::make_pair(name, server);
    auto it = cache_->helperAnswers.find(key);
    if (it == cache_->helperAnswers.end()) it = cache_->helperAnswers.emplace(key, runHelper_(name, server)).first;
    const HelperResult& answer = it->second;
    switch (answer.outcome) {
      case HelperResult::Outcome::NotFound:
        continue;
      case HelperResult::Outcome::NotInstalled:
        fail("cannot get credentials for {}: \"{}\" in '{}' names the credential helper '{}', which is not in PATH; "
             "install it, remove that setting, or give credentials with --src-creds/--dest-creds or --authfile",
             registry, setting, file.path.string(), program);
      case HelperResult::Outcome::Failed:
        fail("cannot get credentials for {} from the credential helper '{}' (\"{}\" in '{}'): {}; check the helper "
             "and its login, or give credentials with --src-creds/--dest-creds or --authfile",
             registry, program, setting, file.path.string(), answer.detail);
      case HelperResult::Outcome::Found: {
        Credential credential{.source = "credential helper '" + program + "'"};
        if (answer.isIdentityToken()) {
          credential.identityToken = answer.secret;
        } else {
          credential.username = answer.username;
          credential.password = answer.secret;
        }
        return credential;
      }
    }
  }
  return std::nullopt;
}

std::optional<Credential> CredentialStore::find(const std::string& registry, const std::string& repository) const {
  std::lock_guard lock(cache_->mutex);
  std::string wanted = repository.empty() ? registry : registry + "/" + repository;
  for (const auto& file : files_) {
    const ParsedAuthFile* parsed = cache_->file(file);
    if (!parsed) continue;
    // Helpers hold credentials per registry, not per repository; a credHelpers
    // entry is the only source this file has for its registry.
    if (auto helper = parsed->credHelpers.find(registry); helper != parsed->credHelpers.end()) {
      if (auto credential = askHelper(helper->second, registry, file, "credHelpers")) return credential;
      continue;
    }
    if (auto credential = bestAuthsEntry(*parsed, file, registry, wanted)) return credential;
    if (!parsed->credsStore.empty()) {
      if (auto credential = askHelper(parsed->credsStore, registry, file, "credsStore")) return credential;
    }
  }
  return std::nullopt;
}

}  // namespace ferry
