// Operator catalog images for tests, written into a FixtureBuilder's OCI layout.
//
// Each platform image has the layers an `opm generate dockerfile` build has:
//   1. a base layer with a fake /bin/opm whose text names the platform (so it
//      differs per platform, as real base images do);
//   2. one or more configs layers (the FBC, given by the test);
//   3. a /tmp/cache layer (a fake opm cache, also per platform);
// and a config with Entrypoint ["/bin/opm"], Cmd ["serve", "/configs",
// "--cache-dir=/tmp/cache"] and the label
// operators.operatorframework.io.index.configs.v1=/configs.
//
// Layers are built here, independently of ferry's own layer writer, with any
// entries a test wants (including ones ferry must refuse), as plain, gzip or
// zstd tars. Equal arguments give equal bytes, so a configs layer shared by
// every platform is one blob.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "support/fixtures.h"

namespace ferry::testing {

// One entry of a test tar, written as given (paths are not cleaned up).
struct TarEntry {
  enum class Type { File, Directory, Symlink, Hardlink, Fifo };
  Type type = Type::File;
  std::string path;
  std::string content;  // File: its bytes; Symlink and Hardlink: the target
  int mode = -1;        // -1: 0644 for files, 0755 for directories

  static TarEntry file(std::string path, std::string content, int mode = -1);
  static TarEntry directory(std::string path, int mode = -1);
  static TarEntry symlink(std::string path, std::string target);
  static TarEntry hardlink(std::string path, std::string target);
  static TarEntry fifo(std::string path);
  // PARENT/.wh.NAME for `path` PARENT/NAME.
  static TarEntry whiteout(const std::string& path);
  // DIR/.wh..wh..opq
  static TarEntry opaqueWhiteout(const std::string& directory);
};

enum class TarCompression { None, Gzip, Zstd };

struct TarLayer {
  std::string blob;
  ferry::Digest digest;  // of blob
  ferry::Digest diffId;  // of the uncompressed tar
  std::string mediaType;
};

// A layer of `entries` in order; media type OCI (tar, tar+gzip, tar+zstd) or, with
// `docker`, Docker's rootfs.diff.tar.gzip (gzip only).
TarLayer buildTarLayer(const std::vector<TarEntry>& entries, TarCompression compression = TarCompression::Gzip,
                      bool docker = false);

// FBC files: path relative to the configs directory → content.
using FbcFiles = std::map<std::string, std::string>;

// The entries of a configs layer holding `files` under `configsDir` ("configs"), with their directories.
std::vector<TarEntry> configsEntries(const FbcFiles& files, const std::string& configsDir = "configs");

// A JSON-stream FBC of one package: the package, channel `channel` with
// `versions` in a replaces chain (the last is the head), and one bundle per
// version whose image and related image live under quay.io/ferry-test/.
std::string fbcPackage(const std::string& name, const std::vector<std::string>& versions,
                       const std::string& channel = "stable");

struct CatalogPlatform {
  Platform platform;
  std::vector<std::vector<TarEntry>> configsLayers;  // between the base layer and the cache layer
};

struct CatalogImageSpec {
  std::vector<CatalogPlatform> platforms;
  bool docker = false;  // Docker list and schema 2 manifests instead of OCI
  bool index = true;    // false (one platform only): the image manifest itself
  std::string configsLabel = "/configs";
  // When set, the config's labels instead of {configs label: configsLabel}.
  std::map<std::string, std::string> labels;
  std::vector<std::string> entrypoint = {"/bin/opm"};
  std::vector<std::string> cmd = {"serve", "/configs", "--cache-dir=/tmp/cache"};
  bool attestation = false;  // add a buildx-style attestation (unknown/unknown) for the first platform
};

// Writes the images, configs, manifests and index into the builder's layout under `tag`.
FixtureImage buildCatalogImage(FixtureBuilder& builder, const std::string& tag, const CatalogImageSpec& spec);

// The same FBC on every platform: one configs layer, the same blob everywhere.
CatalogImageSpec identicalCatalog(const FbcFiles& fbc, const std::vector<Platform>& platforms);
// A different FBC per platform.
CatalogImageSpec divergentCatalog(const std::vector<std::pair<Platform, FbcFiles>>& perPlatform);
// The FBC in two layers: `first` as a configs layer, then `second` (typically
// whiteouts of some of those files and new ones), on every platform.
CatalogImageSpec splitCatalog(const FbcFiles& first, const std::vector<TarEntry>& second,
                              const std::vector<Platform>& platforms);

// Every regular file under `root`: relative path → content (for comparing extracted trees).
std::map<std::string, std::string> filesUnder(const std::filesystem::path& root);

}  // namespace ferry::testing
