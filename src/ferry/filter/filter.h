// Keeps from a catalog what a CatalogSelection asks for, with the rules in
// docs/catalog-filtering.md: channel heads by default, whole channels with
// `full`, version ranges that keep an upgradeable path, the default channel
// resolved or an error that says to set it, deprecations pruned, and the
// bundles kept bundles depend on (olm.package.required, olm.gvk.required)
// added unless skipDependencies.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "ferry/fbc/fbc.h"
#include "ferry/filter/selection.h"

namespace ferry::catalog {

struct FilterResult {
  Catalog catalog;
  // One line per bundle added to satisfy a dependency: which, for whom, why.
  std::vector<std::string> dependencyNotes;
  // Other things the user should know (a requested package or channel that
  // does not exist, an out-of-range bundle kept to connect a path).
  std::vector<std::string> warnings;
  // Failures of single operators that do not stop the others (a requested
  // package the catalog does not have, with the nearest name it has).
  std::vector<std::string> errors;
};

// Throws ferry::Error (naming the package and channel, and the fix) when the
// selection cannot be satisfied. The result passes validateCatalog.
FilterResult filterCatalog(const Catalog& catalog, const CatalogSelection& selection);

// `catalog` without the packages in `dropped` and everything that belongs to
// them (channels, bundles, deprecations, their other objects); catalog-level
// objects stay. How an operator whose images failed is left out of a mirror.
Catalog withoutPackages(const Catalog& catalog, const std::set<std::string>& dropped);

// Every image the bundles of `catalog` need: each bundle's image plus its
// relatedImages, de-duplicated, sorted.
std::vector<std::string> relatedImages(const Catalog& catalog);

}  // namespace ferry::catalog
