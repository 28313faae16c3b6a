#include "ferry/mirror/release_collector.h"

#include <map>
#include <memory>
#include <tuple>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/release/naming.h"
#include "ferry/release/payload.h"
#include "ferry/release/resolve.h"

namespace ferry::mirror {
namespace {

// One payload to mirror, and why.
struct WantedRelease {
  ImageReference payload;  // as the graph or the configuration names it
  std::string tag;         // the release tag
  std::string reason;
};

// Graph answers of one run, fetched once per (type, channel, arch) and saved in the workspace.
class GraphCache {
 public:
  GraphCache(const ReleaseOptions& options, const Workspace& workspace, RunLog& log)
      : options_(options), workspace_(workspace), log_(log) {}

  const release::UpdateGraph& get(const std::string& channel, bool okd, const std::string& arch) {
    auto key = std::make_tuple(okd, channel, arch);
    if (auto it = graphs_.find(key); it != graphs_.end()) return it->second;
    if (!client_) client_ = std::make_unique<release::UpdateGraphClient>(options_.graphServer);
    log_.note(fmt::format("reading the update graph of {} for {} from {}", channel, arch,
                          release::graphUrlFor(okd, options_.graphServer)));
    auto text = client_->fetch(okd, channel, arch);
    std::filesystem::create_directories(workspace_.graphData());
    writeFileAtomically(workspace_.graphData() / fmt::format("{}-{}.json", arch, channel), text);
    auto graph = release::parseUpdateGraph(text, fmt::format("the update graph of {} for {}", channel, arch));
    return graphs_.emplace(key, std::move(graph)).first->second;
  }

