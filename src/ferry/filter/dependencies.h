// Dependency resolution: adding to a filtered catalog the bundles its kept
// bundles require, so OLM can install what was mirrored (oc-mirror v1's
// behaviour; oc-mirror v2 does not do it).
//
// Breadth first over the kept bundles' olm.package.required (a package within
// a blang version range; empty range: any version) and olm.gvk.required (an
// API some bundle provides with olm.gvk). A requirement a kept bundle already
// meets is left alone. Otherwise a bundle of the original catalog that meets
// it is added, picked as OLM picks: one in its package's default channel
// first, then a released version over a prerelease, then the newest; it comes
// with its upgrade path to the head of its channel (upgrade_path.h),
// and the added bundles' own requirements are resolved in turn. A requirement
// nothing meets is a warning, not an error: OLM reports it on the cluster.
#pragma once

#include <string>
#include <vector>

#include "ferry/filter/catalog_index.h"

namespace ferry::catalog {

// Grows `kept` with the dependencies of the bundles it keeps. For a package
// that was not kept at all, sets its default channel: the catalog's when the
// added bundles are in it, else the channel they are in (with a note and a
// warning: the package's default changes for everyone who installs it).
// Appends one note per added bundle ("added etcd.v0.9.4 (package etcd, channel
// alpha): required by foo.v1.2.0 (olm.package.required etcd >=0.9.0)") and
// one warning per requirement that cannot be met.
void addDependencies(const CatalogIndex& index, KeptEntries& kept, std::vector<std::string>& notes,
                     std::vector<std::string>& warnings);

}  // namespace ferry::catalog
