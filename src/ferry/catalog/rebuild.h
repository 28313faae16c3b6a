// Rebuilding a catalog image around a filtered catalog, platform by platform.
//
// Every platform image of the original keeps all its layers and gets two more:
//   1. a whiteout layer: `.wh.<configs>` at the configs directory's parent, and
//      the same for the opm cache directory: the one `--cache-dir` names in the
//      config's Entrypoint or Cmd, and /tmp/cache (where `opm generate
//      dockerfile` puts it) in any case. A cache built for the unfiltered
//      catalog would not match the new one: `opm serve` refuses it ("cache
//      requires rebuild") or silently serves stale content;
//   2. the filtered FBC at the configs path: directories 0755, files 0644,
//      owner 0:0, time 0, sorted, gzip without name or time (layer_writer.h).
// Two layers, not one: in one layer the whiteout and the new files would be
// "in the same layer", which the OCI spec allows, but extractors that read
// layers top-down (go-containerregistry's mutate.Extract, used by oc-mirror)
// drop files that a same-layer whiteout names. oc-mirror does the same.
//
// The config gets the two diff_ids and two history entries (created = the
// image's own `created`, else the epoch; created_by "ferry: filtered catalog");
// an Entrypoint or Cmd that runs `opm serve` is rewritten to serve the configs
// directory without --cache-dir, --cache-only and --cache-enforce-integrity (so
// the usual Cmd becomes ["serve", "/configs"]); Entrypoint otherwise and all
// labels are kept. Layer media types follow the manifest: Docker
// rootfs.diff.tar.gzip in a Docker schema 2 manifest, OCI tar+gzip otherwise.
//
// Indexes keep their format (Docker list or OCI index), their order and each
// child's platform (filled in from the platform read when the entry had none);
// nested indexes are rebuilt the same way. Attestation manifests and other
// children that are not platform images are dropped: they describe the
// original images, whose digests the rebuilt ones do not have. A single-image
// catalog stays a single image.
//
// Everything is deterministic: the same catalog image and filtered catalogs
// give the same bytes and digests, so a re-run pushes nothing.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ferry/catalog/catalog_image.h"
#include "ferry/layout/oci_layout.h"

namespace ferry::catalog {

struct RebuildOptions {
  // Tag for the rebuilt image in the output layout's index.json (none: listed by digest).
  std::optional<std::string> tag;
};

struct RebuiltCatalog {
  RawManifest top;  // the new index, or the new manifest of a single-image catalog
  std::vector<std::string> warnings;
};

// `filteredDirs[v]` is the filtered FBC (as writeCatalog writes it) for
// image.variants[v]. `original` is where the catalog image was read; `out`
// receives only what is new (layers, configs, manifests, indexes); the
// original's layers stay where they are (see transport/overlay_source.h for
// pushing the result). Throws Error naming the image and platform.
RebuiltCatalog rebuildCatalogImage(const CatalogImage& image, const std::vector<std::filesystem::path>& filteredDirs,
                                   ImageSource& original, OciLayout& out, const RebuildOptions& options = {});

// What a container runs: the image config's Entrypoint and Cmd.
struct ContainerCommand {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  bool operator==(const ContainerCommand&) const = default;
};

// The directories `--cache-dir` names in Entrypoint + Cmd, as normalised image
// paths without the leading slash ("tmp/cache"); relative ones are taken from `workingDir`.
std::vector<std::string> opmCacheDirectories(const ContainerCommand& command, const std::string& workingDir);

// The command with its `serve` (the first argument "serve" of Entrypoint + Cmd)
// serving `configsDir` without --cache-dir, --cache-only and
// --cache-enforce-integrity; other serve flags are kept. When `serve` is in Cmd,
// Entrypoint is unchanged; when it is in Entrypoint, everything after it goes
// there and Cmd is emptied. nullopt when nothing runs `serve`.
std::optional<ContainerCommand> serveWithoutCache(const ContainerCommand& command, const std::string& configsDir);

}  // namespace ferry::catalog