 private:
  const ReleaseOptions& options_;
  const Workspace& workspace_;
  RunLog& log_;
  std::unique_ptr<release::UpdateGraphClient> client_;
  std::map<std::tuple<bool, std::string, std::string>, release::UpdateGraph> graphs_;
};

std::vector<WantedRelease> fromChannels(const config::PlatformConfig& platform, const ReleaseOptions& options,
                                        const PlanningContext& context) {
  GraphCache graphs(options, context.workspace, context.log);
  std::vector<release::ChannelRequest> channels;
  for (const auto& channel : platform.channels)
    channels.push_back({.name = channel.name,
                        .okd = channel.type == config::ReleaseType::Okd,
                        .minVersion = channel.minVersion,
                        .maxVersion = channel.maxVersion,
                        .shortestPath = channel.shortestPath,
                        .full = channel.full});
  std::vector<WantedRelease> wanted;
  for (const auto& arch : platform.architectures) {
    std::vector<std::string> warnings;
    std::vector<release::ChosenRelease> chosen;
    try {
      chosen = release::resolveChannels(
          channels, arch,
          [&](const std::string& channel, bool okd, const std::string& a) -> const release::UpdateGraph& {
            return graphs.get(channel, okd, a);
          },
          {.includeConditionalEdges = options.includeConditionalEdges}, warnings);
    } catch (const Error& e) {
      context.log.error(kExitRelease, fmt::format("{}: releases for {}: {}", platform.where.str(), arch, e.what()));
      continue;
    }
    for (const auto& warning : warnings) context.log.warn(fmt::format("releases for {}: {}", arch, warning));
    if (chosen.empty())
      context.log.error(kExitRelease, fmt::format("{}: releases for {}: no release images found in the channels",
                                                  platform.where.str(), arch));
    for (const auto& release : chosen) {
      try {
        auto payload = ImageReference::parse(release.payload);
        if (payload.transport != Transport::Registry) fail("not a registry reference");
        wanted.push_back({.payload = payload,
                          .tag = release::releaseTag(release.version, arch, release.okd),
                          .reason = release.reason});
      } catch (const Error& e) {
        context.log.error(kExitRelease, fmt::format("release {} ({}): the graph's payload '{}' is not usable: {}",
                                                    release.version, arch, release.payload, e.what()));
      }
    }
  }
  return wanted;
}

// Reads one payload and adds it and its components; throws Error when the release cannot be mirrored whole.
void addRelease(const PlanningContext& context, PlanBuilder& plan, const WantedRelease& wanted) {
  auto source = context.reader.open(wanted.payload);
  auto name = wanted.payload.str();
  auto payload = release::readReleasePayload(*source, wanted.payload.manifestReference(), name,
                                             context.workspace.releases());
  auto tag = wanted.tag.empty() ? std::string(payload.digest.hex()) : wanted.tag;
  std::vector<PlannedImage> images;
  PlannedImage top;
  top.kind = ImageKind::Release;
  top.source = wanted.payload;
  top.source.tag = tag;
  top.source.digest = payload.digest;
  top.naming.targetRepo = release::kPayloadRepository;
  top.naming.targetTag = tag;
  images.push_back(std::move(top));
  for (const auto& component : payload.components) {
    ImageReference image;
    try {
      image = ImageReference::parse(component.image);
    } catch (const Error& e) {
      fail("component {} ('{}'): {}", component.name, component.image, e.what());
    }
    if (image.transport != Transport::Registry || !image.digest)
      fail("component {} ('{}') is not a registry image pinned by digest, as image-references must name it",
           component.name, component.image);
    PlannedImage planned;
    planned.kind = ImageKind::ReleaseComponent;
    planned.source = image;
    // The tag names it at the destination; the image is pulled by its digest.
    planned.source.tag = release::componentTag(tag, component.name);
    planned.naming.targetRepo = release::kComponentRepository;
    planned.naming.targetTag = *planned.source.tag;
    images.push_back(std::move(planned));
  }
  context.log.note(fmt::format("release {} ({}): {} components; {}", tag, payload.digest.str(),
                               payload.components.size(), wanted.reason));
  for (auto& image : images) plan.addImage(std::move(image));
}

}  // namespace

void ReleaseCollector::check(const config::ImageSetConfig& config) const {
  if (!config.mirror.platform) return;
  const auto& platform = *config.mirror.platform;
  if (!platform.platforms.empty())
    fail("{}: mirror.platform.platforms (a multi payload narrowed to some platforms) is not supported by ferry yet; "
         "use architectures (multi mirrors the whole multi payload)",
         platform.where.str());
  if (platform.kubeVirtContainer)
    fail("{}: mirror.platform.kubeVirtContainer is not supported by ferry yet; remove it, and add the container disk "
         "image as an additional image",
         platform.where.str());
}

void ReleaseCollector::collect(const PlanningContext& context, PlanBuilder& plan) {
  if (!context.config.mirror.platform) return;
  const auto& platform = *context.config.mirror.platform;
  if (platform.graph)
    context.log.warn(fmt::format("{}: mirror.platform.graph: ferry does not build the graph-data image or the "
                                 "UpdateService yet; the releases are mirrored without them",
                                 platform.where.str()));
  std::vector<WantedRelease> wanted;
  if (!platform.release.empty()) {
    // An explicit payload: the channels are not asked (as oc-mirror).
    try {
      auto payload = ImageReference::parse(platform.release);
      if (payload.transport != Transport::Registry) fail("not a registry reference");
      wanted.push_back({.payload = payload, .tag = payload.tag.value_or(""), .reason = "named by mirror.platform.release"});
    } catch (const Error& e) {
      context.log.error(kExitRelease,
                        fmt::format("{}: mirror.platform.release '{}': {}", platform.where.str(), platform.release, e.what()));
    }
  } else if (!platform.channels.empty()) {
    wanted = fromChannels(platform, options_, context);
  }
  for (const auto& release : wanted) {
    try {
      addRelease(context, plan, release);
    } catch (const Error& e) {
      context.log.error(kExitRelease, fmt::format("release {}: {}", release.payload.str(), e.what()));
    }
  }
}

}  // namespace ferry::mirror
