#include "ferry/mirror/release_collector.h"

#include <map>
#include <set>
#include <memory>
#include <tuple>

#include <fmt/ranges.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/copy/copier.h"
#include "ferry/release/graph_image.h"
#include "ferry/release/naming.h"
#include "ferry/release/payload.h"
#include "ferry/release/resolve.h"
#include "ferry/release/signature.h"
#include "ferry/base/base64.h"

#include <nlohmann/json.hpp>

namespace ferry::mirror {
namespace {

// One payload to mirror, and why.
struct WantedRelease {
  ImageReference payload;  // as the graph or the configuration names it
  std::string tag;         // the release tag
  std::string reason;
  std::vector<std::string> archs;  // the graph architectures it stands for (kubeVirtContainer)
};

// mirror.platform.platforms: a multi payload narrowed to these platforms (empty: every platform).
std::vector<std::string> kubeVirtArchsOf(const std::vector<Platform>& platforms) {
  std::set<std::string> wanted;
  for (const auto& platform : platforms) {
    auto arch = platform.normalized().architecture;
    if (arch == "amd64") wanted.insert("x86_64");
    if (arch == "s390x") wanted.insert("s390x");
  }
  return {wanted.begin(), wanted.end()};
}

// kubeVirtContainer: the CoreOS architectures whose container disk a payload of `archs` carries, as oc-mirror:
// amd64 → x86_64, s390x → s390x, multi → both.
std::vector<std::string> kubeVirtArchs(const std::vector<std::string>& archs) {
  std::set<std::string> wanted;
  for (const auto& arch : archs) {
    if (arch == "amd64" || arch == "multi") wanted.insert("x86_64");
    if (arch == "s390x" || arch == "multi") wanted.insert("s390x");
  }
  return {wanted.begin(), wanted.end()};
}

// The kubevirt container disk images of `payload` as components; throws Error when none is found.
std::vector<PlannedImage> kubeVirtImages(const release::ReleasePayload& payload, const WantedRelease& wanted,
                                         const std::string& tag, const std::string& name,
                                         const std::vector<Platform>& platforms) {
  auto found = release::readKubeVirtImages(payload.manifestsDirectory, name);
  auto archs = platforms.empty() ? kubeVirtArchs(wanted.archs) : kubeVirtArchsOf(platforms);
  std::vector<std::pair<std::string, std::string>> picks;
  for (const auto& arch : archs)
    if (auto it = found.find(arch); it != found.end()) picks.emplace_back(arch, it->second);
  if (picks.empty())
    fail("kubeVirtContainer: could not find a kubevirt image in this release: release-manifests/{} names none for "
         "{}", release::kBootImagesFile, archs.empty() ? std::string("its architecture") : fmt::format("{}", fmt::join(archs, ", ")));
  std::vector<PlannedImage> images;
  for (const auto& [arch, text] : picks) {
    auto component = picks.size() > 1 ? "kube-virt-container-" + arch : std::string("kube-virt-container");
    PlannedImage planned;
    planned.kind = ImageKind::ReleaseComponent;
    try {
      planned.source = ImageReference::parse(text);
    } catch (const Error& e) {
      fail("kubeVirtContainer: the kubevirt image '{}' for {}: {}", text, arch, e.what());
    }
    if (planned.source.transport != Transport::Registry || !planned.source.digest)
      fail("kubeVirtContainer: the kubevirt image '{}' for {} is not pinned by digest", text, arch);
    planned.source.tag = release::componentTag(tag, component);
    planned.naming.targetRepo = release::kComponentRepository;
    planned.naming.targetTag = *planned.source.tag;
    images.push_back(std::move(planned));
  }
  return images;
}

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
                          .reason = release.reason,
                          .archs = {arch}});
      } catch (const Error& e) {
        context.log.error(kExitRelease, fmt::format("release {} ({}): the graph's payload '{}' is not usable: {}",
                                                    release.version, arch, release.payload, e.what()));
      }
    }
  }
  return wanted;
}

