// Writing Kubernetes objects as YAML with yaml-cpp without changing what the
// values mean. yaml-cpp writes the string "true" or "4.18" as a plain scalar,
// which Kubernetes then reads as a bool or a number and rejects where a string
// belongs (label values, annotations, names); and it forgets that a scalar was
// quoted in a file it loaded. These helpers quote every string that would
// otherwise read back as something else, and keep a loaded file's quoting, so
// a CatalogSource template survives a load and a write unchanged in meaning.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

namespace ferry::mirror {

// Whether a plain (unquoted) scalar with this text would be read as something
// other than a string: a bool, null, a number, or the empty string.
bool needsQuotes(std::string_view text);

// A scalar node holding `text` as a string, marked to be quoted when needed.
YAML::Node stringNode(const std::string& text);

// `text` as an inline YAML string scalar: plain when it is made only of
// characters that are safe anywhere (letters, digits, '.', '_', '-', '/', ':'
// not followed by a space) and needsQuotes says it may stay plain, else
// double-quoted with escapes.
std::string scalarText(const std::string& text);

// Emits `node` keeping its scalars' kinds: quoted scalars stay quoted, plain
// ones stay plain, strings made by stringNode are quoted when needed.
void emitNode(YAML::Emitter& out, const YAML::Node& node);

// One YAML document for `node` ("---" first, a newline last).
std::string documentText(const YAML::Node& node);

}  // namespace ferry::mirror
