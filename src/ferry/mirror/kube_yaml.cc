#include "ferry/mirror/kube_yaml.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace ferry::mirror {
namespace {

// yaml-cpp's tags: "!" for a quoted (or block) scalar, "?" for a plain one
// read from a file, "" for one made in code.
constexpr std::string_view kQuotedTag = "!";
constexpr std::string_view kCoreTagPrefix = "tag:yaml.org,2002:";

void emitScalar(YAML::Emitter& out, const std::string& value, const std::string& tag) {
  if (tag == kQuotedTag || tag == std::string(kCoreTagPrefix) + "str") {
    out << YAML::DoubleQuoted << value;
  } else if (tag.empty() || tag == "?") {
    out << value;
  } else if (tag.starts_with(kCoreTagPrefix)) {
    out << YAML::SecondaryTag(tag.substr(kCoreTagPrefix.size())) << value;
  } else {
    out << YAML::VerbatimTag(tag) << value;
  }
}

}  // namespace

bool needsQuotes(std::string_view text) {
  if (text.empty()) return true;
  // Numbers of every YAML flavour start like this (1, -1, +1, .5, 0x1F, 1e3, 1:20).
  char first = text.front();
  if (std::isdigit(static_cast<unsigned char>(first)) || first == '-' || first == '+' || first == '.') return true;
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
  // YAML 1.1 booleans and nulls (Kubernetes' reader still honours some of them).
  static constexpr std::array<std::string_view, 13> words = {"y",   "n",    "yes", "no", "true", "false", "on",
                                                             "off", "null", "~",   "=",  "<<",   "nan"};
  return std::find(words.begin(), words.end(), lower) != words.end();
}

YAML::Node stringNode(const std::string& text) {
  YAML::Node node(text);
  if (needsQuotes(text)) node.SetTag(std::string(kQuotedTag));
  return node;
}

std::string scalarText(const std::string& text) {
  bool plain = !needsQuotes(text) && text.back() != ':';
  for (char c : text)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-' && c != '/' && c != ':')
      plain = false;
  if (plain) return text;
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        else
          out += c;
    }
  }
  return out + "\"";
}

void emitNode(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out << YAML::Null;
      break;
    case YAML::NodeType::Scalar:
      emitScalar(out, node.Scalar(), node.Tag());
      break;
    case YAML::NodeType::Sequence:
      // Empty collections read better as [] and {} on the key's line.
      if (node.size() == 0) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : node) emitNode(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Map:
      if (node.size() == 0) out << YAML::Flow;
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key;
        emitNode(out, entry.first);
        out << YAML::Value;
        emitNode(out, entry.second);
      }
      out << YAML::EndMap;
      break;
  }
}

std::string documentText(const YAML::Node& node) {
  YAML::Emitter out;
  out.SetIndent(2);
  emitNode(out, node);
  return "---\n" + std::string(out.c_str()) + "\n";
}

}  // namespace ferry::mirror
