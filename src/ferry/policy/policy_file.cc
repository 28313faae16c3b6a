// policy.json (containers-policy.json(5)) read into Policy, every error naming file:line and the field.
#include <cstdlib>
#include <set>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/policy/gpgv.h"
#include "ferry/policy/json_lines.h"
#include "ferry/policy/policy.h"

namespace ferry::policy {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using Path = std::vector<std::string>;

// The transports containers-policy.json knows; scopes of the others are an error, as in containers/image.
const std::set<std::string> kTransports = {"atomic", "containers-storage", "dir", "docker", "docker-archive",
                                           "docker-daemon", "oci", "oci-archive", "sif", "tarball"};

class Reader {
 public:
  Reader(const JsonWithLines& json, std::string name) : json_(json), name_(std::move(name)) {}

  std::string where(const Path& path) const { return fmt::format("{}:{}", name_, json_.lineOf(path)); }

  template <typename... Args>
  [[noreturn]] void error(const Path& path, fmt::format_string<Args...> format, Args&&... args) const {
    fail(ErrorKind::InvalidInput, "{}: {}", where(path), fmt::format(format, std::forward<Args>(args)...));
  }

  // "transports.docker[\"quay.io\"][0].keyPath": a field's name for messages.
  static std::string field(const Path& path) {
    std::string text;
    for (const auto& part : path) {
      bool index = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
      bool plain = !part.empty() && part.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_") ==
                                       std::string::npos;
      if (index) text += "[" + part + "]";
      else if (plain) text += (text.empty() ? "" : ".") + part;
      else text += "[\"" + part + "\"]";
    }
    return text;
  }

  void onlyFields(const Json& object, const Path& path, const std::set<std::string>& allowed, const std::string& what) const {
    for (const auto& [key, value] : object.items())
      if (!allowed.contains(key)) {
        auto at = path;
        at.push_back(key);
        error(at, "{} has no field '{}' (it takes {})", what, key, fmt::join(allowed, ", "));
      }
  }

  std::string string(const Json& object, const Path& path, const std::string& key, bool required) const {
    auto at = path;
    at.push_back(key);
    auto found = object.find(key);
    if (found == object.end()) {
      if (required) error(path, "{} needs the field '{}'", field(path), key);
      return {};
    }
    if (!found->is_string() || found->get<std::string>().empty())
      error(at, "{} must be a non-empty string", field(at));
    return found->get<std::string>();
  }

  std::string readKeyFile(const std::string& file, const Path& at) const {
    std::error_code failed;
    auto size = fs::file_size(file, failed);
    if (failed) error(at, "cannot read the key file '{}' ({}): {}", file, field(at), failed.message());
    if (size > kMaxKeyringBytes)
      error(at, "the key file '{}' is larger than {} MiB, ferry's limit (see docs/limits.md)", file, kMaxKeyringBytes >> 20);
    return readFile(file);
  }

  // keyPath / keyPaths / keyData: exactly one; the keys' bytes, each with its name.
  std::vector<std::pair<std::string, std::string>> keys(const Json& rule, const Path& path, bool required) const {
    int given = rule.contains("keyPath") + rule.contains("keyPaths") + rule.contains("keyData");
    if (given > 1) error(path, "{} takes one of keyPath, keyPaths and keyData, not several", field(path));
    std::vector<std::pair<std::string, std::string>> keys;
    if (given == 0) {
      if (required) error(path, "{} needs its keys: keyPath, keyPaths or keyData", field(path));
      return keys;
    }
    if (rule.contains("keyPath")) {
      auto file = string(rule, path, "keyPath", true);
      keys.emplace_back(file, readKeyFile(file, extend(path, "keyPath")));
    } else if (rule.contains("keyPaths")) {
      auto at = extend(path, "keyPaths");
      const auto& list = rule["keyPaths"];
      if (!list.is_array() || list.empty()) error(at, "{} must be a non-empty list of files", field(at));
      for (size_t i = 0; i < list.size(); ++i) {
        auto item = extend(at, std::to_string(i));
        if (!list[i].is_string() || list[i].get<std::string>().empty()) error(item, "{} must be a file name", field(item));
        keys.emplace_back(list[i].get<std::string>(), readKeyFile(list[i].get<std::string>(), item));
      }
    } else {
      auto at = extend(path, "keyData");
      auto data = string(rule, path, "keyData", true);
      auto decoded = base64Decode(data);
      if (!decoded) error(at, "{} must be base64 (of the key file's bytes)", field(at));
      keys.emplace_back(where(at) + " keyData", *decoded);
    }
    return keys;
  }

