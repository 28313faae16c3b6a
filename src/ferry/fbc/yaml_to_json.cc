#include "ferry/fbc/yaml_to_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>

#include "ferry/base/error.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/fbc/json_text.h"

namespace ferry::catalog {
namespace {

bool isBlank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool onlyBlank(std::string_view text) {
  for (char c : text) {
    if (!isBlank(c)) return false;
  }
  return true;
}

// ---- go-yaml v2 scalar resolution -------------------------------------------------------------

bool isOneOf(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto word : words) {
    if (text == word) return true;
  }
  return false;
}

// strconv.ParseUint(text, 0, 64): decimal, 0x/0o/0b prefixes, a leading 0 for octal.
std::optional<uint64_t> parseGoUnsigned(std::string_view text) {
  if (text.empty()) return std::nullopt;
  unsigned base = 10;
  if (text[0] == '0') {
    char prefix = text.size() >= 3 ? static_cast<char>(text[1] | 0x20) : 0;
    if (prefix == 'b') base = 2, text.remove_prefix(2);
    else if (prefix == 'o') base = 8, text.remove_prefix(2);
    else if (prefix == 'x') base = 16, text.remove_prefix(2);
    else base = 8, text.remove_prefix(1);
  }
  uint64_t value = 0;
  for (char c : text) {
    unsigned digit;
    if (c >= '0' && c <= '9') digit = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'z') digit = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'Z') digit = static_cast<unsigned>(c - 'A' + 10);
    else return std::nullopt;
    if (digit >= base) return std::nullopt;
    if (value > (UINT64_MAX - digit) / base) return std::nullopt;
    value = value * base + digit;
  }
  return value;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool isYamlStyleFloat(std::string_view text) {
  size_t i = 0;
  auto digits = [&] {
    size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i - start;
  };
  if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  } else {
    if (digits() == 0) return false;
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == text.size();
}

// A float as Go's encoding/json writes a float64: the shortest digits that
// read back the same, in plain decimal notation unless the magnitude is below
// 1e-6 or from 1e21 up, then as d.ddde±d.
std::string formatGoFloat(double value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string_view scientific(buffer, static_cast<size_t>(result.ptr - buffer));
  size_t e = scientific.find('e');
  std::string_view mantissa = scientific.substr(0, e);
  int exponent = std::atoi(std::string(scientific.substr(e + 1)).c_str());
  std::string text;
  if (mantissa.front() == '-') {
    text += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  double magnitude = std::fabs(value);
  if (magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21)) {
    text += digits[0];
    if (digits.size() > 1) text += "." + digits.substr(1);
    text += exponent < 0 ? "e-" : "e+";  // here |exponent| >= 7: Go's single-digit cases need no padding
    text += std::to_string(exponent < 0 ? -exponent : exponent);
    return text;
  }
  if (exponent < 0) {
    text += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
  } else if (static_cast<size_t>(exponent) + 1 >= digits.size()) {
    text += digits + std::string(static_cast<size_t>(exponent) + 1 - digits.size(), '0');
  } else {
    text += digits.substr(0, static_cast<size_t>(exponent) + 1) + "." + digits.substr(static_cast<size_t>(exponent) + 1);
  }
  return text;
}

enum class ScalarKind { Null, Boolean, Number, String, Merge };

struct Resolved {
  ScalarKind kind = ScalarKind::String;
  std::string json;  // the JSON text for Null, Boolean and Number
};

