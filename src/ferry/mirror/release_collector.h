// ReleaseCollector: mirror.platform → release payloads and their components.
//
//   release: X          the payload X, no graph asked (a tag is resolved to its digest)
//   channels + archs    per architecture, each channel's graph from the update
//                       graph server (saved as hold-release/cincinnati-graph-data/
//                       <arch>-<channel>.json), resolved as release/resolve.h says
//
// Each payload is read (release/payload.h) and added as ImageKind::Release,
// named openshift/release-images:<release tag>; every image its
// image-references names is added by digest as ImageKind::ReleaseComponent,
// named openshift/release:<release tag>-<name>. A release that cannot be
// resolved or read is reported with exit bit 2 (kExitRelease) and left out.
// With graph: true, the graph-data image is built (release/graph_image.h) in
// the workspace and added as ImageKind::GraphImage, named
// openshift/graph-image:latest; the registry writer then writes the
// UpdateService. Disk-to-mirror mirrors what the archive's plan recorded (the
// built graph image among it) and asks no server.
#pragma once

#include <filesystem>
#include <vector>

#include "ferry/mirror/collectors.h"
#include "ferry/release/update_graph.h"

namespace ferry::mirror {

struct ReleaseOptions {
  release::GraphServerOptions graphServer;
  // --include-conditional-edges: shortestPath may walk updates with known risks.
  bool includeConditionalEdges = false;
  // Release signatures (release/signature.h): the store (--release-signature-url,
  // $OCP_SIGNATURE_URL, else Red Hat's) and the keyring to verify them with
  // (--release-signature-keyring, $OCP_SIGNATURE_VERIFICATION_PK). Without a
  // keyring signatures are neither fetched nor verified (a warning says so).
  std::string signatureStoreUrl;
  std::filesystem::path signatureKeyring;
  // --ignore-release-signature: no signature is fetched or checked.
  bool ignoreSignatures = false;
  // graph: true (release/graph_image.h): the graph-data tarball (--graph-data-url, else oc-mirror's URL), the
  // base image (--graph-base-image, else oc-mirror's ubi9), and whether the mirrored release signatures go into
  // the image too (--graph-image-signatures; oc-mirror never adds them).
  std::string graphDataUrl;
  std::string graphBaseImage;
  bool graphSignatures = false;
};

// The signatures kept for a payload: <workspace>/hold-release/signatures/sha256-<hex>-<n>.
std::vector<std::filesystem::path> savedSignatures(const Workspace& workspace, const Digest& payload);
std::filesystem::path signatureFile(const Workspace& workspace, const Digest& payload, int n);

// cluster-resources/signature-configmap.json and .yaml: the
// mirrored-release-signatures ConfigMap (namespace openshift-config-managed)
// with the saved signatures of the release payloads in `payloads`; nothing
// (and any older one removed) when there are none. Returns how many it holds.
size_t writeSignatureConfigMap(const Workspace& workspace, const std::vector<Digest>& payloads);

// Where graph: true builds the graph-data image: <workspace>/graph-preparation (oc-mirror's name), an OCI
// layout holding the base image and the built one (tagged latest).
std::filesystem::path graphImageLayout(const Workspace& workspace);

// cluster-resources/updateService.yaml (oc-mirror v2's name and shape): the UpdateService that serves the
// mirrored releases (`releases`, a repository) with the graph-data image `graphImage` (by digest).
void writeUpdateService(const Workspace& workspace, const ImageReference& graphImage, const std::string& releases);

class ReleaseCollector : public ImageCollector {
 public:
  explicit ReleaseCollector(ReleaseOptions options) : options_(std::move(options)) {}
  void check(const config::ImageSetConfig& config) const override;
  void collect(const PlanningContext& context, PlanBuilder& plan) override;

 private:
  ReleaseOptions options_;
};

}  // namespace ferry::mirror