// Fetches and verifies the payload's signatures and keeps those that verify in
// the workspace; throws Error (Integrity) saying which check failed when none does.
void checkSignatures(const PlanningContext& context, const ReleaseOptions& options, RetryingHttpClient& http,
                     const std::string& name, const Digest& digest) {
  auto store = options.signatureStoreUrl.empty() ? std::string(release::kSignatureStoreUrl) : options.signatureStoreUrl;
  auto signatures = release::fetchSignatures(http, store, digest);
  if (signatures.empty())
    fail(ErrorKind::Integrity, "no signature found for {} in the signature store {} (give --ignore-release-signature "
         "for an unsigned explicit release)", digest.str(), store);
  std::vector<std::string> verified;
  std::string firstError;
  for (size_t i = 0; i < signatures.size(); ++i) {
    try {
      auto signature = release::verifySignature(signatures[i], options.signatureKeyring, digest,
                                                fmt::format("signature-{} of {}", i + 1, digest.str()));
      context.log.note(fmt::format("release {}: signature-{} verifies (key {}, identity {})", name, i + 1,
                                   signature.fingerprint, signature.dockerReference));
      verified.push_back(signatures[i]);
    } catch (const Error& e) {
      if (firstError.empty()) firstError = e.what();
      context.log.warn(e.what());
    }
  }
  if (verified.empty()) throw Error(ErrorKind::Integrity, firstError);
  std::filesystem::create_directories(context.workspace.releases() / "signatures");
  for (const auto& old : savedSignatures(context.workspace, digest)) std::filesystem::remove(old);
  for (size_t i = 0; i < verified.size(); ++i)
    writeFileAtomically(signatureFile(context.workspace, digest, static_cast<int>(i + 1)), verified[i]);
}

// Reads one payload and adds it and its components (each narrowed to `platforms`, when given: sparse, since
// all are named by digest); returns the payload's digest. Throws Error when the release cannot be mirrored whole.
Digest addRelease(const PlanningContext& context, const ReleaseOptions& options, RetryingHttpClient* signatureHttp,
                  PlanBuilder& plan, const WantedRelease& wanted, bool kubeVirt, const std::vector<Platform>& platforms) {
  auto source = context.reader.open(wanted.payload);
  auto name = wanted.payload.str();
  auto payload = release::readReleasePayload(*source, wanted.payload.manifestReference(), name,
                                             context.workspace.releases());
  auto tag = wanted.tag.empty() ? std::string(payload.digest.hex()) : wanted.tag;
  if (signatureHttp) checkSignatures(context, options, *signatureHttp, tag, payload.digest);
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
  if (kubeVirt)
    for (auto& image : kubeVirtImages(payload, wanted, tag, name, platforms)) images.push_back(std::move(image));
  std::string narrowed;
  if (!platforms.empty()) {
    std::vector<std::string> names;
    for (const auto& platform : platforms) names.push_back(platform.str());
    narrowed = fmt::format(", narrowed to {}", fmt::join(names, ", "));
    // Pulled by digest (the payload by the graph's, components by image-references'): sparse, digests kept.
    for (auto& image : images) image.platforms = platformChoiceFor(platforms, pullReferenceFor(image.source));
  }
  context.log.note(fmt::format("release {} ({}): {} components{}; {}", tag, payload.digest.str(),
                               payload.components.size(), narrowed, wanted.reason));
  for (auto& image : images) plan.addImage(std::move(image));
  return payload.digest;
}

