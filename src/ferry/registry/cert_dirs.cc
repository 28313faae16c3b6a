#include "ferry/registry/cert_dirs.h"

#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {

std::vector<std::filesystem::path> defaultCertsDirectoryRoots() {
  const char* override = std::getenv("FERRY_CERTS_D");
  if (!override) {
    // containers/image looks in the user's folder first (rootless podman and skopeo users keep theirs there).
    std::vector<std::filesystem::path> roots;
    if (const char* home = std::getenv("HOME"); home && *home)
      roots.push_back(std::filesystem::path(home) / ".config/containers/certs.d");
    roots.emplace_back("/etc/containers/certs.d");
    roots.emplace_back("/etc/docker/certs.d");
    return roots;
  }
  std::vector<std::filesystem::path> roots;
  std::string_view rest = override;
  while (!rest.empty()) {
    auto colon = rest.find(':');
    if (colon != 0) roots.emplace_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return roots;
}

std::filesystem::path selectCertDirectory(const std::filesystem::path& explicitDirectory,
                                          const std::vector<std::filesystem::path>& roots,
                                          const std::string& hostPort) {
  if (!explicitDirectory.empty()) return explicitDirectory;
  for (const auto& root : roots) {
    std::error_code error;  // an unreadable root is passed over, as containers/image does
    auto candidate = root / hostPort;
    if (std::filesystem::is_directory(candidate, error)) return candidate;
  }
  return {};
}

CertDirectoryContents readCertDirectory(const std::filesystem::path& directory) {
  if (!std::filesystem::is_directory(directory))
    fail("certificate directory '{}' does not exist or is not a directory", directory.string());
  std::vector<std::filesystem::path> entries;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  auto partner = [](std::filesystem::path path, const char* extension) { return path.replace_extension(extension); };

  CertDirectoryContents contents;
  for (const auto& path : entries) {
    auto extension = path.extension();
    if (extension == ".crt") {
      contents.caPem += readFile(path) + "\n";
    } else if (extension == ".cert") {
      auto key = partner(path, ".key");
      if (!std::filesystem::exists(key))
        fail("client certificate '{}' has no key '{}'; CA certificates must be named *.crt", path.string(),
             key.string());
      if (contents.clientCertificate.empty()) {
        contents.clientCertificate = path;
        contents.clientKey = key;
      }
    } else if (extension == ".key") {
      if (!std::filesystem::exists(partner(path, ".cert")))
        fail("key '{}' has no client certificate '{}'", path.string(), partner(path, ".cert").string());
    }
  }
  return contents;
}

}  // namespace ferry
