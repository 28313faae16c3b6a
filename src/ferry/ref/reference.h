// Image references: where an image lives and which version of it is meant.
//
//   docker://HOST[:PORT]/PATH[:TAG][@DIGEST]   an image in a registry
//   HOST/PATH:TAG, PATH:TAG, nginx             the same without the scheme, as docker pull reads it
//   oci://DIR[:TAG][@DIGEST], oci:DIR[:TAG]    an image in an OCI image layout directory
//   oci-archive:FILE[:TAG][@DIGEST]            the same layout as one tar file (skopeo's oci-archive:)
//   docker-archive:FILE[:NAME:TAG | :@N]       a `docker save` tar; NAME:TAG picks one of its RepoTags,
//                                              @N the N-th image (from 0), as skopeo reads them
//   dir:DIR                                    skopeo's dir: format (manifest.json, version, blobs by hex)
//
// Any other "TRANSPORT:" or "SCHEME://" prefix that names a transport of the
// containers tools (containers-storage:, docker-daemon:, ...) is refused with
// the list of transports ferry knows.
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

enum class Transport { Registry, Layout, OciArchive, DockerArchive, Directory };

// "docker", "oci", "oci-archive", "docker-archive", "dir": the prefix a reference of the transport starts with.
std::string_view transportName(Transport transport);
// The transports ferry reads and writes, for messages: "docker://, oci:, oci-archive:, docker-archive:, dir:".
std::string_view knownTransports();

struct ImageReference {
  Transport transport = Transport::Registry;

  // Registry references: "docker.io", "quay.io", "127.0.0.1:5000", "[::1]:5000".
  std::string registry;
  // Registry references: "library/nginx", "org/team/app".
  std::string repository;
  // Local references (every transport but Registry): the layout directory,
  // the archive file, or the dir: directory.
  std::filesystem::path layoutPath;
  // docker-archive references: the image in the archive, by one of its RepoTags
  // (normalised: "docker.io/library/busybox:latest") or by position.
  std::optional<std::string> archiveName;
  std::optional<size_t> archiveIndex;

  std::optional<std::string> tag;
  std::optional<Digest> digest;

  // Throws Error quoting `text` and saying what is wrong.
  static ImageReference parse(std::string_view text);

  // The host:port to send API requests to (Docker Hub's API is on registry-1.docker.io).
  std::string apiHost() const;
  // What to ask the source for: the digest when there is one, else the tag, else "latest".
  std::string manifestReference() const;
  // Whether the image lives in local files (anything but a registry).
  bool isLocal() const { return transport != Transport::Registry; }
  // "docker://registry/repository:tag@digest" or "oci:path:tag", parseable again.
  std::string str() const;
  // Registry and repository, or "TRANSPORT:PATH" of a local reference: where blobs are shared.
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
