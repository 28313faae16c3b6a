#include "ferry/fbc/image_pull_spec.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace ferry::catalog {
namespace {

// Character classes by table: validation runs this on every image of a catalog.
enum : uint8_t { kLower = 1, kUpper = 2, kDigit = 4, kLowerHex = 8, kUpperHex = 16 };

constexpr std::array<uint8_t, 256> makeClasses() {
  std::array<uint8_t, 256> classes{};
  for (int c = 'a'; c <= 'z'; ++c) classes[c] |= kLower;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] |= kUpper;
  for (int c = '0'; c <= '9'; ++c) classes[c] |= kDigit | kLowerHex;
  for (int c = 'a'; c <= 'f'; ++c) classes[c] |= kLowerHex;
  for (int c = 'A'; c <= 'F'; ++c) classes[c] |= kUpperHex;
  return classes;
}
constexpr auto kClasses = makeClasses();

bool is(char c, uint8_t classes) { return (kClasses[static_cast<unsigned char>(c)] & classes) != 0; }
bool isLowerAlphanumeric(char c) { return is(c, kLower | kDigit); }
bool isAlphanumeric(char c) { return is(c, kLower | kUpper | kDigit); }
bool isWordChar(char c) { return isAlphanumeric(c) || c == '_'; }
bool isDigit(char c) { return is(c, kDigit); }
bool isHex(char c) { return is(c, kLowerHex | kUpperHex); }
bool isLowerHex(char c) { return is(c, kLowerHex); }

template <typename Predicate>
bool allOf(std::string_view text, Predicate predicate) {
  for (char c : text)
    if (!predicate(c)) return false;
  return true;
}

// [a-z0-9]+ ((?:[._]|__|-*) [a-z0-9]+)*
bool isPathComponent(std::string_view text) {
  size_t i = 0, n = text.size();
  if (n == 0 || !isLowerAlphanumeric(text[0])) return false;
  while (true) {
    while (i < n && isLowerAlphanumeric(text[i])) ++i;
    if (i == n) return true;
    if (text[i] == '.') {
      ++i;
    } else if (text[i] == '_') {
      ++i;
      if (i < n && text[i] == '_') ++i;
    } else if (text[i] == '-') {
      while (i < n && text[i] == '-') ++i;
    } else {
      return false;
    }
    if (i == n || !isLowerAlphanumeric(text[i])) return false;
  }
}

bool isRemoteName(std::string_view text) {
  while (true) {
    auto slash = text.find('/');
    if (!isPathComponent(text.substr(0, slash))) return false;
    if (slash == std::string_view::npos) return true;
    text.remove_prefix(slash + 1);
  }
}

// [a-zA-Z0-9] or [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
bool isDomainComponent(std::string_view text) {
  if (text.empty() || !isAlphanumeric(text.front()) || !isAlphanumeric(text.back())) return false;
  return allOf(text, [](char c) { return isAlphanumeric(c) || c == '-'; });
}

bool isPort(std::string_view text) { return !text.empty() && allOf(text, isDigit); }

// (domain-name | \[[a-fA-F0-9:]+\]) (:[0-9]+)?
bool isDomainAndPort(std::string_view text) {
  if (text.starts_with('[')) {
    auto close = text.find(']');
    if (close == std::string_view::npos || close == 1) return false;
    auto address = text.substr(1, close - 1);
    if (!allOf(address, [](char c) { return isHex(c) || c == ':'; })) return false;
    auto rest = text.substr(close + 1);
    return rest.empty() || (rest.front() == ':' && isPort(rest.substr(1)));
  }
  auto colon = text.find(':');
  if (colon != std::string_view::npos && !isPort(text.substr(colon + 1))) return false;
  auto host = text.substr(0, colon);
  while (true) {
    auto dot = host.find('.');
    if (!isDomainComponent(host.substr(0, dot))) return false;
    if (dot == std::string_view::npos) return true;
    host.remove_prefix(dot + 1);
  }
}

