// Catalog images read once per digest. Reading a catalog image means
// downloading layers; its extracted FBC is kept in the workspace under the
// image's digest, with a small record of which platform holds which variant,
// so a re-run with an unchanged catalog reads only its manifests.
#pragma once

#include <filesystem>

#include "ferry/catalog/catalog_image.h"

namespace ferry::mirror {

// readCatalogImage, or the record a previous run left in `work` for the same top digest.
// `only`: read just those platforms (readCatalogImage); `work` must be the selection's own.
catalog::CatalogImage readCatalogCached(ImageSource& source, const ImageReference& reference, const RawManifest& top,
                                        const std::filesystem::path& work, const std::vector<Platform>& only = {});

}  // namespace ferry::mirror
