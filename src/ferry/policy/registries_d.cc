// registries.d (containers-registries.d(5)): where each docker scope keeps its signatures.
//
//   default-docker:
//     lookaside: https://sigs.example.com/sigstore
//   docker:
//     registry.example.com/team:
//       lookaside: file:///srv/sigstore
//       use-sigstore-attachments: true
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/policy/policy.h"

namespace ferry::policy {
namespace {

namespace fs = std::filesystem;

std::string at(const std::string& name, const YAML::Node& node) {
  return fmt::format("{}:{}", name, node.Mark().line >= 0 ? node.Mark().line + 1 : 1);
}

SignatureStorage storageOf(const YAML::Node& node, const std::string& name, const std::string& scope) {
  if (!node.IsMap())
    fail(ErrorKind::InvalidInput, "{}: {} must be a map (lookaside, use-sigstore-attachments)", at(name, node), scope);
  SignatureStorage storage;
  storage.where = at(name, node);
  for (const auto& entry : node) {
    auto key = entry.first.as<std::string>();
    const auto& value = entry.second;
    if (key == "lookaside" || key == "sigstore") {  // "sigstore" is the old name of "lookaside"
      if (!value.IsScalar() || value.as<std::string>().empty())
        fail(ErrorKind::InvalidInput, "{}: {}.{} must be a URL (file://, http://, https://)", at(name, value), scope, key);
      auto url = value.as<std::string>();
      if (!url.starts_with("file://") && !url.starts_with("http://") && !url.starts_with("https://"))
        fail(ErrorKind::InvalidInput, "{}: {}.{} '{}' must start with file://, http:// or https://", at(name, value),
             scope, key, url);
      storage.lookaside = url;
    } else if (key == "lookaside-staging" || key == "sigstore-staging") {
      // Where signatures are written: ferry writes none.
    } else if (key == "use-sigstore-attachments") {
      bool flag = false;
      if (!value.IsScalar() || !YAML::convert<bool>::decode(value, flag))
        fail(ErrorKind::InvalidInput, "{}: {}.use-sigstore-attachments must be true or false", at(name, value), scope);
      storage.useSigstoreAttachments = flag;
    } else {
      fail(ErrorKind::InvalidInput,
           "{}: {} has no field '{}' (it takes lookaside, lookaside-staging, use-sigstore-attachments)",
           at(name, entry.first), scope, key);
    }
  }
  return storage;
}

// The most specific scope of `image` for which `pick` says something, then default-docker.
template <typename T, typename Pick>
std::optional<T> mostSpecific(const RegistriesDirectory& directory, const ImageReference& image, Pick pick) {
  if (!image.isLocal())
    for (const auto& scope : dockerScopes(image))
      if (auto found = directory.docker.find(scope); found != directory.docker.end())
        if (auto value = pick(found->second)) return value;
  if (directory.defaultDocker)
    if (auto value = pick(*directory.defaultDocker)) return value;
  return std::nullopt;
}

}  // namespace

void RegistriesDirectory::add(std::string_view text, const std::string& name) {
  if (static_cast<int64_t>(text.size()) > kMaxPolicyFileBytes)
    fail(ErrorKind::Limit, "{} is larger than {} KiB, ferry's limit for registries.d files (see docs/limits.md)", name,
         kMaxPolicyFileBytes >> 10);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}:{}: not valid YAML: {}", name, e.mark.line + 1, e.msg);
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) fail(ErrorKind::InvalidInput, "{}: a registries.d file is a map (docker:, default-docker:)", at(name, root));
  try {
    for (const auto& entry : root) {
      auto key = entry.first.as<std::string>();
      if (key == "default-docker") {
        if (defaultDocker)
          fail(ErrorKind::InvalidInput, "{}: default-docker is set in {} already; give it in one file", at(name, entry.first),
               defaultDocker->where);
        defaultDocker = storageOf(entry.second, name, "default-docker");
      } else if (key == "docker") {
        if (!entry.second.IsMap())
          fail(ErrorKind::InvalidInput, "{}: docker must be a map of scopes (host[/repository])", at(name, entry.second));
        for (const auto& scope : entry.second) {
          auto scopeName = scope.first.as<std::string>();
          if (auto known = docker.find(scopeName); known != docker.end())
            fail(ErrorKind::InvalidInput, "{}: docker scope '{}' is set in {} already; give it in one file",
                 at(name, scope.first), scopeName, known->second.where);
          docker[scopeName] = storageOf(scope.second, name, "docker[\"" + scopeName + "\"]");
        }
      } else {
        fail(ErrorKind::InvalidInput, "{}: unknown key '{}' (registries.d files take docker and default-docker)",
             at(name, entry.first), key);
      }
    }
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}:{}: {}", name, e.mark.line + 1, e.msg);
  }
}

RegistriesDirectory RegistriesDirectory::load(const fs::path& directory) {
  RegistriesDirectory result;
  result.directories.push_back(directory);
  std::error_code failed;
  if (!fs::is_directory(directory, failed)) return result;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory, failed)) {
    auto extension = entry.path().extension();
    if (entry.is_regular_file() && (extension == ".yaml" || extension == ".yml")) files.push_back(entry.path());
    if (static_cast<int>(files.size()) > kMaxRegistriesDirectoryFiles)
      fail(ErrorKind::Limit, "{} holds more than {} files, ferry's limit for registries.d (see docs/limits.md)",
           directory.string(), kMaxRegistriesDirectoryFiles);
  }
  if (failed) fail(ErrorKind::InvalidInput, "cannot read the registries.d folder '{}': {}", directory.string(), failed.message());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    auto size = fs::file_size(file, failed);
    if (!failed && static_cast<int64_t>(size) > kMaxPolicyFileBytes)
      fail(ErrorKind::Limit, "{} is larger than {} KiB, ferry's limit for registries.d files (see docs/limits.md)",
           file.string(), kMaxPolicyFileBytes >> 10);
    result.add(readFile(file), file.string());
  }
  return result;
}

std::string RegistriesDirectory::lookasideFor(const ImageReference& image) const {
  return mostSpecific<std::string>(*this, image, [](const SignatureStorage& storage) -> std::optional<std::string> {
           if (storage.lookaside.empty()) return std::nullopt;
           return storage.lookaside;
         }).value_or("");
}

bool RegistriesDirectory::sigstoreAttachmentsFor(const ImageReference& image) const {
  return mostSpecific<bool>(*this, image, [](const SignatureStorage& storage) { return storage.useSigstoreAttachments; })
      .value_or(true);
}

fs::path defaultRegistriesDirectory() {
  if (const char* home = std::getenv("HOME"); home && *home) {
    auto user = fs::path(home) / ".config/containers/registries.d";
    if (fs::is_directory(user)) return user;
  }
  return "/etc/containers/registries.d";
}

}  // namespace ferry::policy
