#include "ferry/chart/images.h"

#include <optional>
#include <regex>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/ref/reference.h"

namespace ferry::chart {
namespace {

YamlLimits manifestLimits() {
  return {.kind = "chart manifests",
          .maxBytes = static_cast<size_t>(kMaxChartContentBytes),
          .maxDepth = 64,
          .maxAliases = 1000,
          .maxNodes = 2'000'000,
          .maxDocuments = 100'000};
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view text) {
  auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  auto end = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(begin, end - begin + 1));
}

// What a text names, when it is a registry reference: normalised, and whether it has a tag or digest.
struct Parsed {
  std::string text;
  bool pinned = false;
};

std::optional<Parsed> parseImage(std::string_view raw) {
  auto text = trim(raw);
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') && text.back() == text.front())
    text = text.substr(1, text.size() - 2);
  if (text.empty() || text.size() > 512 || text.find("://") != std::string::npos ||
      text.find_first_of(" \t{}$") != std::string::npos)
    return std::nullopt;
  try {
    auto ref = ImageReference::parse(text);
    if (ref.transport != Transport::Registry) return std::nullopt;
    std::string normal = ref.registry + "/" + ref.repository;
    if (ref.tag) normal += ":" + *ref.tag;
    if (ref.digest) normal += "@" + ref.digest->str();
    return Parsed{normal, ref.tag.has_value() || ref.digest.has_value()};
  } catch (const Error&) {
    return std::nullopt;
  }
}

bool isImageKey(std::string_view key) {
  auto k = lower(key);
  return k == "image" || (k.size() > 5 && k.ends_with("image"));
}

std::string joinPath(const std::string& prefix, const std::string& key) { return prefix.empty() ? key : prefix + "." + key; }

std::string scalarOf(const YAML::Node& node, const char* key) {
  auto value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

void walkValues(const YAML::Node& node, const std::string& path, const std::string& file, const Chart& chart,
                ImageFindings& found, int depth) {
  if (depth > 64) return;
  if (node.IsMap()) {
    auto repository = scalarOf(node, "repository");
    auto lastKey = path.substr(path.rfind('.') == std::string::npos ? 0 : path.rfind('.') + 1);
    if (!repository.empty() && lower(lastKey).find("image") != std::string::npos) {
      auto registry = scalarOf(node, "registry");
      auto tag = scalarOf(node, "tag");
      auto digest = scalarOf(node, "digest");
      std::string text = registry.empty() ? repository : registry + "/" + repository;
      std::string where = fmt::format("{} {}.{{registry,repository,tag,digest}}", file, path);
      if (tag.empty() && digest.empty() && !chart.appVersion.empty()) {
        tag = chart.appVersion;
        where += fmt::format(" (tag from appVersion {})", chart.appVersion);
      }
      if (!tag.empty()) text += ":" + tag;
      if (!digest.empty()) text += "@" + (digest.find(':') == std::string::npos ? "sha256:" + digest : digest);
      found.add(text, where);
      return;
    }
    for (const auto& item : node) {
      if (!item.first.IsScalar()) continue;
      auto key = item.first.as<std::string>();
      if (item.second.IsScalar() && isImageKey(key)) {
        found.add(item.second.as<std::string>(), fmt::format("{} {}", file, joinPath(path, key)));
        continue;
      }
      walkValues(item.second, joinPath(path, key), file, chart, found, depth + 1);
    }
  } else if (node.IsSequence()) {
    size_t i = 0;
    for (const auto& item : node) walkValues(item, fmt::format("{}[{}]", path, i++), file, chart, found, depth + 1);
  }
}

void annotationImages(const Chart& chart, const std::string& prefix, ImageFindings& found) {
  YAML::Node meta;
  try {
    meta = YAML::Load(chart.chartYaml);
  } catch (const YAML::Exception&) {
    return;
  }
  auto annotations = meta["annotations"];
  if (!annotations || !annotations.IsMap()) return;
  for (const char* key : {"artifacthub.io/images", "helm.sh/images"}) {
    auto value = annotations[key];
    if (!value || !value.IsScalar()) continue;
    YAML::Node list;
    try {
      list = loadYamlDocument(value.as<std::string>(), prefix + "Chart.yaml " + key, manifestLimits());
    } catch (const std::exception& e) {
      found.notes.push_back(fmt::format("{}Chart.yaml: annotation {} is not a YAML list: {}", prefix, key, e.what()));
      continue;
    }
    if (!list.IsSequence()) continue;
    for (const auto& item : list) {
      std::string text = item.IsScalar() ? item.as<std::string>() : item.IsMap() ? scalarOf(item, "image") : "";
      if (!text.empty()) found.add(text, fmt::format("{}Chart.yaml annotation {}", prefix, key));
    }
  }
}

void templateLiterals(const Chart& chart, const std::string& prefix, ImageFindings& found) {
  static const std::regex line(R"(^\s*(?:-\s+)?image:\s*["']?([^"'\s#]+)["']?\s*(?:#.*)?$)");
  for (const auto& [path, text] : chart.templates) {
    size_t number = 0;
    for (const auto& l : splitString(text, '\n')) {
      ++number;
      if (l.find("{{") != std::string::npos) continue;
      std::smatch match;
      if (std::regex_match(l, match, line)) found.add(match[1].str(), fmt::format("{}{}:{}", prefix, path, number));
    }
  }
}

// Deep merge: `over` wins (a parent's values for its subchart over the subchart's own).
YAML::Node merged(const YAML::Node& base, const YAML::Node& over) {
  if (!over || over.IsNull()) return YAML::Clone(base);
  if (!base.IsMap() || !over.IsMap()) return YAML::Clone(over);
  YAML::Node out = YAML::Clone(base);
  for (const auto& item : over) {
    if (!item.first.IsScalar()) continue;
    auto key = item.first.as<std::string>();
    out[key] = merged(base[key], item.second);
  }
  return out;
}

YAML::Node loadValues(const Chart& chart, const std::string& file, ImageFindings& found) {
  if (trim(chart.values).empty()) return YAML::Node(YAML::NodeType::Map);
  try {
    return loadYamlDocument(chart.values, file, manifestLimits());
  } catch (const std::exception& e) {
    found.notes.push_back(fmt::format("{}: not readable YAML ({}); its images are not looked for", file, e.what()));
    return YAML::Node(YAML::NodeType::Map);
  }
}

void findInChart(const Chart& chart, const YAML::Node& values, const std::vector<std::string>& paths,
                 ImageFindings& found) {
  std::string prefix = chart.path.empty() ? "" : chart.path + "/";
  annotationImages(chart, prefix, found);
  walkValues(values, "", prefix + "values.yaml", chart, found, 0);
  templateLiterals(chart, prefix, found);
  for (const auto& [path, text] : chart.templates) {
    if (!path.ends_with(".yaml") && !path.ends_with(".yml")) continue;
    auto rendered = renderTemplateSubset(text, chart, values);
    auto inTemplate = findImagesInManifests(rendered, paths, prefix + path + " (built-in rendering)");
    // Documents the subset cannot make YAML are expected (loops, includes): not worth a line each.
    inTemplate.notes.clear();
    found.merge(inTemplate);
  }
  for (const auto& sub : chart.subcharts) {
    ImageFindings ignored;
    auto subValues = merged(loadValues(sub, sub.path + "/values.yaml", found), values[sub.name]);
    findInChart(sub, subValues, paths, found);
  }
}

// ---- JSONPath subset.

struct Step {
  enum Kind { Field, AllItems, Item, AllFields } kind;
  std::string name;
  size_t index = 0;
};

std::vector<std::vector<Step>> parseJsonPath(std::string_view path) {
  auto bad = [&](std::string_view why) -> std::vector<std::vector<Step>> {
    fail(ErrorKind::InvalidInput,
         "imagePaths '{}': {}; ferry reads the JSONPath subset {{.a.b[*].c}}, [N] and .* (see docs/helm.md)", path, why);
  };
  std::vector<std::vector<Step>> groups;
  size_t i = 0;
  auto text = trim(path);
  if (text.empty()) return bad("empty");
  while (i < text.size()) {
    if (text[i] != '{') return bad("expected '{' to start a path");
    auto close = text.find('}', i);
    if (close == std::string::npos) return bad("a '{' without its '}'");
    auto inner = trim(std::string_view(text).substr(i + 1, close - i - 1));
    i = close + 1;
    while (i < text.size() && text[i] == ' ') ++i;
    std::vector<Step> steps;
    size_t j = 0;
    if (inner.starts_with("$")) j = 1;
    if (j >= inner.size() || inner[j] != '.') return bad("a path starts with '.'");
    while (j < inner.size()) {
      if (inner[j] == '.') {
        ++j;
        if (j < inner.size() && inner[j] == '*') {
          steps.push_back({Step::AllFields, "", 0});
          ++j;
          continue;
        }
        size_t start = j;
        while (j < inner.size() && (std::isalnum(static_cast<unsigned char>(inner[j])) || inner[j] == '_' ||
                                    inner[j] == '-' || inner[j] == '/'))
          ++j;
        if (j == start) return bad(fmt::format("a field name is expected at character {}", j + 1));
        steps.push_back({Step::Field, inner.substr(start, j - start), 0});
      } else if (inner[j] == '[') {
        auto end = inner.find(']', j);
        if (end == std::string::npos) return bad("a '[' without its ']'");
        auto index = inner.substr(j + 1, end - j - 1);
        if (index == "*")
          steps.push_back({Step::AllItems, "", 0});
        else if (!index.empty() && index.find_first_not_of("0123456789") == std::string::npos && index.size() < 9)
          steps.push_back({Step::Item, "", static_cast<size_t>(std::stoul(index))});
        else
          return bad(fmt::format("'[{}]' is not supported (filters, slices and quoted keys are not)", index));
        j = end + 1;
      } else {
        return bad(fmt::format("unexpected '{}'", inner[j]));
      }
    }
    groups.push_back(std::move(steps));
  }
  return groups;
}

void collect(const YAML::Node& node, const std::vector<Step>& steps, size_t at, std::vector<std::string>& out) {
  if (!node || !node.IsDefined() || node.IsNull()) return;
  if (at == steps.size()) {
    if (node.IsScalar())
      for (const auto& word : splitString(node.as<std::string>(), ' '))
        if (!word.empty()) out.push_back(word);
    return;
  }
  const auto& step = steps[at];
  switch (step.kind) {
    case Step::Field:
      if (node.IsMap()) collect(node[step.name], steps, at + 1, out);
      break;
    case Step::AllItems:
      if (node.IsSequence())
        for (const auto& item : node) collect(item, steps, at + 1, out);
      else if (node.IsMap())
        for (const auto& item : node) collect(item.second, steps, at + 1, out);
      break;
    case Step::Item:
      if (node.IsSequence() && step.index < node.size()) collect(node[step.index], steps, at + 1, out);
      break;
    case Step::AllFields:
      if (node.IsMap())
        for (const auto& item : node) collect(item.second, steps, at + 1, out);
      else if (node.IsSequence())
        for (const auto& item : node) collect(item, steps, at + 1, out);
      break;
  }
}

// ---- The template subset.

std::optional<std::string> lookup(const YAML::Node& root, std::string_view dotted) {
  YAML::Node node = root;
  for (const auto& part : splitString(dotted, '.')) {
    if (part.empty()) continue;
    if (!node.IsMap()) return std::nullopt;
    YAML::Node next = node[part];
    if (!next) return std::nullopt;
    node.reset(next);
  }
  if (!node.IsScalar()) return std::nullopt;
  return node.as<std::string>();
}

std::vector<std::string> tokens(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ' || text[i] == '\t') {
      ++i;
      continue;
    }
    if (text[i] == '"') {
      auto end = text.find('"', i + 1);
      if (end == std::string_view::npos) end = text.size();
      out.emplace_back(text.substr(i, end - i + 1));
      i = end + 1;
      continue;
    }
    auto end = text.find_first_of(" \t", i);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(i, end - i));
    i = end;
  }
  return out;
}

struct Scope {
  const Chart& chart;
  const YAML::Node& values;
};

std::optional<std::string> valueOf(const std::string& token, const Scope& scope) {
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') return token.substr(1, token.size() - 2);
  if (token.starts_with(".Values.")) return lookup(scope.values, std::string_view(token).substr(8));
  if (token == ".Chart.AppVersion") return scope.chart.appVersion;
  if (token == ".Chart.Version") return scope.chart.version;
  if (token == ".Chart.Name") return scope.chart.name;
  if (token == ".Release.Name") return std::string("release-name");
  if (token == ".Release.Namespace") return std::string("default");
  return std::nullopt;
}

// One command of a pipeline, with the previous stage's result when there is one.
std::optional<std::string> command(const std::vector<std::string>& words, const std::optional<std::string>& piped,
                                   bool hasPiped, const Scope& scope) {
  if (words.empty()) return std::nullopt;
  auto arg = [&](size_t i) -> std::optional<std::string> {
    if (i < words.size()) return valueOf(words[i], scope);
    if (i == words.size() && hasPiped) return piped;
    return std::nullopt;
  };
  const auto& name = words[0];
  if (name == "quote" || name == "squote" || name == "toString" || name == "trim") {
    auto value = arg(1);
    if (!value) return std::nullopt;
    return name == "trim" ? trim(*value) : *value;  // quoting is YAML's business; the value is what counts
  }
  if (name == "default") {
    auto fallback = arg(1);
    auto value = arg(2);
    if (value && !value->empty()) return value;
    return fallback;
  }
  if (name == "printf") {
    auto format = arg(1);
    if (!format) return std::nullopt;
    std::string out;
    size_t next = 2;
    for (size_t i = 0; i < format->size(); ++i) {
      if ((*format)[i] == '%' && i + 1 < format->size() && ((*format)[i + 1] == 's' || (*format)[i + 1] == 'v')) {
        auto value = arg(next++);
        if (!value) return std::nullopt;
        out += *value;
        ++i;
      } else {
        out += (*format)[i];
      }
    }
    return out;
  }
  if (words.size() == 1 && !hasPiped) return valueOf(name, scope);
  return std::nullopt;
}

std::optional<std::string> evaluateAction(std::string_view action, const Scope& scope) {
  std::optional<std::string> value;
  bool first = true;
  for (const auto& stage : splitString(action, '|')) {
    value = command(tokens(stage), value, !first, scope);
    if (!value) return std::nullopt;
    first = false;
  }
  return value;
}

bool isControl(std::string_view action) {
  auto words = tokens(action);
  if (words.empty()) return true;
  static const std::set<std::string> control = {"if",     "else",    "end",  "range",    "with",  "define",
                                                "block",  "template", "include", "toYaml", "tpl", "fail", "required"};
  return control.count(words[0]) > 0 || words[0].starts_with("/*") || words[0].starts_with("$");
}

}  // namespace

