// Destination naming for `ferry mirror`: where each mirrored image lands in the
// destination registry, following oc-mirror v2's rules so that clusters and
// scripts written for oc-mirror find the same names.
//
//   docker://mirror.example.com:5000/ocp      the destination root: a registry
//                                            and an optional namespace path
//   quay.io/org/app:v1                   →   mirror.example.com:5000/ocp/org/app:v1
//   quay.io/org/app@sha256:<hex>         →   mirror.example.com:5000/ocp/org/app:sha256-<hex>
//   quay.io/org/app:v1@sha256:<hex>      →   mirror.example.com:5000/ocp/org/app:v1 (pulled by digest)
//   nginx (docker.io/library/nginx)      →   mirror.example.com:5000/ocp/library/nginx:latest
//
// The source registry's host is dropped; its repository path is kept whole
// (Docker Hub's "library/" included). Configuration overrides (targetRepo,
// targetCatalog, targetTag) replace the path or the tag. --max-nested-paths
// folds deep paths for registries that limit nesting. docs/destinations-and-resources.md
// has the full rules with examples.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "ferry/digest/digest.h"
#include "ferry/ref/reference.h"

namespace ferry::mirror {

// The destination of a mirror run: `docker://HOST[:PORT][/NAMESPACE]`.
struct DestinationRoot {
  std::string registry;       // "mirror.example.com:5000", "[fd00::1]:5000"
  std::string namespacePath;  // "" or "ocp/mirror"

  // Accepts the text with or without "docker://"; throws Error saying what is
  // wrong (no host, a tag or digest, an invalid host or path).
  static DestinationRoot parse(std::string_view text);
  std::string str() const;  // "docker://registry[/namespacePath]"
};

// How one image is named at the destination.
struct NamingOptions {
  // --max-nested-paths: at most this many '/'-separated components in the
  // destination repository path (namespace included); 0 leaves paths alone.
  int maxNestedPaths = 0;

  // The image is an operator catalog (its overrides are targetCatalog/targetTag,
  // and a digest-only catalog is tagged with its rebuilt digest).
  bool isCatalog = false;
  // additionalImages[].targetRepo: the repository path under the namespace.
  std::optional<std::string> targetRepo;
  // operators[].targetCatalog: the catalog's repository path under the namespace.
  std::optional<std::string> targetCatalog;
  // additionalImages[].targetTag / operators[].targetTag.
  std::optional<std::string> targetTag;
  // A catalog named by digest only: the digest of the catalog ferry rebuilt and
  // pushes (the source digest when it is pushed unchanged). Its tag is made from it.
  std::optional<Digest> rebuiltCatalogDigest;
};

// The destination of `source` under `root`. The result always has a tag and no
// digest: a digest-only source gets the tag "sha256-<hex>" and keeps its digest
// on the pull side (see pullReferenceFor). Throws Error naming the image when
// the result would not be a valid reference or an option does not fit.
ImageReference destinationFor(const ImageReference& source, const DestinationRoot& root,
                              const NamingOptions& options = {});

// What to pull for `source`: by digest when it has one (the tag dropped, as
// oc-mirror's mapping files show it), else as written.
ImageReference pullReferenceFor(const ImageReference& source);

// Whether the source names its image by digest alone (no tag). Such images are
// recorded in ImageDigestMirrorSets; images named by tag in ImageTagMirrorSets.
bool namedByDigestOnly(const ImageReference& source);

// The tag oc-mirror gives an image known only by digest: "sha256-<hex>", cut to
// the 128 characters a tag may have.
std::string digestTag(const Digest& digest);

// Folds `path` so it has at most `maxComponents` components: the first
// maxComponents-1 stay, the rest are joined with '-' into the last one.
// "a/b/c/d" with 2 → "a/b-c-d". 0 returns the path unchanged.
std::string flattenPath(std::string_view path, int maxComponents);

}  // namespace ferry::mirror
