// What a user asks to keep from a catalog: one `mirror.operators[]` entry of
// an ImageSetConfiguration, less the image naming fields (targetCatalog,
// targetTag), which are the planner's business. The config loader fills this
// struct; the filter (filter.h) reads it. docs/catalog-filtering.md states the
// rules.
#pragma once

#include <string>
#include <vector>

namespace ferry::catalog {

struct ChannelSelection {
  std::string name;
  std::string minVersion;  // empty: no bound
  std::string maxVersion;
  std::string minBundle;   // v1alpha2 only: a bundle name standing for its version as minVersion
};

struct PackageSelection {
  std::string name;
  std::string defaultChannel;  // the new default when the catalog's default does not survive
  std::string minVersion;
  std::string maxVersion;
  std::string minBundle;       // v1alpha2 only
  std::vector<ChannelSelection> channels;  // empty: every channel of the package
};

struct CatalogSelection {
  bool full = false;              // every bundle of what is selected, not just channel heads
  bool skipDependencies = false;  // do not add the bundles that kept bundles require
  // oc-mirror v1 (v1alpha2) semantics: with `full`, a package or channel that has
  // a version range keeps that range rather than every bundle; v2alpha1 refuses the mix.
  bool rangesWithinFull = false;
  std::vector<PackageSelection> packages;  // empty: every package

  // `full` with no packages: the catalog is mirrored as it is, not filtered or rebuilt.
  bool keepsWholeCatalog() const { return full && packages.empty(); }
};

}  // namespace ferry::catalog
