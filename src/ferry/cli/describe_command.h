// `ferry describe ARCHIVE`: what a mirror-to-disk archive holds — its parts,
// the runs they came from, the catalogs and images, their sizes, and the blobs
// it needs from earlier archives.
#pragma once

#include <string>

namespace ferry {

int runDescribe(const std::string& path, const std::string& output);

}  // namespace ferry
