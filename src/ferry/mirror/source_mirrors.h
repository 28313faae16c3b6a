// Where to read images from when they are not to be read from where their
// names say: `--source-mirror PREFIX=LOCATION`, as registries.conf mirrors
// work for podman and oc-mirror's enclave setups. An image whose name starts
// with PREFIX (a registry, or a registry and repository path, matched at a
// path boundary) is read from LOCATION instead:
//
//   registry.example.com/demo=mirror.local:5000/cache   another registry (the rest of the path is kept)
//   registry.example.com/demo=oci:examples/images       an OCI image layout (images found by digest, else by tag)
//
// The image keeps its name everywhere else: destination naming, mapping.txt,
// archives and cluster resources all use the original name. The longest
// matching prefix wins.
#pragma once

#include <string>
#include <vector>

#include "ferry/ref/reference.h"

namespace ferry::mirror {

struct SourceMirror {
  std::string prefix;    // "registry.example.com/demo"
  std::string location;  // "mirror.local:5000/cache" or "oci:DIR"
};

// Parses "PREFIX=LOCATION" flags; throws Error saying which flag is malformed.
std::vector<SourceMirror> parseSourceMirrors(const std::vector<std::string>& flags);

// The reference to read `image` from.
ImageReference readLocation(const ImageReference& image, const std::vector<SourceMirror>& mirrors);

}  // namespace ferry::mirror