// What a plain (unquoted) scalar means, as go-yaml v2's resolve() decides.
// Throws (via `fail`) for .inf and .nan, which JSON cannot hold.
Resolved resolvePlain(std::string_view text, const std::string& where, size_t line) {
  auto notRepresentable = [&] {
    fail("{}: the value '{}' at line {} is infinite or not a number, which JSON cannot hold; quote it to keep it as text",
         where, text, line);
  };
  if (isOneOf(text, {"", "~", "null", "Null", "NULL"})) return {ScalarKind::Null, "null"};
  if (isOneOf(text, {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"})) {
    return {ScalarKind::Boolean, "true"};
  }
  if (isOneOf(text, {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"})) {
    return {ScalarKind::Boolean, "false"};
  }
  if (text == "<<") return {ScalarKind::Merge, {}};
  if (isOneOf(text, {".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf",
                     "-.INF"})) {
    notRepresentable();
  }
  char first = text[0];
  if (first == '.') {
    // Go's ParseFloat on text starting with a dot: only ".digits[e±digits]" parses.
    if (isYamlStyleFloat(text)) {
      double value = std::strtod(std::string(text).c_str(), nullptr);
      if (std::isinf(value)) return {};
      return {ScalarKind::Number, formatGoFloat(value)};
    }
    return {};
  }
  if (!((first >= '0' && first <= '9') || first == '+' || first == '-')) return {};

  std::string plain;
  plain.reserve(text.size());
  for (char c : text) {
    if (c != '_') plain += c;
  }
  std::string_view digits = plain;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (auto value = parseGoUnsigned(digits)) {
    // strconv.ParseInt, then ParseUint (which takes no sign) for values beyond int64.
    constexpr uint64_t kInt64Max = static_cast<uint64_t>(INT64_MAX);
    bool signedOk = negative ? *value <= kInt64Max + 1 : *value <= kInt64Max;
    bool unsignedOk = plain[0] != '+' && plain[0] != '-';
    if (signedOk || unsignedOk) {
      if (negative && *value == 0) return {ScalarKind::Number, "0"};
      return {ScalarKind::Number, (negative ? "-" : "") + std::to_string(*value)};
    }
  }
  if (isYamlStyleFloat(plain)) {
    double value = std::strtod(plain.c_str(), nullptr);
    if (!std::isinf(value)) return {ScalarKind::Number, formatGoFloat(value)};
  }
  return {};
}

// ---- long scalars ------------------------------------------------------------------------------
//
// yaml-cpp spends most of its time on long scalars (it runs a regular
// expression per character), and YAML catalogs are mostly such scalars: the
// base64 of olm.bundle.object payloads and icons, and literal blocks
// (`alm-examples: |-`) in olm.csv.metadata. Before parsing, a value written
// `key: <long base64 token>` or `key: |` / `key: |-` followed by its block is
// replaced by a short placeholder (the block's lines become empty lines, so
// line numbers stay right), and the text is put back when the placeholder
// comes out. The conversion checks that every placeholder came back exactly
// once, whole, as a plain scalar; if not (the line was inside some other
// scalar after all), the document is converted again from its original text.

// U+E000 (private use): a document that contains it is converted without placeholders.
constexpr std::string_view kPlaceholderMark = "\xee\x80\x80";
constexpr size_t kLongScalar = 256;
constexpr size_t kLongBlock = 64;

struct Placeholders {
  std::string text;                      // the document with placeholders
  std::vector<std::string_view> values;  // placeholder i stands for the string values[i]
  std::deque<std::string> blockValues;   // storage for the values of blocks
};

bool isBase64Character(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' ||
         c == '=';
}

bool isSimpleKeyCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '.' || c == '/';
}

struct Line {
  size_t start = 0;
  size_t end = 0;     // before the newline
  size_t next = 0;    // start of the next line
  size_t indent = 0;  // leading spaces
  bool blank = false;  // nothing but spaces
  bool tabbed = false;  // a tab right after the leading spaces
};

Line lineAt(std::string_view text, size_t start) {
  Line line;
  line.start = start;
  line.end = text.find('\n', start);
  if (line.end == std::string_view::npos) line.end = text.size();
  line.next = line.end == text.size() ? text.size() : line.end + 1;
  size_t i = start;
  while (i < line.end && text[i] == ' ') ++i;
  line.indent = i - start;
  line.blank = i == line.end;
  line.tabbed = i < line.end && text[i] == '\t';
  return line;
}

// A line `key: <long base64 token>` whose value cannot continue on the next
// lines: the token, or nullopt.
std::optional<std::string_view> longToken(std::string_view text, const Line& line, size_t keyColumn, size_t valueStart) {
  size_t tokenEnd = valueStart;
  bool notNumeric = false;
  while (tokenEnd < line.end && isBase64Character(text[tokenEnd])) {
    char c = text[tokenEnd++];
    // A letter other than e/E, or / or =: the token cannot resolve to a number.
    if ((c >= 'A' && c <= 'Z' && c != 'E') || (c >= 'a' && c <= 'z' && c != 'e') || c == '/' || c == '=') {
      notNumeric = true;
    }
  }
  size_t rest = tokenEnd;
  while (rest < line.end && text[rest] == ' ') ++rest;
  if (tokenEnd - valueStart < kLongScalar || rest != line.end || !notNumeric) return std::nullopt;
  // A plain scalar continues on following lines indented more than its key.
  for (size_t next = line.next; next < text.size();) {
    Line following = lineAt(text, next);
    if (following.tabbed) return std::nullopt;
    if (!following.blank) {
      if (following.indent > keyColumn) return std::nullopt;
      break;
    }
    next = following.next;
  }
  return text.substr(valueStart, tokenEnd - valueStart);
}

struct Block {
  std::string value;
  size_t end = 0;  // start of the first line after the block
};

// A literal block (`|` or `|-`, no indentation indicator) starting on the line
// after `header`, in a mapping whose keys are at `keyColumn`. nullopt for
// anything unusual (tabs, carriage returns and other control characters, blank lines longer than the
// indentation, an empty block); the parser then reads it itself.
std::optional<Block> literalBlock(std::string_view text, const Line& header, size_t keyColumn, bool strip) {
  std::vector<std::string_view> lines;
  size_t indent = 0;
  size_t lastContent = 0;
  size_t next = header.next;
  size_t end = text.size();
  while (next < text.size()) {
    Line line = lineAt(text, next);
    auto content = text.substr(line.start, line.end - line.start);
    // Control characters (a carriage return, NUL, …) are the parser's to judge: YAML refuses most of them.
    if (line.tabbed || std::any_of(content.begin(), content.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
      return std::nullopt;
    }
    if (line.blank) {
      if (indent != 0 ? line.indent > indent : line.indent > keyColumn + 1) return std::nullopt;
      lines.emplace_back();
      next = line.next;
      continue;
    }
    if (indent == 0) {
      if (line.indent <= keyColumn) return std::nullopt;  // an empty block
      indent = line.indent;
    }
    if (line.indent < indent) {
      end = line.start;
      break;
    }
    lines.push_back(text.substr(line.start + indent, line.end - line.start - indent));
    lastContent = lines.size();
    next = line.next;
  }
  if (indent == 0) return std::nullopt;
  // A block that ends the text without a line break keeps none (`|` clips to nothing): the parser reads it.
  if (end == text.size() && !text.empty() && text.back() != '\n') return std::nullopt;
  Block block;
  block.end = end;
  size_t size = 0;
  for (size_t i = 0; i < lastContent; ++i) size += lines[i].size() + 1;
  block.value.reserve(size);
  for (size_t i = 0; i < lastContent; ++i) {
    if (i > 0) block.value += '\n';
    block.value.append(lines[i]);
  }
  if (!strip) block.value += '\n';
  return block;
}

std::optional<Placeholders> withPlaceholders(std::string_view text) {
  if (text.size() < kLongScalar || text.find(kPlaceholderMark) != std::string_view::npos) return std::nullopt;
  Placeholders result;
  size_t copied = 0;
  auto replace = [&](size_t from, size_t to, std::string_view value) {
    result.text.append(text.substr(copied, from - copied));
    result.text.append(kPlaceholderMark);
    result.text.append(std::to_string(result.values.size()));
    result.text.append(static_cast<size_t>(std::count(text.begin() + from, text.begin() + to, '\n')), '\n');
    result.values.push_back(value);
    copied = to;
  };
  for (size_t start = 0; start < text.size();) {
    Line line = lineAt(text, start);
    start = line.next;
    size_t i = line.start + line.indent;
    while (i + 1 < line.end && text[i] == '-' && text[i + 1] == ' ') {
      i += 2;
      while (i < line.end && text[i] == ' ') ++i;
    }
    size_t keyColumn = i - line.start;
    size_t keyEnd = i;
    while (keyEnd < line.end && isSimpleKeyCharacter(text[keyEnd])) ++keyEnd;
    if (keyEnd == i || keyEnd + 1 >= line.end || text[keyEnd] != ':' || text[keyEnd + 1] != ' ') continue;
    size_t valueStart = keyEnd + 2;
    while (valueStart < line.end && text[valueStart] == ' ') ++valueStart;
    std::string_view value = text.substr(valueStart, line.end - valueStart);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    if (value == "|" || value == "|-") {
      auto block = literalBlock(text, line, keyColumn, value == "|-");
      if (!block || block->end - line.next < kLongBlock) continue;
      result.blockValues.push_back(std::move(block->value));
      replace(valueStart, block->end, result.blockValues.back());
      start = block->end;
      continue;
    }
    if (line.end - line.start < kLongScalar) continue;
    if (auto token = longToken(text, line, keyColumn, valueStart)) replace(valueStart, valueStart + token->size(), *token);
  }
  if (result.values.empty()) return std::nullopt;
  result.text.append(text.substr(copied));
  return result;
}

struct PlaceholderMismatch {};

// ---- conversion --------------------------------------------------------------------------------

constexpr int kMaxDepth = 256;

class Converter {
 public:
  Converter(const std::string& where, size_t firstLine, size_t sourceSize, const Placeholders* placeholders)
      : where_(where),
        firstLine_(firstLine),
        // Aliases can make a small document expand enormously ("billion laughs"); cap the output.
        maxOutput_(64 * sourceSize + (1u << 20)),
        placeholders_(placeholders) {
    if (placeholders_ != nullptr) used_.assign(placeholders_->values.size(), false);
  }

  std::string convert(const YAML::Node& root) {
    appendValue(root, 0);
    if (placeholders_ != nullptr) {
      for (bool used : used_) {
        if (!used) throw PlaceholderMismatch{};
      }
    }
    return std::move(out_);
  }

 private:
  struct Entry {
    std::string key;
    YAML::Node value;
  };

  size_t lineOf(const YAML::Node& node) const { return firstLine_ + static_cast<size_t>(node.Mark().line); }

  static bool isPlain(const YAML::Node& node) { return node.Tag() == "?"; }

  // go-yaml resolves explicitly tagged scalars by their tag; only !!str (and
  // quoting, which yaml-cpp reports as the tag "!") forces a string.
  static bool resolvesAsPlain(const YAML::Node& node) {
    const std::string& tag = node.Tag();
    if (tag == "?") return true;
    if (tag == "!" || tag.empty()) return false;
    return !(tag == "tag:yaml.org,2002:str" || tag == "!!str");
  }

  // The value a placeholder stands for, or nullopt for a scalar that is not
  // one. Throws PlaceholderMismatch for a scalar that holds a placeholder but
  // is not exactly one plain placeholder seen for the first time.
  std::optional<std::string_view> placeholderValue(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (placeholders_ == nullptr || text.find(kPlaceholderMark) == std::string::npos) return std::nullopt;
    if (!isPlain(node) || text.compare(0, kPlaceholderMark.size(), kPlaceholderMark) != 0) throw PlaceholderMismatch{};
    size_t index = 0;
    std::string_view digits = std::string_view(text).substr(kPlaceholderMark.size());
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
    if (error != std::errc() || end != digits.data() + digits.size() || index >= used_.size() || used_[index]) {
      throw PlaceholderMismatch{};
    }
    used_[index] = true;
    return placeholders_->values[index];
  }

  void checkSize() {
    if (out_.size() > maxOutput_) {
      fail("{}: the document expands to more than {} bytes of JSON through YAML aliases; refusing to convert it",
           where_, maxOutput_);
    }
  }

  void appendValue(const YAML::Node& node, int depth) {
    if (depth > kMaxDepth) fail("{}: nesting deeper than {} levels at line {}", where_, kMaxDepth, lineOf(node));
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out_ += "null";
        break;
      case YAML::NodeType::Scalar: {
        if (auto value = placeholderValue(node)) {
          appendJsonString(out_, *value);
          break;
        }
        const std::string& text = node.Scalar();
        if (resolvesAsPlain(node)) {
          Resolved resolved = resolvePlain(text, where_, lineOf(node));
          if (resolved.kind == ScalarKind::Null || resolved.kind == ScalarKind::Boolean ||
              resolved.kind == ScalarKind::Number) {
            out_ += resolved.json;
            break;
          }
        }
        appendJsonString(out_, text);
        break;
      }
      case YAML::NodeType::Sequence: {
        out_ += '[';
        bool first = true;
        for (const auto& item : node) {
          if (!first) out_ += ',';
          first = false;
          appendValue(item, depth + 1);
        }
        out_ += ']';
        break;
      }
      case YAML::NodeType::Map: {
        std::vector<Entry> entries;
        collectEntries(node, entries, depth);
        out_ += '{';
        bool first = true;
        for (const auto& entry : entries) {
          if (!first) out_ += ',';
          first = false;
          appendJsonString(out_, entry.key);
          out_ += ':';
          appendValue(entry.value, depth + 1);
        }
        out_ += '}';
        break;
      }
    }
    checkSize();
  }

  std::string keyText(const YAML::Node& key) {
    if (key.Type() == YAML::NodeType::Null) {
      fail("{}: a mapping key at line {} is null; JSON keys must be strings", where_, lineOf(key));
    }
    if (key.Type() != YAML::NodeType::Scalar) {
      fail("{}: a mapping key at line {} is a {}; JSON keys must be strings", where_, lineOf(key),
           key.IsMap() ? "mapping" : "sequence");
    }
    if (placeholderValue(key)) throw PlaceholderMismatch{};
    const std::string& text = key.Scalar();
    if (resolvesAsPlain(key)) {
      Resolved resolved = resolvePlain(text, where_, lineOf(key));
      if (resolved.kind == ScalarKind::Null) {
        fail("{}: a mapping key at line {} is null; JSON keys must be strings", where_, lineOf(key));
      }
      if (resolved.kind == ScalarKind::Boolean || resolved.kind == ScalarKind::Number) return resolved.json;
    }
    return text;
  }

  static void setEntry(std::vector<Entry>& entries, std::string key, const YAML::Node& value) {
    for (auto& entry : entries) {
      if (entry.key == key) {  // go-yaml keeps the last value of a repeated key
        entry.value = value;
        return;
      }
    }
    entries.push_back({std::move(key), value});
  }

  void collectEntries(const YAML::Node& map, std::vector<Entry>& entries, int depth) {
    if (depth > kMaxDepth) fail("{}: merges nested deeper than {} levels at line {}", where_, kMaxDepth, lineOf(map));
    for (const auto& pair : map) {
      YAML::Node key = pair.first;
      YAML::Node value = pair.second;
      if (key.IsScalar() && isPlain(key) && key.Scalar() == "<<") {
        merge(value, entries, depth + 1);
        continue;
      }
      setEntry(entries, keyText(key), value);
    }
  }

  // `<<: *a` or `<<: [*a, *b]`: go-yaml merges a list from its last mapping to its first.
  void merge(const YAML::Node& value, std::vector<Entry>& entries, int depth) {
    if (value.IsMap()) {
      collectEntries(value, entries, depth);
      return;
    }
    if (value.IsSequence()) {
      for (size_t i = value.size(); i-- > 0;) {
        const YAML::Node item = value[i];
        if (!item.IsMap()) {
          fail("{}: the merge at line {} lists something that is not a mapping", where_, lineOf(value));
        }
        collectEntries(item, entries, depth);
      }
      return;
    }
    fail("{}: the merge (<<) at line {} needs a mapping or a list of mappings", where_, lineOf(value));
  }

  const std::string& where_;
  size_t firstLine_;
  size_t maxOutput_;
  const Placeholders* placeholders_;
  std::vector<bool> used_;
  std::string out_;
};

std::string convert(std::string_view text, const YamlDocument& document, const std::string& where,
                    const Placeholders* placeholders) {
  YAML::Node root;
  try {
    root.reset(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& error) {
    fail("{}: invalid YAML at line {}, column {}: {}", where, document.firstLine + static_cast<size_t>(error.mark.line),
         error.mark.column + 1, error.msg);
  }
  if (root.IsNull()) {
    // yaml-cpp also gives a null document for text it cannot start a node with (`,a`); say where that is.
    YamlLimits limits{.kind = "a catalog document", .maxBytes = text.size(), .maxDepth = kMaxDepth,
                      .maxAliases = SIZE_MAX, .maxNodes = SIZE_MAX, .maxDocuments = SIZE_MAX};
    try {
      checkYamlBounds(text, where, limits);
    } catch (const YAML::Exception& error) {
      fail("{}: invalid YAML at line {}, column {}: {}", where,
           document.firstLine + static_cast<size_t>(error.mark.line), error.mark.column + 1, error.msg);
    }
    fail("{}: the document holds no object, only comments (opm fails on it too: missing root schema field)", where);
  }
  Converter converter(where, document.firstLine, text.size(), placeholders);
  try {
    return converter.convert(root);
  } catch (const YAML::Exception& error) {
    fail("{}: cannot convert YAML at line {}: {}", where, document.firstLine + static_cast<size_t>(error.mark.line),
         error.msg);
  }
}

}  // namespace

std::vector<YamlDocument> splitYamlDocuments(std::string_view text, const std::string& fileName) {
  std::vector<YamlDocument> documents;
  size_t documentStart = 0;
  size_t documentLine = 1;
  size_t lineStart = 0;
  size_t line = 1;
  auto finish = [&](size_t end) {
    if (end > documentStart) documents.push_back({text.substr(documentStart, end - documentStart), documentLine});
  };
  while (lineStart < text.size()) {
    size_t lineEnd = text.find('\n', lineStart);
    size_t next = lineEnd == std::string_view::npos ? text.size() : lineEnd + 1;
    if (text.compare(lineStart, 3, "---") == 0) {
      std::string_view rest = text.substr(lineStart + 3, next - lineStart - 3);
      while (!rest.empty() && isBlank(rest.front())) rest.remove_prefix(1);
      while (!rest.empty() && isBlank(rest.back())) rest.remove_suffix(1);
      if (!rest.empty() && rest.front() != '#') {
        fail("{}: line {}: invalid YAML document separator '{}': only spaces or a #comment may follow '---'", fileName,
             line, text.substr(lineStart, next - lineStart - (lineEnd == std::string_view::npos ? 0 : 1)));
      }
      finish(lineStart);
      documentStart = next;
      documentLine = line + 1;
    }
    lineStart = next;
    ++line;
  }
  finish(text.size());
  return documents;
}

std::optional<std::string> yamlDocumentToJson(const YamlDocument& document, const std::string& where,
                                              bool longScalarShortcut) {
  if (onlyBlank(document.text)) return std::nullopt;
  if (auto placeholders = longScalarShortcut ? withPlaceholders(document.text) : std::nullopt) {
    try {
      return convert(placeholders->text, document, where, &*placeholders);
    } catch (const PlaceholderMismatch&) {
      // A placeholder landed inside a block or quoted scalar: convert the original text.
    }
  }
  return convert(document.text, document, where, nullptr);
}

}  // namespace ferry::catalog
