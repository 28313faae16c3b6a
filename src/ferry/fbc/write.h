// Writing a catalog as opm does: one `<package>/catalog.json` per package,
// objects in a fixed order (package, channels by name, bundles by name, other
// schemas by schema, deprecations), catalog-level objects in `catalog.json`
// at the root. The output is a JSON stream loadable by opm and by ferry, and
// the same catalog always gives the same bytes.
#pragma once

#include <filesystem>
#include <string>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

// Writes `catalog` under `root` (created; must be empty or absent).
void writeCatalog(const Catalog& catalog, const std::filesystem::path& root);

// The JSON text of one object as ferry writes it (4-space indent, like opm).
std::string channelJson(const Channel& channel);
std::string packageJson(const Package& package);
std::string deprecationJson(const Deprecation& deprecation);

}  // namespace ferry::catalog
