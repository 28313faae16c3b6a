#include "ferry/ref/reference.h"

#include <regex>

#include "ferry/base/error.h"

namespace ferry {
namespace {

constexpr std::string_view kDockerHub = "docker.io";

[[noreturn]] void invalid(std::string_view text, std::string_view why) {
  fail(ErrorKind::InvalidInput, "invalid image reference '{}': {}", text, why);
}

// Docker's rule: the first component names a host when it has a '.' or a ':'
// (a port), is "localhost", or is an IPv6 literal in brackets.
bool looksLikeHost(std::string_view component) {
  return component.find('.') != std::string_view::npos || component.find(':') != std::string_view::npos ||
         component == "localhost" || (!component.empty() && component.front() == '[');
}

void validateHost(std::string_view text, std::string_view host) {
  std::string_view name = host;
  std::string_view port;
  if (host.front() == '[') {
    auto close = host.find(']');
    if (close == std::string_view::npos) invalid(text, "an IPv6 address must be closed with ']'");
    auto inside = host.substr(1, close - 1);
    if (inside.empty() || inside.find_first_not_of("0123456789abcdefABCDEF:.%") != std::string_view::npos)
      invalid(text, fmt::format("'{}' is not an IPv6 address", inside));
    auto rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') invalid(text, "expected ':PORT' after the IPv6 address");
      port = rest.substr(1);
      if (port.empty()) invalid(text, "the port after ':' is empty");
    }
    name = {};
  } else if (auto colon = host.rfind(':'); colon != std::string_view::npos) {
    name = host.substr(0, colon);
    port = host.substr(colon + 1);
    if (port.empty()) invalid(text, "the port after ':' is empty");
  }
  if (!port.empty() && (port.find_first_not_of("0123456789") != std::string_view::npos || port.size() > 5 ||
                        std::stoi(std::string(port)) > 65535))
    invalid(text, fmt::format("port '{}' is not a number from 0 to 65535", port));
  static const std::regex hostName("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$");
  if (host.front() != '[' && !std::regex_match(std::string(name), hostName))
    invalid(text, fmt::format("'{}' is not a valid host name", name));
}

// Splits "name[:tag][@digest]" where ':' only counts after the last '/'.
void splitTagAndDigest(std::string_view text, std::string_view& rest, ImageReference& ref) {
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    auto digestText = rest.substr(at + 1);
    auto digest = Digest::tryParse(digestText);
    if (!digest) {
      try {
        Digest::parse(digestText);
      } catch (const Error& e) {
        invalid(text, e.what());
      }
    }
    ref.digest = digest;
    rest = rest.substr(0, at);
  }
  auto slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    auto tag = rest.substr(colon + 1);
    if (!isValidTag(tag))
      invalid(text, fmt::format("tag '{}' is not valid (letters, digits, '_', '.', '-'; at most 128; not starting "
                                "with '.' or '-')",
                                tag));
    ref.tag = std::string(tag);
    rest = rest.substr(0, colon);
  }
}

ImageReference parseRegistry(std::string_view text, std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::Registry;
  if (rest.empty()) invalid(text, "it is empty; expected [HOST[:PORT]/]PATH[:TAG][@DIGEST]");

  // The host part is cut off first: an IPv6 literal or a host:port would
  // otherwise be mistaken for a tag.
  std::string_view host;
  auto slash = rest.find('/');
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) invalid(text, "an IPv6 address must be closed with ']'");
    slash = rest.find('/', close);
    if (slash == std::string_view::npos) invalid(text, "a repository path must follow the registry host");
  }
  if (slash != std::string_view::npos && looksLikeHost(rest.substr(0, slash))) {
    host = rest.substr(0, slash);
    rest = rest.substr(slash + 1);
    validateHost(text, host);
  }
  splitTagAndDigest(text, rest, ref);

  std::string registry = host.empty() ? std::string(kDockerHub) : std::string(host);
  if (registry == "index.docker.io" || registry == "registry-1.docker.io") registry = kDockerHub;
  std::string repository(rest);
  if (repository.empty()) invalid(text, "the repository path is empty");
  if (registry == kDockerHub && repository.find('/') == std::string::npos) repository = "library/" + repository;
  if (!isValidRepository(repository))
    invalid(text, fmt::format("repository '{}' is not valid (lowercase letters, digits and separators '.', '_', "
                              "'__', '-' between '/'-separated components)",
                              repository));
  ref.registry = std::move(registry);
  ref.repository = std::move(repository);
  return ref;
}

ImageReference parseLayout(std::string_view text, std::string_view rest, Transport transport) {
  ImageReference ref;
  ref.transport = transport;
  splitTagAndDigest(text, rest, ref);
  if (rest.empty())
    invalid(text, transport == Transport::Layout ? "the layout directory is empty; expected oci:DIR[:TAG]"
                                                 : "the archive file is empty; expected oci-archive:FILE[:TAG]");
  ref.layoutPath = std::filesystem::path(std::string(rest));
  return ref;
}