  static Path extend(Path path, const std::string& part) {
    path.push_back(part);
    return path;
  }

  SignedIdentity identity(const Json& rule, const Path& path) const {
    SignedIdentity identity;
    auto found = rule.find("signedIdentity");
    if (found == rule.end()) return identity;
    auto at = extend(path, "signedIdentity");
    if (!found->is_object()) error(at, "{} must be an object with a type", field(at));
    auto type = string(*found, at, "type", true);
    auto reference = [&](const std::string& key, bool nameOnly) {
      auto text = string(*found, at, key, true);
      auto keyAt = extend(at, key);
      ImageReference parsed;
      try {
        parsed = ImageReference::parse(text);
      } catch (const Error& e) {
        error(keyAt, "{} '{}' is not an image reference: {}", field(keyAt), text, e.what());
      }
      if (parsed.isLocal() || text.find("://") != std::string::npos)
        error(keyAt, "{} '{}' must be a registry name (host/repository), without a transport", field(keyAt), text);
      if (nameOnly && (parsed.tag || parsed.digest))
        error(keyAt, "{} '{}' names a repository, so it takes no tag or digest", field(keyAt), text);
      if (!nameOnly && !parsed.tag && !parsed.digest)
        error(keyAt, "{} '{}' must carry a tag or a digest", field(keyAt), text);
      return text;
    };
    if (type == "matchRepoDigestOrExact" || type == "matchRepository" || type == "matchExact") {
      onlyFields(*found, at, {"type"}, type);
      identity.match = type == "matchRepository" ? IdentityMatch::MatchRepository
                       : type == "matchExact"    ? IdentityMatch::MatchExact
                                                 : IdentityMatch::MatchRepoDigestOrExact;
    } else if (type == "exactReference") {
      onlyFields(*found, at, {"type", "dockerReference"}, type);
      identity.match = IdentityMatch::ExactReference;
      identity.dockerReference = reference("dockerReference", false);
    } else if (type == "exactRepository") {
      onlyFields(*found, at, {"type", "dockerRepository"}, type);
      identity.match = IdentityMatch::ExactRepository;
      identity.dockerRepository = reference("dockerRepository", true);
    } else if (type == "remapIdentity") {
      onlyFields(*found, at, {"type", "prefix", "signedPrefix"}, type);
      identity.match = IdentityMatch::RemapIdentity;
      identity.prefix = string(*found, at, "prefix", true);
      identity.signedPrefix = string(*found, at, "signedPrefix", true);
      for (const auto* prefix : {&identity.prefix, &identity.signedPrefix})
        if (prefix->find("://") != std::string::npos || prefix->find('@') != std::string::npos || prefix->ends_with("/"))
          error(at, "remapIdentity's prefix and signedPrefix are host[/namespace] names, not '{}'", *prefix);
    } else {
      error(extend(at, "type"), "unknown signedIdentity type '{}': use matchRepoDigestOrExact, matchRepository, "
            "matchExact, exactReference, exactRepository or remapIdentity", type);
    }
    return identity;
  }