// graph: true: downloads the graph data, copies the base image into the workspace's graph-preparation layout,
// builds the graph-data image there and adds it. Throws Error naming what failed.
void addGraphImage(const PlanningContext& context, const ReleaseOptions& options, PlanBuilder& plan,
                   const std::vector<Digest>& payloads) {
  auto url = options.graphDataUrl.empty() ? std::string(release::kGraphDataUrl) : options.graphDataUrl;
  auto baseText = options.graphBaseImage.empty() ? std::string(release::kGraphBaseImage) : options.graphBaseImage;
  ImageReference base;
  try {
    base = ImageReference::parse(baseText);
  } catch (const Error& e) {
    fail(ErrorKind::InvalidInput, "the graph image's base '{}' (--graph-base-image): {}", baseText, e.what());
  }
  auto work = context.workspace.releases() / "graph-data";
  auto tarball = work / "cincinnati-graph-data.tar.gz";
  context.log.note(fmt::format("graph: downloading the graph data {}", urlForMessages(url)));
  {
    RetryingHttpClient http("graph data server", options.graphServer.http);
    release::downloadGraphData(http, url, tarball);
  }

  // The base image, whole, into the layout (blobs it has already are not read again).
  auto layoutDir = graphImageLayout(context.workspace);
  auto layout = OciLayout::create(layoutDir);
  ImageReference baseCopy;
  baseCopy.transport = Transport::Layout;
  baseCopy.layoutPath = layoutDir;
  baseCopy.tag = "base";
  Endpoints local(EndpointOptions{});
  Copier copier(local, CopyOptions{.parallel = 4});
  auto copied = copier.run({CopyRequest{.source = base, .destination = baseCopy, .from = context.reader.open(base),
                                        .to = layout}});
  if (copied.empty() || !copied[0].ok || !copied[0].digest)
    fail("cannot read the graph image's base {} (--graph-base-image): {}", base.str(),
         copied.empty() ? std::string("nothing copied") : copied[0].error);
  auto baseTop = layout->getManifest(copied[0].digest->str());

  release::GraphImageInput input{.tarball = tarball, .tarballName = urlForMessages(url), .workDirectory = work / "unpacked"};
  if (options.graphSignatures)
    for (const auto& digest : payloads) {
      int n = 0;
      for (const auto& file : savedSignatures(context.workspace, digest))
        input.signatures.push_back({.payload = digest, .number = ++n, .file = file});
    }
  auto built = release::buildGraphImage(*layout, baseTop, base.str(), input);
  context.log.note(fmt::format("graph: built the graph-data image {} ({} files{}{}, on {} for {})", built.top.digest.str(),
                               built.files,
                               input.signatures.empty() ? "" : fmt::format(", {} release signatures", input.signatures.size()),
                               built.skipped ? fmt::format(", {} links left out", built.skipped) : "",
                               base.str(), fmt::join(built.platforms, ", ")));
  PlannedImage image;
  image.kind = ImageKind::GraphImage;
  image.source.transport = Transport::Layout;
  image.source.layoutPath = layoutDir;
  image.source.tag = release::kGraphImageTag;
  image.source.digest = built.top.digest;
  image.naming.targetRepo = release::kGraphImageRepository;
  image.naming.targetTag = release::kGraphImageTag;
  image.foundIn = {fmt::format("graph data {}", urlForMessages(url)), fmt::format("base {}", base.str())};
  plan.addImage(std::move(image));
}

}  // namespace

std::filesystem::path signatureFile(const Workspace& workspace, const Digest& payload, int n) {
  return workspace.releases() / "signatures" / fmt::format("sha256-{}-{}", payload.hex(), n);
}

std::vector<std::filesystem::path> savedSignatures(const Workspace& workspace, const Digest& payload) {
  std::vector<std::filesystem::path> files;
  for (int n = 1; n <= release::kMaxSignatures; ++n) {
    auto file = signatureFile(workspace, payload, n);
    if (!std::filesystem::exists(file)) break;
    files.push_back(file);
  }
  return files;
}

size_t writeSignatureConfigMap(const Workspace& workspace, const std::vector<Digest>& payloads) {
  auto json = workspace.clusterResources() / "signature-configmap.json";
  auto yaml = workspace.clusterResources() / "signature-configmap.yaml";
  std::error_code ignored;
  std::filesystem::remove(json, ignored);
  std::filesystem::remove(yaml, ignored);
  nlohmann::ordered_json data = nlohmann::ordered_json::object();
  std::set<Digest> seen;
  size_t counter = 0;
  for (const auto& digest : payloads) {
    if (!seen.insert(digest).second) continue;
    // As oc-mirror v2: one counter over all releases; the CVO takes any key with the prefix sha256-<hex>.
    for (const auto& file : savedSignatures(workspace, digest))
      data[fmt::format("sha256-{}-{}", digest.hex(), ++counter)] = base64Encode(readFile(file));
  }
  if (data.empty()) return 0;
  nlohmann::ordered_json configMap = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", "mirrored-release-signatures"},
        {"namespace", "openshift-config-managed"},
        {"labels", {{"release.openshift.io/verification-signatures", ""}}},
        {"annotations", {{"createdBy", "ferry"}}}}},
      {"binaryData", data}};
  std::filesystem::create_directories(workspace.clusterResources());
  writeFileAtomically(json, configMap.dump(2) + "\n");
  std::string text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: mirrored-release-signatures\n"
                     "  namespace: openshift-config-managed\n  labels:\n"
                     "    release.openshift.io/verification-signatures: \"\"\n  annotations:\n"
                     "    createdBy: ferry\nbinaryData:\n";
  for (const auto& [key, value] : data.items()) text += fmt::format("  {}: {}\n", key, value.get<std::string>());
  writeFileAtomically(yaml, text);
  return data.size();
}