void ImageFindings::add(std::string_view text, const std::string& where) {
  auto parsed = parseImage(text);
  if (!parsed) return;
  if (!parsed->pinned) {
    auto line = fmt::format("{} ({})", trim(text), where);
    for (const auto& known : withoutTag)
      if (known.starts_with(trim(text) + " (")) return;
    withoutTag.push_back(line);
    return;
  }
  if (auto it = index_.find(parsed->text); it != index_.end()) {
    auto& places = images[it->second].foundIn;
    if (std::find(places.begin(), places.end(), where) == places.end()) places.push_back(where);
    return;
  }
  index_[parsed->text] = images.size();
  images.push_back({parsed->text, {where}});
}

void ImageFindings::merge(const ImageFindings& other) {
  for (const auto& image : other.images)
    for (const auto& where : image.foundIn) add(image.reference, where);
  for (const auto& line : other.withoutTag)
    if (std::find(withoutTag.begin(), withoutTag.end(), line) == withoutTag.end()) {
      auto name = line.substr(0, line.find(" ("));
      bool known = false;
      for (const auto& k : withoutTag) known = known || k.starts_with(name + " (");
      if (!known) withoutTag.push_back(line);
    }
  notes.insert(notes.end(), other.notes.begin(), other.notes.end());
}

const std::vector<std::string>& ocMirrorImagePaths() {
  static const std::vector<std::string> paths = {
      "{.spec.template.spec.initContainers[*].image}", "{.spec.template.spec.containers[*].image}",
      "{.spec.initContainers[*].image}", "{.spec.containers[*].image}"};
  return paths;
}

