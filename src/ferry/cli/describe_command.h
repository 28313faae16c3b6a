// `ferry describe ARCHIVE`: what a mirror-to-disk archive holds — its parts,
// the runs they came from, the catalogs and images, their sizes, and the blobs
// it needs from earlier archives. A folder with parts of several runs is
// described from every run's plan (catalog packages and image kinds).
#pragma once

#include <string>

namespace ferry {

// `verify` is "full" (every member hashed against ferry/checksums.sha256, the
// default) or "quick" (see ArchiveCheck). A damaged part is an Error naming the
// part and the member, before anything is described.
int runDescribe(const std::string& path, const std::string& output, const std::string& verify = "full");

}  // namespace ferry
