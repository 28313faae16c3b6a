// An operator catalog image, read platform by platform.
//
// A catalog image is a single image or an index (Docker list or OCI index,
// possibly nested) of per-platform images, each with the label
// operators.operatorframework.io.index.configs.v1 naming the directory that
// holds its File-Based Catalog (usually /configs). Multi-arch catalogs are
// expected to carry the same FBC on every platform, but nothing guarantees it,
// so every platform is read:
//
//   - each layer is read at most once per catalog directory to learn whether it
//     touches that directory at all (most do not: base image, opm binary,
//     /tmp/cache), stopping at the first entry that does;
//   - the layers that touch it, in order, decide its content: platforms with
//     the same such layers share one extraction, so a catalog whose configs
//     layer is the same blob on every platform is extracted once;
//   - otherwise the directory is extracted (see layer_extract.h) into
//     WORK/<content key>/, and platforms whose extracted content is the same
//     file for file share one variant too;
//   - each variant is loaded once with loadCatalog.
// Attestation manifests (platform unknown/unknown) and other non-images in the
// index are skipped, as the copy engine's platform filter does. A platform comes
// from the index entry, else the image config, else linux/amd64 (with a warning).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ferry/fbc/fbc.h"
#include "ferry/transport/image_graph.h"
#include "ferry/oci/platform.h"
#include "ferry/ref/reference.h"

namespace ferry::catalog {

inline constexpr const char* kConfigsLabel = "operators.operatorframework.io.index.configs.v1";
inline constexpr const char* kSqliteLabel = "operators.operatorframework.io.index.database.v1";

struct PlatformCatalog {
  Platform platform;
  Digest manifestDigest;
  Digest configDigest;
  std::string configsDir;  // the label's directory, normalised: "/configs"
  size_t variant = 0;      // index into CatalogImage::variants
};

// One distinct catalog content, shared by one or more platforms.
struct CatalogVariant {
  std::string contentKey;            // directoryContentKey of the extracted directory
  std::filesystem::path directory;   // WORK/<contentKey>: the extracted configs directory
  Catalog catalog;
  std::vector<size_t> platforms;     // indexes into CatalogImage::platforms
};

struct CatalogImage {
  std::string reference;  // as given, for messages
  ImageGraph graph;
  std::vector<PlatformCatalog> platforms;  // in index order (depth first), one per distinct image manifest
  std::vector<CatalogVariant> variants;
  // How many times layers were extracted into a directory (at most one per distinct set of configs layers).
  int extractions = 0;
  std::vector<std::string> warnings;
};

// Reads every platform's catalog of the image `reference` names in `source`,
// extracting under `work` (created if needed; extracted directories are named
// by content, so a later run reuses the names). Throws Error naming the image
// and platform: not a catalog image (no label), a sqlite catalog, a refused
// layer entry, a blob that does not match its digest, an FBC that does not load.
// With `only` set, just the platforms it names are read (the others' layers are
// never fetched) and CatalogImage::platforms lists just those; an image with
// none of them is an error that lists the platforms it has. A single-image
// catalog (no index) is read whatever `only` says.
CatalogImage readCatalogImage(ImageSource& source, const ImageReference& reference, const std::filesystem::path& work,
                              const std::vector<Platform>& only = {});

}  // namespace ferry::catalog