const std::vector<std::string>& extraImagePaths() {
  static const std::vector<std::string> paths = {
      "{.spec.jobTemplate.spec.template.spec.containers[*].image}",
      "{.spec.jobTemplate.spec.template.spec.initContainers[*].image}",
      "{.spec.jobTemplate.spec.template.spec.ephemeralContainers[*].image}",
      "{.spec.template.spec.ephemeralContainers[*].image}", "{.spec.ephemeralContainers[*].image}"};
  return paths;
}

void checkJsonPath(std::string_view path) { parseJsonPath(path); }

std::vector<std::string> evaluateJsonPath(const YAML::Node& document, std::string_view path) {
  std::vector<std::string> out;
  for (const auto& steps : parseJsonPath(path)) collect(document, steps, 0, out);
  return out;
}

// The manifests' images (findImagesInManifests without its translation of yaml-cpp's exceptions).
ImageFindings findInManifests(std::string_view manifests, const std::vector<std::string>& imagePaths,
                              const std::string& where);

ImageFindings findImagesInManifests(std::string_view manifests, const std::vector<std::string>& imagePaths,
                                    const std::string& where) {
  try {
    return findInManifests(manifests, imagePaths, where);
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}: cannot read the manifests: {}", where, e.what());
  }
}

ImageFindings findInManifests(std::string_view manifests, const std::vector<std::string>& imagePaths,
                              const std::string& where) {
  ImageFindings found;
  std::vector<std::string> documents;
  // helm's own split: on "\n---" lines.
  std::string text(manifests);
  size_t start = 0;
  while (start <= text.size()) {
    auto at = text.find("\n---", start);
    auto end = at == std::string::npos ? text.size() : at;
    documents.push_back(text.substr(start, end - start));
    if (at == std::string::npos) break;
    auto lineEnd = text.find('\n', at + 1);
    start = lineEnd == std::string::npos ? text.size() + 1 : lineEnd + 1;
  }
  size_t number = 0;
  for (const auto& document : documents) {
    ++number;
    if (trim(document).empty() || trim(document) == "---") continue;
    YAML::Node node;
    try {
      node = loadYamlDocument(document, where, manifestLimits());
    } catch (const std::exception& e) {
      found.notes.push_back(fmt::format("{}: document {} is not YAML, skipped: {}", where, number, e.what()));
      continue;
    }
    if (!node.IsMap()) continue;
    auto kind = scalarOf(node, "kind");
    auto name = node["metadata"] && node["metadata"].IsMap() ? scalarOf(node["metadata"], "name") : std::string();
    auto label = fmt::format("{} {}/{}", where, kind.empty() ? "document" : kind, name);
    for (const auto* list : {&ocMirrorImagePaths(), &extraImagePaths()})
      for (const auto& path : *list)
        for (const auto& hit : evaluateJsonPath(node, path)) found.add(hit, label + " " + path);
    for (const auto& path : imagePaths)
      for (const auto& hit : evaluateJsonPath(node, path)) {
        // imagePaths reach values that are not all images (env values): only pinned references count.
        auto parsed = parseImage(hit);
        if (parsed && parsed->pinned) found.add(hit, label + " " + path);
      }
  }
  return found;
}