// skopeo's docker-archive:PATH[:REFERENCE]: the path ends at the first ':', and
// what follows is a docker reference (NAME[:TAG], tag "latest" when left out)
// or "@N", the N-th image of the archive.
ImageReference parseDockerArchive(std::string_view text, std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::DockerArchive;
  auto colon = rest.find(':');
  std::string_view path = rest.substr(0, colon);
  if (path.empty()) invalid(text, "the archive file is empty; expected docker-archive:FILE[:NAME:TAG]");
  ref.layoutPath = std::filesystem::path(std::string(path));
  if (colon == std::string_view::npos) return ref;
  auto image = rest.substr(colon + 1);
  if (image.empty()) invalid(text, "nothing follows ':'; expected docker-archive:FILE[:NAME:TAG] or FILE:@N");
  if (image.front() == '@') {
    auto number = image.substr(1);
    if (number.empty() || number.size() > 6 || number.find_first_not_of("0123456789") != std::string_view::npos)
      invalid(text, fmt::format("'{}' is not an image number; expected @0, @1, ...", image));
    ref.archiveIndex = static_cast<size_t>(std::stoul(std::string(number)));
    return ref;
  }
  auto named = parseRegistry(text, image);
  if (named.digest) invalid(text, "a docker-archive image is named NAME:TAG, not by digest");
  ref.archiveName = named.registry + "/" + named.repository + ":" + named.tag.value_or("latest");
  return ref;
}

ImageReference parseDirectory(std::string_view text, std::string_view rest) {
  if (rest.empty()) invalid(text, "the directory is empty; expected dir:DIR");
  ImageReference ref;
  ref.transport = Transport::Directory;
  ref.layoutPath = std::filesystem::path(std::string(rest));
  return ref;
}

// Transports of the containers tools (skopeo, podman) that ferry does not have.
constexpr std::string_view kForeignTransports[] = {"containers-storage", "docker-daemon", "ostree", "sif", "tarball",
                                                   "atomic"};

[[noreturn]] void unknownTransport(std::string_view text, std::string_view name) {
  bool foreign = false;
  for (auto known : kForeignTransports) foreign = foreign || name == known;
  invalid(text, fmt::format("{} transport '{}'; ferry knows {}", foreign ? "ferry has no" : "unknown", name,
                            knownTransports()));
}

}  // namespace

bool isValidTag(std::string_view tag) {
  static const std::regex pattern("^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$");
  return std::regex_match(std::string(tag), pattern);
}

bool isValidRepository(std::string_view repository) {
  static const std::regex pattern("^[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*$");
  return repository.size() <= 255 && std::regex_match(std::string(repository), pattern);
}

std::string_view transportName(Transport transport) {
  switch (transport) {
    case Transport::Registry: return "docker";
    case Transport::Layout: return "oci";
    case Transport::OciArchive: return "oci-archive";
    case Transport::DockerArchive: return "docker-archive";
    case Transport::Directory: return "dir";
  }
  return "docker";
}

std::string_view knownTransports() { return "docker://, oci:, oci-archive:, docker-archive:, dir:"; }

ImageReference ImageReference::parse(std::string_view text) {
  if (text.starts_with("docker://")) return parseRegistry(text, text.substr(9));
  if (text.starts_with("oci://")) return parseLayout(text, text.substr(6), Transport::Layout);
  if (text.starts_with("oci:")) return parseLayout(text, text.substr(4), Transport::Layout);
  if (text.starts_with("oci-archive:")) return parseLayout(text, text.substr(12), Transport::OciArchive);
  if (text.starts_with("docker-archive:")) return parseDockerArchive(text, text.substr(15));
  if (text.starts_with("dir:")) return parseDirectory(text, text.substr(4));
  if (auto scheme = text.find("://"); scheme != std::string_view::npos) unknownTransport(text, text.substr(0, scheme));
  // "name:" followed by a path, or a containers transport by name, is a transport
  // prefix: no registry reference has a host with an empty port.
  if (auto colon = text.find(':'); colon != std::string_view::npos && colon > 0) {
    auto name = text.substr(0, colon);
    bool word = name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string_view::npos;
    auto after = text.substr(colon + 1);
    bool pathFollows = after.empty() || after.front() == '/' || after.front() == '.' || after.front() == '[';
    bool foreign = false;
    for (auto known : kForeignTransports) foreign = foreign || name == known;
    if (word && (pathFollows || foreign)) unknownTransport(text, name);
  }
  return parseRegistry(text, text);
}

std::string ImageReference::apiHost() const {
  return registry == kDockerHub ? std::string("registry-1.docker.io") : registry;
}

std::string ImageReference::manifestReference() const {
  if (digest) return digest->str();
  if (archiveName) return *archiveName;
  if (archiveIndex) return "@" + std::to_string(*archiveIndex);
  return tag.value_or("latest");
}

std::string ImageReference::location() const {
  if (transport == Transport::Registry) return registry + "/" + repository;
  // "oci://" is read as a prefix of its own, so a layout path that begins with
  // "//" needs it spelled out to print back to the same path.
  if (transport == Transport::Layout && layoutPath.string().starts_with("//")) return "oci://" + layoutPath.string();
  return std::string(transportName(transport)) + ":" + layoutPath.string();
}

std::string ImageReference::str() const {
  std::string out = transport == Transport::Registry ? "docker://" + location() : location();
  if (archiveName) out += ":" + *archiveName;
  if (archiveIndex) out += ":@" + std::to_string(*archiveIndex);
  if (tag) out += ":" + *tag;
  if (digest) out += "@" + digest->str();
  return out;
}

ImageReference ImageReference::withTag(std::optional<std::string> newTag) const {
  ImageReference copy = *this;
  copy.tag = std::move(newTag);
  copy.digest.reset();
  return copy;
}

}  // namespace ferry
