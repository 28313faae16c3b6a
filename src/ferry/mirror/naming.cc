#include "ferry/mirror/naming.h"

#include <optional>
#include <regex>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"

namespace ferry::mirror {
namespace {

constexpr std::string_view kDockerScheme = "docker://";

std::vector<std::string> splitPath(std::string_view path) { return splitString(path, '/'); }

int componentCount(std::string_view path) { return path.empty() ? 0 : static_cast<int>(splitPath(path).size()); }

// A registry host as a destination root names it: a host name or IPv4 address,
// or an IPv6 literal in brackets, each with an optional port. Unlike in image
// references the host needs no '.' or port: the root's first component is
// always the registry.
void validateRegistryHost(std::string_view text, std::string_view host) {
  auto bad = [&](std::string_view why) { fail("invalid destination '{}': {}", text, why); };
  if (host.empty()) bad("the registry host is empty; expected docker://HOST[:PORT][/NAMESPACE]");
  std::optional<std::string_view> port;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) bad("an IPv6 address must be closed with ']'");
    auto inside = host.substr(1, close - 1);
    if (inside.empty() || inside.find_first_not_of("0123456789abcdefABCDEF:.") != std::string_view::npos)
      bad(fmt::format("'{}' is not an IPv6 address", inside));
    auto rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') bad("expected ':PORT' after the IPv6 address");
      port = rest.substr(1);
    }
  } else {
    std::string_view name = host;
    if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
    }
    static const std::regex hostName(
        "^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$");
    if (!std::regex_match(std::string(name), hostName)) bad(fmt::format("'{}' is not a valid host name", name));
  }
  if (port && (port->empty() || port->size() > 5 || port->find_first_not_of("0123456789") != std::string_view::npos ||
               std::stoi(std::string(*port)) > 65535))
    bad(fmt::format("port '{}' is not a number from 0 to 65535", *port));
}

// The repository path the image keeps under the destination namespace.
std::string sourcePath(const ImageReference& source, const NamingOptions& options) {
  const auto& target = options.isCatalog ? options.targetCatalog : options.targetRepo;
  const char* targetName = options.isCatalog ? "targetCatalog" : "targetRepo";
  if (target) {
    std::string path = *target;
    while (!path.empty() && path.front() == '/') path.erase(path.begin());
    while (!path.empty() && path.back() == '/') path.pop_back();
    if (!isValidRepository(path))
      fail(
          "{} '{}' of image {} is not a valid repository path (lowercase letters, digits and separators '.', '_', "
          "'__', '-' between '/'-separated components)",
          targetName, *target, source.str());
    return path;
  }
  if (source.transport == Transport::Registry) return source.repository;
  // An OCI layout has no repository: its directory's name stands in for one.
  auto directory = source.layoutPath.lexically_normal();
  std::string name = directory.filename().string();
  if (name.empty()) name = directory.parent_path().filename().string();
  if (!isValidRepository(name))
    fail(
        "image {} comes from a directory named '{}', which is not a valid repository name; set {} to name its "
        "repository at the destination",
        source.str(), name, targetName);
  return name;
}

std::string destinationTag(const ImageReference& source, const NamingOptions& options) {
  if (options.targetTag) {
    if (!isValidTag(*options.targetTag))
      fail(
          "targetTag '{}' of image {} is not a valid tag (letters, digits, '_', '.', '-'; at most 128; not "
          "starting with '.' or '-')",
          *options.targetTag, source.str());
    return *options.targetTag;
  }
  if (source.tag) return *source.tag;
  if (source.digest) {
    if (!options.isCatalog) return digestTag(*source.digest);
    // The catalog at the destination is the rebuilt one, so its digest names it.
    if (!options.rebuiltCatalogDigest)
      fail(
          "catalog {} is named by digest only, so its destination tag is made from the digest of the rebuilt "
          "catalog, and none was given (internal error: the planner must pass it)",
          source.str());
    return digestTag(*options.rebuiltCatalogDigest);
  }
  return "latest";
}

}  // namespace

