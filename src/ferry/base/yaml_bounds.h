// Bounded YAML parsing: every YAML text ferry reads goes through here, so a
// hostile or broken file costs bounded memory and time.
//
// yaml-cpp alone is not safe to hand untrusted text: its document loop
// (LoadAll) never ends on a stream whose next token it cannot consume (a file
// starting with `,` yields empty documents for ever, allocating each), and an
// alias repeated inside anchors ("billion laughs") expands without bound in any
// code that walks the nodes. So the text is first run through yaml-cpp's event
// parser without building nodes, counting bytes, nesting depth, aliases, the
// node count once aliases are expanded and documents, and refusing a document
// that starts where the previous one started (no progress: the loop above).
// Only then are nodes built. The limits and their messages are listed in
// docs/limits.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace ferry {

struct YamlLimits {
  std::string_view kind;      // what the text is, for messages: "an ImageSetConfiguration"
  size_t maxBytes = 0;        // size of the whole text
  int maxDepth = 0;           // nesting of mappings and sequences
  size_t maxAliases = 0;      // `*name` references
  size_t maxNodes = 0;        // nodes once every alias is expanded
  size_t maxDocuments = 0;    // documents in the text
};

// Limits for configuration files a user writes (ImageSetConfiguration, templates).
YamlLimits configurationYamlLimits(std::string_view kind);

// Checks `text` against `limits`. A limit exceeded throws ferry::Error naming
// `name`, the limit and its value; a syntax error (including the no-progress
// case) throws YAML::ParserException with its position, as yaml-cpp does.
void checkYamlBounds(std::string_view text, const std::string& name, const YamlLimits& limits);

// Reads a YAML file, refusing it (ferry::Error naming the file and
// limits.maxBytes) before reading more than the limit.
std::string readYamlFile(const std::filesystem::path& file, const YamlLimits& limits);

// checkYamlBounds, then every document of `text` (YAML::LoadAll), and the first
// one (YAML::Load). Exceptions as for checkYamlBounds.
std::vector<YAML::Node> loadYamlDocuments(std::string_view text, const std::string& name, const YamlLimits& limits);
YAML::Node loadYamlDocument(std::string_view text, const std::string& name, const YamlLimits& limits);

}  // namespace ferry
