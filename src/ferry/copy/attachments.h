// What travels with an image: the artifacts that point at its manifests and
// that registries without the OCI 1.1 referrers API keep under tags named for
// the manifest they point at —
//
//   sha256-<hex>                the referrers tag schema's fallback index (OCI
//                               distribution spec): an index of the referrers
//                               (signatures, SBOMs, attestations) of sha256:<hex>
//   sha256-<hex>.sig .att .sbom cosign's signature, attestation and SBOM tags
//
// The copy engine lists each source repository's tags once and copies these
// tags after their subject (CopyOptions::attachments), digest for digest, so a
// signature still names the digest it signs. Nested: a referrer's own
// attachments follow it, kMaxAttachmentDepth levels deep.
#pragma once

#include <string>
#include <vector>

#include "ferry/digest/digest.h"

namespace ferry {

inline constexpr int kMaxAttachmentDepth = 4;

// The tags of `tags` that attach something to one of `subjects`, in the order of `tags`.
std::vector<std::string> attachmentTagsFor(const std::vector<std::string>& tags, const std::vector<Digest>& subjects);

}  // namespace ferry
