// JSON text as catalogs need it, without building trees.
//
// Catalog objects are kept as compact JSON text and written back the way opm
// writes them (Go's json.Encoder with a 4-space indent and HTML escaping off).
// Re-indenting is a byte-level pass over the compact text, so key order and
// the exact text of every number and string survive. Keys are matched the way
// Go's encoding/json matches struct fields: case-insensitively.
#pragma once

#include <string>
#include <string_view>

namespace ferry::catalog {

// Appends `text` as a JSON string literal: quotes, backslashes and control
// characters escaped, U+2028/U+2029 escaped as Go does, invalid UTF-8
// replaced by U+FFFD, nothing else (no HTML escaping).
void appendJsonString(std::string& out, std::string_view text);

// Appends `json` (one JSON value, compact or not) indented by 4 spaces per
// level, `{}` and `[]` kept on one line, as Go's json.Indent does. No newline
// is added at the end.
void appendIndentedJson(std::string& out, std::string_view json);

// True when a JSON key names the field `name` (ASCII) the way Go matches
// keys: ASCII case-insensitively, with the Unicode characters that fold to
// ASCII letters (U+017F ſ for s, U+212A K for k) accepted too.
bool keyMatches(std::string_view key, std::string_view name);

}  // namespace ferry::catalog
