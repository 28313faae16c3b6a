// Image references: where an image lives and which version of it is meant.
//
//   docker://HOST[:PORT]/PATH[:TAG][@DIGEST]   an image in a registry
//   HOST/PATH:TAG, PATH:TAG, nginx             the same without the scheme, as docker pull reads it
//   oci://DIR[:TAG][@DIGEST], oci:DIR[:TAG]    an image in an OCI image layout directory
//
// Registry references are normalised the way Docker does: no host means Docker
// Hub ("docker.io"), whose single-component names live under "library/", and
// whose API is served from registry-1.docker.io. A reference may carry a tag
// and a digest together: the image is pulled by digest, and the tag is kept for
// naming the destination.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/digest/digest.h"

namespace ferry {

enum class Transport { Registry, Layout };

struct ImageReference {
  Transport transport = Transport::Registry;

  // Registry references: "docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000".
  std::string registry;
  // Registry references: "library/nginx", "org/team/app".
  std::string repository;
  // Layout references: the layout directory.
  std::filesystem::path layoutPath;

  std::optional<std::string> tag;
  std::optional<Digest> digest;

  // Throws Error quoting `text` and saying what is wrong.
  static ImageReference parse(std::string_view text);

  // The host:port to send API requests to (Docker Hub's API is on registry-1.docker.io).
  std::string apiHost() const;
  // What to ask the source for: the digest when there is one, else the tag, else "latest".
  std::string manifestReference() const;
  // "docker://registry/repository:tag@digest" or "oci:path:tag", parseable again.
  std::string str() const;
  // Registry and repository, or the layout path: where blobs are shared.
  std::string location() const;
  // The same image location with another tag and no digest.
  ImageReference withTag(std::optional<std::string> newTag) const;

  bool operator==(const ImageReference&) const = default;
};

// Tag syntax shared by registries and layouts: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool isValidTag(std::string_view tag);
// Repository path syntax of the distribution spec: lowercase components separated by '/'.
bool isValidRepository(std::string_view repository);

}  // namespace ferry