DestinationRoot DestinationRoot::parse(std::string_view text) {
  std::string_view rest = text;
  if (rest.starts_with(kDockerScheme))
    rest.remove_prefix(kDockerScheme.size());
  else if (rest.find("://") != std::string_view::npos)
    fail("invalid destination '{}': a registry destination starts with docker:// (file:// is for archives)", text);
  while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  if (rest.empty()) fail("invalid destination '{}': expected docker://HOST[:PORT][/NAMESPACE]", text);

  // An IPv6 literal's colons must not be taken for the path's start or a port.
  size_t hostEnd = rest.front() == '[' ? rest.find(']') : 0;
  if (hostEnd == std::string_view::npos)
    fail("invalid destination '{}': an IPv6 address must be closed with ']'", text);
  auto slash = rest.find('/', hostEnd);
  std::string_view host = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);

  validateRegistryHost(text, host);
  if (path.find('@') != std::string_view::npos || path.find(':') != std::string_view::npos)
    fail(
        "invalid destination '{}': a destination names a registry and namespace, not an image; remove the tag or "
        "digest",
        text);
  if (!path.empty() && !isValidRepository(path))
    fail(
        "invalid destination '{}': namespace '{}' is not a valid repository path (lowercase letters, digits and "
        "separators '.', '_', '__', '-' between '/'-separated components)",
        text, path);
  return DestinationRoot{std::string(host), std::string(path)};
}

std::string DestinationRoot::str() const {
  return std::string(kDockerScheme) + registry + (namespacePath.empty() ? "" : "/" + namespacePath);
}

std::string digestTag(const Digest& digest) {
  std::string tag = std::string(digest.algorithm()) + "-" + std::string(digest.hex());
  if (tag.size() > 128) tag.resize(128);
  return tag;
}

std::string flattenPath(std::string_view path, int maxComponents) {
  auto parts = splitPath(path);
  if (maxComponents <= 0 || static_cast<int>(parts.size()) <= maxComponents) return std::string(path);
  std::string kept;
  for (int i = 0; i < maxComponents - 1; ++i) kept += parts[i] + "/";
  std::string folded;
  for (size_t i = maxComponents - 1; i < parts.size(); ++i) folded += (folded.empty() ? "" : "-") + parts[i];
  return kept + folded;
}

ImageReference destinationFor(const ImageReference& source, const DestinationRoot& root, const NamingOptions& options) {
  if (options.isCatalog && options.targetRepo)
    fail("image {}: targetRepo applies to additional images; catalogs use targetCatalog", source.str());
  if (!options.isCatalog && options.targetCatalog)
    fail("image {}: targetCatalog applies to catalogs; other images use targetRepo", source.str());
  if (options.maxNestedPaths < 0)
    fail("--max-nested-paths {} is negative; use 0 to leave paths alone", options.maxNestedPaths);
  int namespaceComponents = componentCount(root.namespacePath);
  if (options.maxNestedPaths > 0 && options.maxNestedPaths < namespaceComponents + 1)
    fail(
        "--max-nested-paths {} is too small for destination {}: its namespace '{}' has {} component(s) of its own, "
        "so at least {} are needed to leave room for the image's name",
        options.maxNestedPaths, root.str(), root.namespacePath, namespaceComponents, namespaceComponents + 1);

  std::string path = sourcePath(source, options);
  if (!root.namespacePath.empty()) path = root.namespacePath + "/" + path;
  path = flattenPath(path, options.maxNestedPaths);
  if (!isValidRepository(path))
    fail(
        "the destination repository '{}' for image {} is not valid (at most 255 characters of lowercase letters, "
        "digits and separators)",
        path, source.str());

  ImageReference destination;
  destination.transport = Transport::Registry;
  destination.registry = root.registry;
  destination.repository = std::move(path);
  destination.tag = destinationTag(source, options);
  return destination;
}

ImageReference pullReferenceFor(const ImageReference& source) {
  ImageReference pull = source;
  if (pull.digest) pull.tag.reset();
  return pull;
}

bool namedByDigestOnly(const ImageReference& source) { return source.digest && !source.tag; }

}  // namespace ferry::mirror
