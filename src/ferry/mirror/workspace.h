// The working directory of `ferry mirror`, laid out as oc-mirror v2's
// (`<workspace>/working-dir/`), so users find things where they expect them:
//
//   cluster-resources/          IDMS, ITMS, CatalogSource, ClusterCatalog (ICSP on request)
//   dry-run/                    mapping.txt, missing.txt
//   logs/                       mirroring_errors_<time>.txt
//   operator-catalogs/<name>/<catalog digest hex>/
//       extracted/              the catalog image's FBC per platform variant (a cache: reused while
//                               the catalog's digest is unchanged, so a re-run reads no catalog blob)
//       filtered/<selection hash>/<variant>/configs   the filtered FBC
//       filtered/<selection hash>/layout/              the rebuilt image's new blobs and manifests
//   history/<run id>.tsv        blobs shipped in archives (history.h)
//   hold-release/cincinnati-graph-data/<arch>-<channel>.json   each update graph answer of the run (as oc-mirror)
//   hold-release/<payload digest hex>/release-manifests/        a payload's release-manifests, extracted once
//   hold-release/graph-data/    graph: true: the downloaded graph-data tarball (and its unpacking, while built)
//   graph-preparation/          graph: true: an OCI layout with the base image and the graph-data image built on it
//
// With --cache-dir, the catalog extractions live under <cache>/operator-catalogs/<name>/<digest hex>/extracted
// instead, so every workspace and archive folder of the machine reuses them; the rest stays per workspace.
#pragma once

#include <filesystem>
#include <string>

namespace ferry::mirror {

struct Workspace {
  std::filesystem::path root;   // .../working-dir
  std::filesystem::path cache;  // --cache-dir, or empty: what may be reused between workspaces

  std::filesystem::path clusterResources() const { return root / "cluster-resources"; }
  std::filesystem::path dryRun() const { return root / "dry-run"; }
  std::filesystem::path logs() const { return root / "logs"; }
  std::filesystem::path catalogs() const { return root / "operator-catalogs"; }
  std::filesystem::path history() const { return root / "history"; }
  std::filesystem::path releases() const { return root / "hold-release"; }
  std::filesystem::path graphData() const { return releases() / "cincinnati-graph-data"; }
  // Where a catalog image's FBC is extracted (keyed by the image's digest, so any run may reuse it);
  // `leaf` is "extracted", or "extracted-<platforms key>" for a selection of its platforms.
  std::filesystem::path catalogExtraction(const std::string& catalogName, const std::string& digestHex,
                                          const std::string& leaf = "extracted") const {
    return (cache.empty() ? root : cache) / "operator-catalogs" / catalogName / digestHex / leaf;
  }
};

}  // namespace ferry::mirror