  Rule rule(const Json& value, const Path& path) const {
    if (!value.is_object()) error(path, "{} must be an object with a type", field(path));
    Rule rule;
    rule.where = where(path);
    auto type = string(value, path, "type", true);
    if (type == "insecureAcceptAnything" || type == "reject") {
      onlyFields(value, path, {"type"}, type);
      rule.type = type == "reject" ? RuleType::Reject : RuleType::InsecureAcceptAnything;
    } else if (type == "signedBy") {
      onlyFields(value, path, {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"}, type);
      rule.type = RuleType::SignedBy;
      auto keyType = string(value, path, "keyType", true);
      if (keyType != "GPGKeys")
        error(extend(path, "keyType"), "signedBy keyType '{}' is not supported; the only key type is GPGKeys", keyType);
      std::vector<std::string> names;
      for (const auto& [name, bytes] : keys(value, path, true)) {
        rule.keyring += binaryKeyring(bytes, fmt::format("{} ({})", name, where(path)));
        names.push_back(name);
      }
      rule.keyringName = fmt::format("{}", fmt::join(names, ", "));
      rule.identity = identity(value, path);
    } else if (type == "sigstoreSigned") {
      onlyFields(value, path,
                 {"type", "keyPath", "keyPaths", "keyData", "fulcio", "pki", "rekorPublicKeyPath", "rekorPublicKeyPaths",
                  "rekorPublicKeyData", "signedIdentity"},
                 type);
      rule.type = RuleType::SigstoreSigned;
      bool keyless = value.contains("fulcio") || value.contains("pki");
      bool rekor = value.contains("rekorPublicKeyPath") || value.contains("rekorPublicKeyPaths") ||
                   value.contains("rekorPublicKeyData");
      bool withKeys = value.contains("keyPath") || value.contains("keyPaths") || value.contains("keyData");
      if (keyless && withKeys) error(path, "sigstoreSigned takes keys (keyPath, keyPaths, keyData) or fulcio/pki, not both");
      if (keyless) {
        const auto& fulcio = value.contains("fulcio") ? value["fulcio"] : value["pki"];
        bool roots = fulcio.is_object() && (fulcio.contains("caPath") || fulcio.contains("caData") ||
                                            fulcio.contains("caRootsPath") || fulcio.contains("caRootsData"));
        if (!roots || !rekor)
          error(path, "keyless sigstoreSigned (fulcio) needs its trust roots: fulcio.caPath or caData, and "
                "rekorPublicKeyPath or rekorPublicKeyData; give them, or verify with a public key (keyPath)");
        rule.unusable = "keyless verification (Fulcio certificates, Rekor entries) is not implemented by ferry; "
                        "sign with a key and give it as keyPath, or copy without this policy";
      } else {
        rule.publicKeys = keys(value, path, true);
        for (const auto& [name, pem] : rule.publicKeys)
          if (pem.find("-----BEGIN PUBLIC KEY-----") == std::string::npos)
            error(path, "{}: the sigstore key {} is not a PEM public key (-----BEGIN PUBLIC KEY-----)", field(path), name);
        if (rekor)
          rule.unusable = "Rekor verification (rekorPublicKey*) of key-signed signatures is not implemented by ferry; "
                          "drop rekorPublicKeyPath/Data from the rule to verify the key signature alone";
      }
      rule.identity = identity(value, path);
    } else if (type == "signedBaseLayer") {
      onlyFields(value, path, {"type", "baseLayerIdentity"}, type);
      rule.type = RuleType::SignedBaseLayer;
    } else {
      error(extend(path, "type"), "unknown rule type '{}': use insecureAcceptAnything, reject, signedBy or sigstoreSigned",
            type);
    }
    return rule;
  }

  std::vector<Rule> rules(const Json& value, const Path& path) const {
    if (!value.is_array()) error(path, "{} must be a list of rules ([{{\"type\": ...}}])", field(path));
    if (value.empty()) error(path, "{} has no rules; give at least one (reject, or insecureAcceptAnything)", field(path));
    std::vector<Rule> rules;
    for (size_t i = 0; i < value.size(); ++i) rules.push_back(rule(value[i], extend(path, std::to_string(i))));
    return rules;
  }

 private:
  const JsonWithLines& json_;
  std::string name_;
};

}  // namespace

std::string_view ruleTypeName(RuleType type) {
  switch (type) {
    case RuleType::InsecureAcceptAnything: return "insecureAcceptAnything";
    case RuleType::Reject: return "reject";
    case RuleType::SignedBy: return "signedBy";
    case RuleType::SigstoreSigned: return "sigstoreSigned";
    case RuleType::SignedBaseLayer: return "signedBaseLayer";
  }
  return "reject";
}

Policy parsePolicy(std::string_view text, const std::string& name) {
  if (static_cast<int64_t>(text.size()) > kMaxPolicyFileBytes)
    fail(ErrorKind::Limit, "{} is larger than {} KiB, ferry's limit for policy files (see docs/limits.md)", name,
         kMaxPolicyFileBytes >> 10);
  auto json = parseJsonWithLines(text, name);
  Reader reader(json, name);
  const auto& root = json.value;
  if (!root.is_object()) reader.error({}, "a policy is a JSON object with \"default\" (and \"transports\")");
  reader.onlyFields(root, {}, {"default", "transports"}, "the policy");
  Policy policy;
  policy.file = name;
  if (!root.contains("default"))
    reader.error({}, "the policy needs \"default\": the rules for images no scope names (e.g. [{{\"type\": \"reject\"}}])");
  policy.defaults = reader.rules(root["default"], {"default"});
  policy.defaultsWhere = reader.where({"default"});
  if (auto transports = root.find("transports"); transports != root.end()) {
    if (!transports->is_object()) reader.error({"transports"}, "transports must be an object of transport names");
    for (const auto& [transport, scopes] : transports->items()) {
      Path at{"transports", transport};
      if (!kTransports.contains(transport))
        reader.error(at, "unknown transport '{}' (containers-policy.json knows {})", transport, fmt::join(kTransports, ", "));
      if (!scopes.is_object()) reader.error(at, "transports.{} must be an object of scopes", transport);
      for (const auto& [scope, rules] : scopes.items()) {
        Path scopeAt{"transports", transport, scope};
        if (scope.find("://") != std::string::npos)
          reader.error(scopeAt, "scope '{}' names a transport; write it without '{}'", scope,
                       scope.substr(0, scope.find("://") + 3));
        if (transport == "docker" && (scope.find('*') != std::string::npos) &&
            !(scope.starts_with("*.") && scope.find('*', 1) == std::string::npos && scope.find('/') == std::string::npos))
          reader.error(scopeAt, "scope '{}': a wildcard is only allowed as a host's first label (*.example.com)", scope);
        policy.transports[transport][scope] = reader.rules(rules, scopeAt);
        policy.scopeWhere[transport][scope] = reader.where(scopeAt);
      }
    }
  }
  return policy;
}

Policy loadPolicy(const fs::path& file) {
  std::error_code failed;
  auto size = fs::file_size(file, failed);
  if (failed) fail(ErrorKind::NotFound, "cannot read the signature policy '{}': {}", file.string(), failed.message());
  if (static_cast<int64_t>(size) > kMaxPolicyFileBytes)
    fail(ErrorKind::Limit, "{} is larger than {} KiB, ferry's limit for policy files (see docs/limits.md)",
         file.string(), kMaxPolicyFileBytes >> 10);
  return parsePolicy(readFile(file), file.string());
}

std::optional<fs::path> defaultPolicyFile() {
  if (const char* home = std::getenv("HOME"); home && *home) {
    auto user = fs::path(home) / ".config/containers/policy.json";
    if (fs::exists(user)) return user;
  }
  fs::path system = "/etc/containers/policy.json";
  if (fs::exists(system)) return system;
  return std::nullopt;
}

}  // namespace ferry::policy