std::filesystem::path graphImageLayout(const Workspace& workspace) { return workspace.root / "graph-preparation"; }

void writeUpdateService(const Workspace& workspace, const ImageReference& graphImage, const std::string& releases) {
  // As oc-mirror v2's (cluster-resources/updateService.yaml), but the graph image by digest, not :latest.
  auto image = graphImage;
  if (image.digest) image.tag.reset();
  auto name = image.registry + "/" + image.repository +
              (image.digest ? "@" + image.digest->str() : ":" + image.tag.value_or("latest"));
  std::string text = fmt::format(
      "apiVersion: updateservice.operator.openshift.io/v1\n"
      "kind: UpdateService\n"
      "metadata:\n"
      "  name: update-service-oc-mirror\n"
      "  namespace: openshift-update-service\n"
      "  annotations:\n"
      "    createdBy: ferry\n"
      "spec:\n"
      "  replicas: 2\n"
      "  releases: {}\n"
      "  graphDataImage: {}\n",
      releases, name);
  std::filesystem::create_directories(workspace.clusterResources());
  writeFileAtomically(workspace.clusterResources() / "updateService.yaml", text);
}

void ReleaseCollector::check(const config::ImageSetConfig& config) const {
  if (!config.mirror.platform) return;
  const auto& platform = *config.mirror.platform;
  // platforms and architectures together are refused by the loader; platforms mean the multi payload.
  (void)platform;
}

void ReleaseCollector::collect(const PlanningContext& context, PlanBuilder& plan) {
  if (!context.config.mirror.platform) return;
  auto platform = *context.config.mirror.platform;
  // platforms: the multi payload (arch=multi in the graph, as oc-mirror), narrowed to them.
  if (!platform.platforms.empty()) platform.architectures = {"multi"};
  std::vector<WantedRelease> wanted;
  if (!platform.release.empty()) {
    // An explicit payload: the channels are not asked (as oc-mirror).
    try {
      auto payload = ImageReference::parse(platform.release);
      if (payload.transport != Transport::Registry) fail("not a registry reference");
      wanted.push_back({.payload = payload,
                        .tag = payload.tag.value_or(""),
                        .reason = "named by mirror.platform.release",
                        .archs = platform.architectures.empty() ? std::vector<std::string>{"amd64"}
                                                                : platform.architectures});
    } catch (const Error& e) {
      context.log.error(kExitRelease,
                        fmt::format("{}: mirror.platform.release '{}': {}", platform.where.str(), platform.release, e.what()));
    }
  } else if (!platform.channels.empty()) {
    wanted = fromChannels(platform, options_, context);
  }
  std::unique_ptr<RetryingHttpClient> signatureHttp;
  if (!wanted.empty() && !options_.ignoreSignatures) {
    if (options_.signatureKeyring.empty())
      context.log.warn("release signatures are neither fetched nor verified: no keyring given (--release-signature-"
                       "keyring FILE or $OCP_SIGNATURE_VERIFICATION_PK); no mirrored-release-signatures ConfigMap is "
                       "written, so clusters that verify releases need one from elsewhere");
    else
      signatureHttp = std::make_unique<RetryingHttpClient>("release signature store", options_.graphServer.http);
  }
  std::vector<Digest> payloads;
  for (const auto& release : wanted) {
    try {
      payloads.push_back(addRelease(context, options_, signatureHttp.get(), plan, release, platform.kubeVirtContainer,
                                    platform.platforms));
    } catch (const Error& e) {
      context.log.error(kExitRelease, fmt::format("release {}: {}", release.payload.str(), e.what()));
    }
  }
  if (platform.graph) {
    try {
      addGraphImage(context, options_, plan, payloads);
    } catch (const Error& e) {
      context.log.error(kExitRelease, fmt::format("{}: graph: true: the graph-data image is not built: {}",
                                                  platform.where.str(), e.what()));
    }
  }
}

}  // namespace ferry::mirror
