#include "ferry/transport/image_graph.h"

#include <functional>
#include <unordered_set>

#include "ferry/base/error.h"

namespace ferry {
namespace {

constexpr int kMaxDepth = 8;

ImageGraph fetchNode(ImageSource& source, RawManifest raw, int depth, const ChildSkip& skip) {
  ImageGraph node{.raw = std::move(raw), .manifest = {}, .children = {}};
  try {
    node.manifest = Manifest::parse(node.raw.bytes, node.raw.mediaType);
  } catch (const Error& e) {
    fail("cannot read {}@{}: {}", source.describe(), node.raw.digest.str(), e.what());
  }
  if (!node.manifest.isIndex) return node;
  if (depth >= kMaxDepth) fail("{}@{}: indexes nested deeper than {} levels", source.describe(), node.raw.digest.str(), kMaxDepth);
  for (size_t i = 0; i < node.manifest.manifests.size(); ++i) {
    const auto& child = node.manifest.manifests[i];
    if (skip && skip(node.manifest, i)) {
      node.children.push_back(ImageGraph{.raw = {.bytes = {}, .mediaType = child.mediaType, .digest = child.digest},
                                         .manifest = {},
                                         .children = {},
                                         .fetched = false});
      continue;
    }
    auto childRaw = source.getManifest(child.digest.str());
    if (childRaw.bytes.size() != static_cast<size_t>(child.size))
      fail("{}@{}: its descriptor says {} bytes but the manifest has {}", source.describe(), child.digest.str(),
           child.size, childRaw.bytes.size());
    node.children.push_back(fetchNode(source, std::move(childRaw), depth + 1, skip));
  }
  return node;
}

}  // namespace

ImageGraph fetchImageGraph(ImageSource& source, const std::string& reference) {
  return fetchNode(source, source.getManifest(reference), 0, nullptr);
}

ImageGraph fetchImageGraph(ImageSource& source, RawManifest top) { return fetchNode(source, std::move(top), 0, nullptr); }

ImageGraph fetchImageGraph(ImageSource& source, RawManifest top, const ChildSkip& skip) {
  return fetchNode(source, std::move(top), 0, skip);
}

std::vector<const ImageGraph*> ImageGraph::bottomUp() const {
  std::vector<const ImageGraph*> order;
  std::unordered_set<std::string> seen;
  std::function<void(const ImageGraph&)> visit = [&](const ImageGraph& node) {
    if (!node.fetched) return;
    for (const auto& child : node.children) visit(child);
    if (seen.insert(node.raw.digest.str()).second) order.push_back(&node);
  };
  visit(*this);
  return order;
}

std::vector<Descriptor> ImageGraph::blobs() const {
  std::vector<Descriptor> out;
  std::unordered_set<std::string> seen;
  for (const auto* node : bottomUp())
    for (const auto& blob : node->manifest.blobs())
      if (seen.insert(blob.digest.str()).second) out.push_back(blob);
  return out;
}

std::string readSmallBlob(ImageSource& source, const Descriptor& blob) {
  // Image configs, read to learn a platform; small, so kept in memory.
  constexpr int64_t kLimit = 4 << 20;
  if (blob.size > kLimit) fail("blob {} is {} bytes, too large to read as a config", blob.digest.str(), blob.size);
  StringWriter writer(kLimit);
  source.readBlob(blob, writer);
  Hasher hasher(blob.digest.algorithm());
  hasher.update(writer.bytes);
  if (hasher.finish() != blob.digest)
    fail("blob {} from {} does not match its digest; refusing it", blob.digest.str(), source.describe());
  return writer.bytes;
}

}  // namespace ferry
