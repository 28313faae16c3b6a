// What `ferry list operators` shows of a catalog: packages with their default
// channel, channels with their heads, and each channel's bundles with their
// versions; and, for a multi-arch catalog whose platforms carry different
// catalogs, what differs between two of them.
#pragma once

#include <string>
#include <vector>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

struct BundleListing {
  std::string name;
  std::string version;
};

struct ChannelListing {
  std::string name;
  std::string head;  // "" when the channel has no single head (an invalid catalog)
  std::vector<BundleListing> bundles;  // newest version first
};

struct PackageListing {
  std::string name;
  std::string defaultChannel;
  std::vector<ChannelListing> channels;  // by name
};

// Every package, sorted by name.
std::vector<PackageListing> listPackages(const Catalog& catalog);

// One line per difference between two catalogs, e.g.
//   package "foo": only in linux/amd64
//   package "foo", channel "stable": head foo.v1.2.0 on linux/amd64, foo.v1.1.0 on linux/s390x
//   package "foo", channel "stable": bundles only on linux/amd64: foo.v1.2.0
std::vector<std::string> catalogDifferences(const std::vector<PackageListing>& first, const std::string& firstName,
                                            const std::vector<PackageListing>& second, const std::string& secondName);

}  // namespace ferry::catalog
