// The manifest media types ferry reads and writes, Docker's and OCI's.
#pragma once

#include <string>
#include <string_view>

namespace ferry::media {

inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1Signed = "application/vnd.docker.distribution.manifest.v1+prettyjws";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciArtifactManifest = "application/vnd.oci.artifact.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kDockerLayerGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

// Indexes (Docker manifest lists and OCI indexes) point at other manifests.
bool isIndex(std::string_view mediaType);
// Manifests point at a config and layers (or, for OCI artifacts, blobs).
bool isImageManifest(std::string_view mediaType);
bool isSchema1(std::string_view mediaType);
// The Accept header for manifest requests: every type ferry understands.
const std::string& manifestAcceptHeader();

}  // namespace ferry::media
