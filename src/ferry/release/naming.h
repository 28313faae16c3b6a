// Where releases land at a mirror, exactly as oc-mirror v2 names them:
//
//   payload     <dest>/openshift/release-images:<release tag>
//   component   <dest>/openshift/release:<release tag>-<image-references tag name>
//
// The release tag is what Red Hat tags the payload with: "<version>-<arch>"
// for OCP (x86_64, aarch64, ppc64le, s390x, multi), the version itself for OKD,
// the tag of an explicit `release:` named by tag, and the digest's hex for one
// named by digest only.
#pragma once

#include <optional>
#include <string>

namespace ferry::release {

inline constexpr const char* kPayloadRepository = "openshift/release-images";
inline constexpr const char* kComponentRepository = "openshift/release";

// Graph architectures (amd64, arm64, ppc64le, s390x, multi) → the payload tag's
// suffix (x86_64, aarch64, ppc64le, s390x, multi). Unknown names stay as they are.
std::string payloadArchName(const std::string& arch);

// "4.18.1" + amd64 → "4.18.1-x86_64" (OCP); the version for OKD.
std::string releaseTag(const std::string& version, const std::string& arch, bool okd);

// "<releaseTag>-<component>"; throws Error (InvalidInput) when that is not a
// valid tag (at most 128 characters of [A-Za-z0-9_.-], not starting with . or -).
std::string componentTag(const std::string& releaseTag, const std::string& component);

}  // namespace ferry::release
