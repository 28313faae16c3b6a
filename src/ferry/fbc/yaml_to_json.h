// YAML catalog files as opm reads them: documents split on `---` lines, each
// converted to JSON with go-yaml v2's rules.
//
// Splitting follows Kubernetes' YAML reader (which opm uses): a line that
// starts with `---` ends a document, and only spaces or a `#comment` may
// follow on that line. Conversion follows sigs.k8s.io/yaml over go-yaml v2:
// plain scalars resolve to null (`~`, `null`, empty), booleans (`true`,
// `yes`, `on`, `y` and their `false` counterparts, in lower, Title or UPPER
// case), integers (decimal, `0x`, `0o`, `0b`, a leading `0` for octal,
// underscores allowed), floats, or strings; timestamps stay strings; quoted
// and block scalars are always strings; mapping keys become strings; a
// repeated key keeps its last value; `<<` merges mappings.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::catalog {

struct YamlDocument {
  std::string_view text;  // the document's lines, separators excluded
  size_t firstLine = 1;   // line number (1-based) of its first line in the file
};

// Splits a file into documents. Zero-length documents (two separators in a
// row, a leading `---`) are dropped. Throws ferry::Error naming `fileName`
// and the line of a separator line with other text after the `---`.
std::vector<YamlDocument> splitYamlDocuments(std::string_view text, const std::string& fileName);

// Converts one document to compact JSON text. Returns nullopt when the
// document is only blank lines. `where` names the document in errors
// ("pkg/index.yaml, document 3 (line 57)"). Throws ferry::Error for invalid
// YAML (with the line in the file), keys that are not scalars, and values
// JSON cannot hold (.inf, .nan).
//
// Long base64 scalars are set aside before yaml-cpp parses the document (it is
// slow on them) and put back after; `longScalarShortcut` = false parses the
// text as it is, which gives the same result (tests compare the two).
std::optional<std::string> yamlDocumentToJson(const YamlDocument& document, const std::string& where,
                                              bool longScalarShortcut = true);

}  // namespace ferry::catalog