ImageFindings findImagesInChart(const Chart& chart, const std::vector<std::string>& imagePaths) {
  ImageFindings found;
  try {
    auto values = loadValues(chart, "values.yaml", found);
    findInChart(chart, values, imagePaths, found);
  } catch (const YAML::Exception& e) {
    // yaml-cpp's conversions on shapes no chart has (a mapping as a key): the chart's fault, said as ferry says it.
    fail(ErrorKind::InvalidInput, "chart {} {}: cannot read its values or templates: {}", chart.name, chart.version,
         e.what());
  }
  return found;
}

std::string renderTemplateSubset(std::string_view text, const Chart& chart, const YAML::Node& values) {
  Scope scope{chart, values};
  static const std::regex action(R"(\{\{-?\s*(.*?)\s*-?\}\})");
  std::string out;
  for (const auto& line : splitString(text, '\n')) {
    if (line.find("{{") == std::string::npos) {
      out += line + "\n";
      continue;
    }
    std::string rendered;
    bool onlyControl = true;
    auto begin = std::sregex_iterator(line.begin(), line.end(), action);
    size_t last = 0;
    for (auto it = begin; it != std::sregex_iterator(); ++it) {
      auto match = *it;
      auto between = line.substr(last, static_cast<size_t>(match.position()) - last);
      if (!trim(between).empty()) onlyControl = false;
      rendered += between;
      auto inner = match[1].str();
      if (!isControl(inner)) {
        onlyControl = false;
        rendered += evaluateAction(inner, scope).value_or("");
      }
      last = static_cast<size_t>(match.position() + match.length());
    }
    auto rest = line.substr(last);
    if (!trim(rest).empty()) onlyControl = false;
    rendered += rest;
    if (!onlyControl) out += rendered + "\n";
  }
  return out;
}

}  // namespace ferry::chart
