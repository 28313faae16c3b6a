// registries.conf (containers-registries.conf(5), version 2 and the v1 lists):
// where the images of a registry are read from, as podman, skopeo, buildah and
// oc-mirror read it, so an enclave described there works with ferry unchanged.
//
//   [[registry]]
//   prefix = "registry.example.com/team"     # what image names it applies to (default: location)
//   location = "internal.example:5000/team"  # where they are read instead
//   insecure = true                          # plain HTTP / unverified TLS allowed
//   blocked = false                          # true: images of the prefix are refused
//   mirror-by-digest-only = false            # true: every mirror is digest-only
//   [[registry.mirror]]                      # tried in order before location
//   location = "mirror.example:5000/team"
//   insecure = true
//   pull-from-mirror = "all"                 # all | digest-only | tag-only
//
// Files: $CONTAINERS_REGISTRIES_CONF alone when set (or --registries-conf),
// else $HOME/.config/containers/registries.conf when it exists, else
// /etc/containers/registries.conf; then the *.conf of registries.conf.d beside
// each (system, then user), in name order, an entry replacing an earlier one of
// the same prefix. Other tables and keys ([aliases], unqualified-search-registries,
// short-name-mode, credential-helpers) do not change where ferry reads and are ignored.
// Each file is read up to kMaxRegistriesConfBytes; at most kMaxRegistriesConfFiles files.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry {

inline constexpr size_t kMaxRegistriesConfBytes = 1 << 20;
inline constexpr size_t kMaxRegistriesConfFiles = 100;

struct RegistryMirror {
  std::string location;
  bool insecure = false;
  std::string pullFromMirror = "all";  // all | digest-only | tag-only
};

struct RegistryEntry {
  std::string prefix;    // "registry.example.com/team", or "*.example.com"
  std::string location;  // empty: the prefix itself
  bool insecure = false;
  bool blocked = false;
  std::vector<RegistryMirror> mirrors;
  std::string where;  // "FILE:LINE" of its [[registry]] table
};

struct RegistriesConf {
  std::vector<RegistryEntry> registries;
  std::vector<std::filesystem::path> files;  // read, in order

  // The entry for image name `name` ("host[:port]/path", no tag): the longest
  // prefix that matches it at a path boundary (a "*.domain" prefix matches
  // subdomains of the host); nullptr when none does.
  const RegistryEntry* find(std::string_view name) const;
  // Whether registries.conf allows plain HTTP and unverified TLS for `host` ("host[:port]").
  bool insecure(std::string_view host) const;
  // Adds (or, same prefix, replaces) the entries of `other`.
  void merge(RegistriesConf other);
};

// Parses one file's text; throws Error naming `file`, the line and what to fix.
RegistriesConf parseRegistriesConf(std::string_view text, const std::string& file);

// The files containers tools read (see above), or `explicitFile` alone.
// Missing default files are not an error; a missing explicit file is.
RegistriesConf loadRegistriesConf(const std::optional<std::filesystem::path>& explicitFile = std::nullopt);

// `name` read through `entry`: its prefix replaced by `location` (the rest of the path kept).
std::string rewrittenName(const RegistryEntry& entry, std::string_view location, std::string_view name);

}  // namespace ferry
