#include "ferry/cli/inspect.h"

#include <nlohmann/json.hpp>

#include <fmt/format.h>

#include "ferry/copy/attachments.h"
#include "ferry/transport/capabilities.h"

namespace ferry {
namespace {

using nlohmann::ordered_json;

std::string describeChild(const Descriptor& descriptor) {
  if (!descriptor.platform) return "(no platform)";
  std::string text = descriptor.platform->str();
  if (!descriptor.platform->osVersion.empty()) text += " " + descriptor.platform->osVersion;
  auto reference = descriptor.annotations.find("vnd.docker.reference.digest");
  if (reference != descriptor.annotations.end()) {
    auto type = descriptor.annotations.find("vnd.docker.reference.type");
    text += fmt::format(" ({} for {})", type != descriptor.annotations.end() ? type->second : "artifact",
                        reference->second.substr(0, 19));
  }
  return text;
}

std::string filterMark(const FilteredImage* filter, const Digest& digest) {
  if (!filter) return {};
  for (const auto& decision : filter->decisions)
    if (decision.digest == digest) return decision.kept ? "[keep] " : "[drop] ";
  return "[keep] ";  // nested indexes are kept when any of their children is
}

void renderNode(std::string& out, const ImageGraph& node, const std::string& prefix, const FilteredImage* filter) {
  std::vector<std::string> lines;
  std::vector<const ImageGraph*> childNodes;
  if (node.manifest.isIndex) {
    for (size_t i = 0; i < node.children.size(); ++i) {
      const auto& descriptor = node.manifest.manifests[i];
      lines.push_back(fmt::format("{}{}  {}  {}  {}", filterMark(filter, descriptor.digest), describeChild(descriptor),
                                  descriptor.digest.str(),
                                  descriptor.mediaType, humanBytes(descriptor.size)));
      childNodes.push_back(&node.children[i]);
    }
  } else {
    auto blobs = node.manifest.blobs();
    for (size_t i = 0; i < blobs.size(); ++i) {
      bool isConfig = i == 0 && node.manifest.config.has_value();
      lines.push_back(fmt::format("{}  {}  {}  {}", isConfig ? "config" : "layer", blobs[i].digest.str(), blobs[i].mediaType,
                             humanBytes(blobs[i].size)));
      childNodes.push_back(nullptr);
    }
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    bool last = i + 1 == lines.size();
    out += prefix + (last ? "└── " : "├── ") + lines[i] + "\n";
    if (childNodes[i]) renderNode(out, *childNodes[i], prefix + (last ? "    " : "│   "), filter);
  }
}

ordered_json descriptorJson(const Descriptor& descriptor) {
  ordered_json out{{"mediaType", descriptor.mediaType}, {"digest", descriptor.digest.str()}, {"size", descriptor.size}};
  if (descriptor.platform) {
    ordered_json platform{{"os", descriptor.platform->os}, {"architecture", descriptor.platform->architecture}};
    if (!descriptor.platform->variant.empty()) platform["variant"] = descriptor.platform->variant;
    if (!descriptor.platform->osVersion.empty()) platform["os.version"] = descriptor.platform->osVersion;
    out["platform"] = platform;
  }
  if (!descriptor.annotations.empty()) out["annotations"] = descriptor.annotations;
  return out;
}

ordered_json nodeJson(const ImageGraph& node) {
  ordered_json out{{"mediaType", node.raw.mediaType},
                   {"digest", node.raw.digest.str()},
                   {"size", node.raw.bytes.size()}};
  if (node.manifest.isIndex) {
    ordered_json children = ordered_json::array();
    for (size_t i = 0; i < node.children.size(); ++i) {
      auto child = descriptorJson(node.manifest.manifests[i]);
      child["manifest"] = nodeJson(node.children[i]);
      children.push_back(child);
    }
    out["manifests"] = children;
  } else {
    if (node.manifest.config) out["config"] = descriptorJson(*node.manifest.config);
    ordered_json layers = ordered_json::array();
    for (const auto& layer : node.manifest.layers) layers.push_back(descriptorJson(layer));
    out["layers"] = layers;
  }
  if (!node.manifest.artifactType.empty()) out["artifactType"] = node.manifest.artifactType;
  if (node.manifest.subject) out["subject"] = descriptorJson(*node.manifest.subject);
  return out;
}

}  // namespace

std::string humanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

std::string renderTree(const std::string& title, const ImageGraph& graph, const FilteredImage* filter) {
  std::string out = fmt::format("{}\n{}  {}  {}\n", title, graph.raw.digest.str(), graph.raw.mediaType,
                                humanBytes(static_cast<int64_t>(graph.raw.bytes.size())));
  renderNode(out, graph, "", filter);
  if (filter) {
    const auto& result = filter->graph;
    if (filter->sparse) {
      out += fmt::format("with this platform selection: the original index {} is pushed with only the kept children\n",
                         graph.raw.digest.str());
    } else if (!result.manifest.isIndex) {
      out += fmt::format("with this platform selection: the one kept image {} is pushed itself\n", result.raw.digest.str());
    } else if (result.raw.digest != graph.raw.digest) {
      out += fmt::format("with this platform selection: a new index {} ({}) is pushed\n", result.raw.digest.str(),
                         humanBytes(static_cast<int64_t>(result.raw.bytes.size())));
    } else {
      out += "with this platform selection: every child is kept; the index is pushed unchanged\n";
    }
    for (const auto& warning : filter->warnings) out += "warning: " + warning + "\n";
  }
  return out;
}

std::vector<Attachment> findAttachments(ImageSource& source, const ImageGraph& graph) {
  auto* lister = capability<TagLister>(source);
  if (!lister) return {};
  std::vector<Digest> subjects;
  for (const auto* node : graph.bottomUp()) subjects.push_back(node->raw.digest);
  std::vector<Attachment> attachments;
  for (auto& tag : attachmentTagsFor(lister->listTags(), subjects)) {
    Attachment attachment{.tag = tag, .manifest = source.getManifest(tag), .referrers = {}};
    auto parsed = Manifest::parse(attachment.manifest.bytes, attachment.manifest.mediaType);
    if (parsed.isIndex && tag.find('.') == std::string::npos) attachment.referrers = parsed.manifests;
    attachments.push_back(std::move(attachment));
  }
  return attachments;
}

std::string renderAttachments(const std::vector<Attachment>& attachments) {
  if (attachments.empty()) return {};
  std::string out = "attached (signatures, attestations, referrers):\n";
  for (const auto& attachment : attachments) {
    out += fmt::format("  {}  {}  {}\n", attachment.tag, attachment.manifest.digest.str(), attachment.manifest.mediaType);
    for (const auto& referrer : attachment.referrers)
      out += fmt::format("    referrer {}  {}\n", referrer.digest.str(),
                         referrer.artifactType.empty() ? referrer.mediaType : referrer.artifactType);
  }
  return out;
}

std::string renderJson(const std::string& reference, const ImageGraph& graph,
                       const std::vector<Attachment>& attachments) {
  ordered_json out{{"reference", reference}};
  out.update(nodeJson(graph));
  if (!attachments.empty()) {
    out["attachments"] = ordered_json::array();
    for (const auto& attachment : attachments) {
      ordered_json entry{{"tag", attachment.tag},
                         {"digest", attachment.manifest.digest.str()},
                         {"mediaType", attachment.manifest.mediaType}};
      for (const auto& referrer : attachment.referrers)
        entry["referrers"].push_back({{"digest", referrer.digest.str()},
                                      {"artifactType", referrer.artifactType},
                                      {"mediaType", referrer.mediaType}});
      out["attachments"].push_back(std::move(entry));
    }
  }
  return out.dump(2) + "\n";
}

}  // namespace ferry