// [domain-and-port/]remote-name; a domain can only end at the first '/'.
bool isName(std::string_view text) {
  if (isRemoteName(text)) return true;
  auto slash = text.find('/');
  return slash != std::string_view::npos && isDomainAndPort(text.substr(0, slash)) &&
         isRemoteName(text.substr(slash + 1));
}

// [\w][\w.-]{0,127}
bool isTag(std::string_view text) {
  if (text.empty() || text.size() > 128 || !isWordChar(text.front())) return false;
  return allOf(text, [](char c) { return isWordChar(c) || c == '.' || c == '-'; });
}

// [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)*:[[:xdigit:]]{32,}
bool matchesDigestGrammar(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  auto algorithm = text.substr(0, colon), hex = text.substr(colon + 1);
  if (hex.size() < 32 || !allOf(hex, isHex)) return false;
  bool componentStart = true;
  for (char c : algorithm) {
    if (componentStart) {
      if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) return false;
      componentStart = false;
    } else if (c == '-' || c == '_' || c == '+' || c == '.') {
      componentStart = true;
    } else if (!isAlphanumeric(c)) {
      return false;
    }
  }
  return !componentStart;
}

// The grammar check of the whole reference: name[:tag][@digest].
bool matchesReferenceGrammar(std::string_view text, std::string_view& name, std::string_view& digest) {
  name = text;
  digest = {};
  if (auto at = name.find('@'); at != std::string_view::npos) {
    digest = name.substr(at + 1);
    name = name.substr(0, at);
    if (!matchesDigestGrammar(digest)) return false;
  }
  // A ':' after the last '/' starts the tag; one before it is a port.
  auto colon = name.rfind(':');
  auto slash = name.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    if (!isTag(name.substr(colon + 1))) return false;
    name = name.substr(0, colon);
  }
  return isName(name);
}

}  // namespace

std::string imagePullSpecProblem(std::string_view pullSpec) {
  if (pullSpec.size() == 64 && allOf(pullSpec, isLowerHex))
    return "it is a 64-character hexadecimal string (an image ID), not a repository name";

  // Docker's normalisation: the first component is a registry host only if it
  // has a '.' or ':' or is "localhost".
  std::string_view domain = "docker.io";
  std::string_view remainder = pullSpec;
  std::string prefixed;
  if (auto slash = pullSpec.find('/'); slash != std::string_view::npos) {
    auto first = pullSpec.substr(0, slash);
    if (first.find_first_of(".:") != std::string_view::npos || first == "localhost") {
      domain = first;
      remainder = pullSpec.substr(slash + 1);
    }
  }
  if (domain == "index.docker.io") domain = "docker.io";
  if (domain == "docker.io" && remainder.find('/') == std::string_view::npos) {
    prefixed = "library/" + std::string(remainder);
    remainder = prefixed;
  }
  auto repository = remainder.substr(0, remainder.find(':'));
  if (std::any_of(repository.begin(), repository.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return "the repository name must be lowercase";

  thread_local std::string full;  // reused: no allocation per image
  full.assign(domain).append("/").append(remainder);
  std::string_view name, digest;
  if (!matchesReferenceGrammar(full, name, digest))
    return "invalid reference format; expected [HOST[:PORT]/]PATH[:TAG][@DIGEST] with lowercase path components";
  if (name.size() > 255) return "the repository name is longer than 255 characters";
  if (!digest.empty()) {
    auto colon = digest.find(':');
    auto algorithm = digest.substr(0, colon), hex = digest.substr(colon + 1);
    size_t expected = algorithm == "sha256" ? 64 : algorithm == "sha384" ? 96 : algorithm == "sha512" ? 128 : 0;
    if (expected == 0) return "unsupported digest algorithm \"" + std::string(algorithm) + "\"";
    if (hex.size() != expected || !allOf(hex, isLowerHex))
      return "invalid " + std::string(algorithm) + " digest: expected " + std::to_string(expected) +
             " lowercase hexadecimal characters";
  }
  return {};
}

}  // namespace ferry::catalog
