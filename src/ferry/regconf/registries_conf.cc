#include "ferry/regconf/registries_conf.h"

#include <algorithm>
#include <cstdlib>
#include <toml++/toml.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

std::string_view hostOf(std::string_view name) { return name.substr(0, name.find('/')); }

std::string at(const std::string& file, const toml::node& node) {
  return fmt::format("{}:{}", file, node.source().begin.line);
}

bool readBool(const toml::table& table, std::string_view key, const std::string& file, const std::string& what) {
  const auto* node = table.get(key);
  if (!node) return false;
  if (auto value = node->value<bool>()) return *value;
  fail(ErrorKind::InvalidInput, "{}: {}.{} must be true or false", at(file, *node), what, key);
}

std::string readString(const toml::table& table, std::string_view key, const std::string& file,
                       const std::string& what) {
  const auto* node = table.get(key);
  if (!node) return {};
  if (auto value = node->value<std::string>()) return *value;
  fail(ErrorKind::InvalidInput, "{}: {}.{} must be a string (in quotes)", at(file, *node), what, key);
}

RegistryMirror readMirror(const toml::table& table, const std::string& file) {
  RegistryMirror mirror{.location = readString(table, "location", file, "registry.mirror"),
                        .insecure = readBool(table, "insecure", file, "registry.mirror")};
  if (mirror.location.empty())
    fail(ErrorKind::InvalidInput, "{}: a [[registry.mirror]] needs a location (\"host[:port][/path]\")",
         at(file, table));
  if (auto pull = readString(table, "pull-from-mirror", file, "registry.mirror"); !pull.empty()) {
    if (pull != "all" && pull != "digest-only" && pull != "tag-only")
      fail(ErrorKind::InvalidInput, "{}: registry.mirror.pull-from-mirror '{}' is not a mode; use all, digest-only or "
           "tag-only", at(file, *table.get("pull-from-mirror")), pull);
    mirror.pullFromMirror = pull;
  }
  return mirror;
}

RegistryEntry readRegistry(const toml::table& table, const std::string& file) {
  RegistryEntry entry{.prefix = readString(table, "prefix", file, "registry"),
                      .location = readString(table, "location", file, "registry"),
                      .insecure = readBool(table, "insecure", file, "registry"),
                      .blocked = readBool(table, "blocked", file, "registry"),
                      .where = at(file, table)};
  if (entry.prefix.empty()) entry.prefix = entry.location;
  if (entry.prefix.empty())
    fail(ErrorKind::InvalidInput, "{}: a [[registry]] needs a prefix or a location", entry.where);
  if (entry.prefix.starts_with("*.") && !entry.location.empty())
    fail(ErrorKind::InvalidInput, "{}: registry '{}' has a wildcard prefix, which cannot be rewritten to a location; "
         "drop location (mirrors still apply)", entry.where, entry.prefix);
  bool digestOnly = readBool(table, "mirror-by-digest-only", file, "registry");
  if (const auto* mirrors = table.get("mirror")) {
    const auto* array = mirrors->as_array();
    if (!array) fail(ErrorKind::InvalidInput, "{}: registry.mirror must be an array of tables ([[registry.mirror]])",
                     at(file, *mirrors));
    for (const auto& node : *array) {
      const auto* mirrorTable = node.as_table();
      if (!mirrorTable) fail(ErrorKind::InvalidInput, "{}: each registry.mirror must be a table", at(file, node));
      entry.mirrors.push_back(readMirror(*mirrorTable, file));
      if (digestOnly) entry.mirrors.back().pullFromMirror = "digest-only";
    }
  }
  return entry;
}

// The v1 format's lists: [registries.insecure] / [registries.block] registries = ["host", ...].
void readVersion1(const toml::table& registries, const std::string& file, RegistriesConf& conf) {
  for (std::string_view list : {"insecure", "block"}) {
    const auto* table = registries[list].as_table();
    if (!table) continue;
    const auto* hosts = table->get_as<toml::array>("registries");
    if (!hosts) continue;
    for (const auto& host : *hosts) {
      auto name = host.value<std::string>();
      if (!name) fail(ErrorKind::InvalidInput, "{}: registries.{}.registries lists strings only", at(file, host), list);
      conf.merge(RegistriesConf{.registries = {RegistryEntry{.prefix = *name,
                                                              .insecure = list == "insecure",
                                                              .blocked = list == "block",
                                                              .where = at(file, host)}}});
    }
  }
}

std::vector<std::filesystem::path> dropIns(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) return files;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error))
    if (entry.path().extension() == ".conf") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

