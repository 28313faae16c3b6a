// OpenShift release payloads for tests, built by the test code (no oc, no
// real payload): component images, and payload images whose top layer holds
// release-manifests/ (image-references naming the components by digest,
// release-metadata, one operator manifest), as `oc adm release new` lays them out.
//
//   single-arch payload   an OCI manifest (linux/<arch>), components single images
//   multi payload         an OCI index of linux/amd64 and linux/arm64 payload
//                         images sharing one release-manifests layer; its
//                         components are indexes of the same two platforms
//
// A ReleaseWorld writes them for a list of versions into a layout, named as if
// they lived at a registry, and can push them there: payloads to
// openshift-release-dev/ocp-release:<version>-<x86_64|multi>, components by digest to
// openshift-release-dev/ocp-v4.0-art-dev. One component in three changes with each
// version; the others are the same images in every version (as in real releases).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "support/fixtures.h"
#include "support/test_registry.h"
#include "support/update_graph_server.h"

namespace ferry::testing {

struct ReleaseWorldSpec {
  std::vector<std::string> versions;          // "4.17.0", …
  int components = 24;                        // per payload
  std::vector<std::string> arches = {"amd64"};  // "amd64", "arm64", "multi"
  // Versions whose payloads get a cosign signature tag sha256-<hex>.sig (a simplesigning artifact).
  std::vector<std::string> cosignSigned;
  // Payloads carry 0000_50_installer_coreos-bootimages.yaml naming a kubevirt container disk image for
  // x86_64 and s390x (pushed with the components).
  bool kubeVirt = false;
  // Benchmarks: single-arch payloads get components of their own architecture (linux/<arch>, as real
  // releases), all on one base layer per architecture; otherwise every single-arch payload shares the
  // linux/amd64 components.
  bool perArchComponents = false;
};

struct BuiltRelease {
  std::string version;
  std::string arch;
  std::string tag;      // "4.18.1-x86_64"
  std::string payload;  // "<registry>/openshift-release-dev/ocp-release@sha256:…"
  FixtureImage image;
  std::vector<std::pair<std::string, std::string>> components;  // name → pull spec by digest
  std::optional<FixtureImage> cosign;  // the sha256-<hex>.sig artifact, when signed
  std::map<std::string, std::string> kubeVirt;  // CoreOS arch → the container disk's pull spec
};

struct ReleaseLayout {
  struct Image {
    FixtureImage image;
    std::string repository;
    std::string tag;  // empty: pushed by digest
  };
  std::vector<Image> images;  // components first, then payloads
  std::vector<BuiltRelease> releases;
};

// Writes the releases of `spec` into `layoutDir`, named as living at `registryName`.
ReleaseLayout buildReleaseLayout(const std::filesystem::path& layoutDir, const std::string& registryName,
                                 const ReleaseWorldSpec& spec);

class ReleaseWorld {
 public:
  // Builds the layout under `work` and pushes every image to `source`.
  ReleaseWorld(const TestRegistry& source, const std::filesystem::path& work, ReleaseWorldSpec spec);

  const BuiltRelease& release(const std::string& version, const std::string& arch = "amd64") const;
  const std::vector<BuiltRelease>& releases() const { return layout_.releases; }
  // Every distinct component pull spec of the given releases.
  std::vector<std::string> componentImages(const std::vector<const BuiltRelease*>& releases) const;
  // A graph with every release in `channels[version]` (by arch), and `edges` between versions.
  FakeGraph graph(const std::map<std::string, std::vector<std::string>>& channels,
                  const std::vector<std::pair<std::string, std::string>>& edges,
                  const std::vector<std::pair<std::string, std::string>>& conditionalEdges = {}) const;

 private:
  ReleaseLayout layout_;
};

}  // namespace ferry::testing
