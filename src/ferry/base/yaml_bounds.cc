#include "ferry/base/yaml_bounds.h"

#include <yaml-cpp/eventhandler.h>

#include <cstdint>
#include <fstream>
#include <istream>
#include <streambuf>
#include <unordered_map>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/strings.h"

namespace ferry {
namespace {

// An istream over bytes ferry already holds, so parsing copies nothing.
class ViewBuffer : public std::streambuf {
 public:
  explicit ViewBuffer(std::string_view text) {
    char* begin = const_cast<char*>(text.data());
    setg(begin, begin, begin + text.size());
  }
};

size_t saturatingAdd(size_t a, size_t b) { return a > SIZE_MAX - b ? SIZE_MAX : a + b; }

class BoundsChecker : public YAML::EventHandler {
 public:
  BoundsChecker(std::string_view text, const std::string& name, const YamlLimits& limits)
      : text_(text), name_(name), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (documents_ > 0 && mark.pos == lastDocumentStart_) {
      // yaml-cpp cannot consume the token here and would start empty documents at this spot for ever.
      std::string token = mark.pos >= 0 && static_cast<size_t>(mark.pos) < text_.size()
                              ? std::string(1, text_[static_cast<size_t>(mark.pos)])
                              : std::string("end of input");
      throw YAML::ParserException(mark, "unexpected '" + token + "': no YAML node can start here");
    }
    lastDocumentStart_ = mark.pos;
    if (++documents_ > limits_.maxDocuments)
      fail("{}: more than {} YAML documents; ferry's limit for {} is {} documents (see docs/limits.md)", name_,
           limits_.maxDocuments, limits_.kind, limits_.maxDocuments);
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor, 1); }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > limits_.maxAliases)
      fail("{}:{}:{}: more than {} YAML aliases (*name); ferry's limit for {} is {} aliases (see docs/limits.md)",
           name_, mark.line + 1, mark.column + 1, limits_.maxAliases, limits_.kind, limits_.maxAliases);
    auto found = anchorNodes_.find(anchor);
    leaf(mark, YAML::NullAnchor, found == anchorNodes_.end() ? 1 : found->second);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string&) override {
    leaf(mark, anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    YAML::anchor_t anchor;
    size_t nodes;  // expanded nodes inside, itself included
  };

  void count(const YAML::Mark& mark, size_t nodes) {
    total_ = saturatingAdd(total_, nodes);
    if (total_ > limits_.maxNodes)
      fail(
          "{}:{}:{}: the YAML expands to more than {} nodes once its aliases are expanded; ferry's limit for {} is "
          "{} nodes (see docs/limits.md)",
          name_, mark.line + 1, mark.column + 1, limits_.maxNodes, limits_.kind, limits_.maxNodes);
    if (!open_.empty()) open_.back().nodes = saturatingAdd(open_.back().nodes, nodes);
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, size_t nodes) {
    count(mark, nodes);
    if (anchor != YAML::NullAnchor) anchorNodes_[anchor] = nodes;
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(open_.size()) >= limits_.maxDepth)
      fail("{}:{}:{}: YAML nested deeper than {} levels; ferry's limit for {} is {} levels (see docs/limits.md)",
           name_, mark.line + 1, mark.column + 1, limits_.maxDepth, limits_.kind, limits_.maxDepth);
    count(mark, 1);
    open_.push_back({anchor, 1});
  }
  void close() {
    Open done = open_.back();
    open_.pop_back();
    if (!open_.empty()) open_.back().nodes = saturatingAdd(open_.back().nodes, done.nodes - 1);
    if (done.anchor != YAML::NullAnchor) anchorNodes_[done.anchor] = done.nodes;
  }

  std::string_view text_;
  const std::string& name_;
  const YamlLimits& limits_;
  size_t documents_ = 0;
  int lastDocumentStart_ = -1;
  size_t aliases_ = 0;
  size_t total_ = 0;
  std::vector<Open> open_;
  std::unordered_map<YAML::anchor_t, size_t> anchorNodes_;
};

}  // namespace

YamlLimits configurationYamlLimits(std::string_view kind) {
  YamlLimits limits;
  limits.kind = kind;
  limits.maxBytes = 8u << 20;
  limits.maxDepth = 64;
  limits.maxAliases = 1000;
  limits.maxNodes = 1'000'000;
  limits.maxDocuments = 100;
  return limits;
}

namespace {
[[noreturn]] void failTooLarge(const std::string& name, std::string_view size, const YamlLimits& limits) {
  fail("{}: {} bytes; ferry's limit for {} is {} (see docs/limits.md)", name, size, limits.kind,
       limitText(limits.maxBytes));
}
}  // namespace

std::string readYamlFile(const std::filesystem::path& file, const YamlLimits& limits) {
  std::ifstream input(file, std::ios::binary);
  if (!input) return readFile(file);  // its message says why the file cannot be read
  std::string text(limits.maxBytes + 1, '\0');
  input.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (input.bad()) return readFile(file);
  text.resize(static_cast<size_t>(input.gcount()));
  if (text.size() > limits.maxBytes) failTooLarge(file.string(), "more than " + std::to_string(limits.maxBytes), limits);
  return text;
}

void checkYamlBounds(std::string_view text, const std::string& name, const YamlLimits& limits) {
  if (text.size() > limits.maxBytes) failTooLarge(name, std::to_string(text.size()), limits);
  ViewBuffer buffer(text);
  std::istream input(&buffer);
  YAML::Parser parser(input);
  BoundsChecker checker(text, name, limits);
  while (parser.HandleNextDocument(checker)) {
  }
}

std::vector<YAML::Node> loadYamlDocuments(std::string_view text, const std::string& name, const YamlLimits& limits) {
  checkYamlBounds(text, name, limits);
  ViewBuffer buffer(text);
  std::istream input(&buffer);
  return YAML::LoadAll(input);
}

YAML::Node loadYamlDocument(std::string_view text, const std::string& name, const YamlLimits& limits) {
  checkYamlBounds(text, name, limits);
  ViewBuffer buffer(text);
  std::istream input(&buffer);
  return YAML::Load(input);
}

}  // namespace ferry