RegistriesConf parseRegistriesConf(std::string_view text, const std::string& file) {
  toml::table document;
  try {
    document = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    fail(ErrorKind::InvalidInput, "{}:{}: not valid TOML: {}", file, e.source().begin.line, e.description());
  }
  RegistriesConf conf;
  if (const auto* registries = document.get("registry")) {
    const auto* array = registries->as_array();
    if (!array) {
      if (const auto* v1 = registries->as_table()) {
        readVersion1(*v1, file, conf);
        return conf;
      }
      fail(ErrorKind::InvalidInput, "{}: registry must be an array of tables ([[registry]])", at(file, *registries));
    }
    for (const auto& node : *array) {
      const auto* table = node.as_table();
      if (!table) fail(ErrorKind::InvalidInput, "{}: each registry must be a table ([[registry]])", at(file, node));
      conf.merge(RegistriesConf{.registries = {readRegistry(*table, file)}});
    }
  }
  if (const auto* v1 = document["registries"].as_table()) readVersion1(*v1, file, conf);
  return conf;
}

RegistriesConf loadRegistriesConf(const std::optional<std::filesystem::path>& explicitFile) {
  std::vector<std::filesystem::path> files;
  std::optional<std::filesystem::path> chosen = explicitFile;
  if (!chosen)
    if (const char* fromEnvironment = std::getenv("CONTAINERS_REGISTRIES_CONF"); fromEnvironment && *fromEnvironment)
      chosen = fromEnvironment;
  if (chosen) {
    files.push_back(*chosen);
  } else {
    std::filesystem::path system = "/etc/containers/registries.conf";
    std::optional<std::filesystem::path> user;
    if (const char* home = std::getenv("HOME"); home && *home) user = std::filesystem::path(home) / ".config/containers";
    std::error_code error;
    if (user && std::filesystem::exists(*user / "registries.conf", error)) {
      files.push_back(*user / "registries.conf");
    } else if (std::filesystem::exists(system, error)) {
      files.push_back(system);
    }
    for (auto& dropIn : dropIns("/etc/containers/registries.conf.d")) files.push_back(std::move(dropIn));
    if (user)
      for (auto& dropIn : dropIns(*user / "registries.conf.d")) files.push_back(std::move(dropIn));
  }
  if (files.size() > kMaxRegistriesConfFiles)
    fail(ErrorKind::Limit, "{} registries.conf files to read, more than kMaxRegistriesConfFiles ({}): the first is {}",
         files.size(), kMaxRegistriesConfFiles, files.front().string());
  RegistriesConf conf;
  for (const auto& file : files) {
    std::error_code error;
    auto size = std::filesystem::file_size(file, error);
    if (error) fail(ErrorKind::InvalidInput, "cannot read registries.conf '{}': {}", file.string(), error.message());
    if (size > kMaxRegistriesConfBytes)
      fail(ErrorKind::Limit, "registries.conf '{}' is {} bytes, more than kMaxRegistriesConfBytes ({})", file.string(),
           size, kMaxRegistriesConfBytes);
    conf.merge(parseRegistriesConf(readFile(file), file.string()));
    conf.files.push_back(file);
  }
  return conf;
}

void RegistriesConf::merge(RegistriesConf other) {
  for (auto& entry : other.registries) {
    auto same = std::find_if(registries.begin(), registries.end(),
                             [&](const RegistryEntry& known) { return known.prefix == entry.prefix; });
    if (same != registries.end()) {
      *same = std::move(entry);
    } else {
      registries.push_back(std::move(entry));
    }
  }
  for (auto& file : other.files) files.push_back(std::move(file));
}

const RegistryEntry* RegistriesConf::find(std::string_view name) const {
  const RegistryEntry* best = nullptr;
  auto host = hostOf(name);
  for (const auto& entry : registries) {
    std::string_view prefix = entry.prefix;
    bool matches = false;
    if (prefix.starts_with("*.")) {
      matches = host.size() > prefix.size() - 1 && host.ends_with(prefix.substr(1));
    } else {
      matches = name == prefix || (name.starts_with(prefix) && name[prefix.size()] == '/');
    }
    if (matches && (!best || prefix.size() > best->prefix.size())) best = &entry;
  }
  return best;
}

bool RegistriesConf::insecure(std::string_view host) const {
  for (const auto& entry : registries) {
    if (entry.insecure && !entry.prefix.starts_with("*.") &&
        hostOf(entry.location.empty() ? entry.prefix : entry.location) == host)
      return true;
    for (const auto& mirror : entry.mirrors)
      if (mirror.insecure && hostOf(mirror.location) == host) return true;
  }
  return false;
}

std::string rewrittenName(const RegistryEntry& entry, std::string_view location, std::string_view name) {
  if (location.empty() || entry.prefix.starts_with("*.")) return std::string(name);
  return std::string(location) + std::string(name.substr(std::min(entry.prefix.size(), name.size())));
}

}  // namespace ferry
