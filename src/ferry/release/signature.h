// Release signatures: the GPG "atomic container signature" Red Hat publishes
// for each payload digest, fetched from a signature store and verified as the
// cluster (library-go) verifies it.
//
//   GET <store>/sha256=<hex>/signature-1, -2, … (until a 404; at most kMaxSignatures)
//
// Each is an OpenPGP signed message whose literal data is
//   {"critical":{"type":"atomic container signature",
//                "image":{"docker-manifest-digest":"sha256:<hex>"},
//                "identity":{"docker-reference":"quay.io/…/ocp-release:4.18.1-x86_64"}},
//    "optional":{"creator":…,"timestamp":…}}
// and is verified with gpgv against a keyring: the signature must be good and
// unexpired (gpgv's VALIDSIG), the type exact, the signed digest the payload's,
// the identity set. oc-mirror skips the digest check; ferry does not.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "ferry/digest/digest.h"
#include "ferry/http/retry.h"

namespace ferry::release {

inline constexpr const char* kSignatureStoreUrl =
    "https://mirror.openshift.com/pub/openshift-v4/signatures/openshift/release/";
inline constexpr const char* kSignatureUrlVariable = "OCP_SIGNATURE_URL";
inline constexpr const char* kSignatureKeyVariable = "OCP_SIGNATURE_VERIFICATION_PK";
// Bounds (docs/limits.md), as library-go's store: 50 KiB a signature, signature-1..9.
inline constexpr int64_t kMaxSignatureBytes = 50 << 10;
inline constexpr int kMaxSignatures = 9;

// The signatures the store holds for `digest` (raw bytes, in order); empty
// when it has none (signature-1 answers 404). Throws Error naming the URL when
// the store cannot be read.
std::vector<std::string> fetchSignatures(RetryingHttpClient& http, const std::string& storeUrl, const Digest& digest);

struct VerifiedSignature {
  std::string dockerReference;  // critical.identity.docker-reference
  std::string fingerprint;      // the key that signed it
};

// Verifies one signature of `digest` with gpgv against `keyring` (armored or
// binary); throws Error (kind Integrity) saying which check failed: the
// signature (bad, expired, or by a key not in the keyring), its type, the
// digest it signs, its identity. `where` names the signature in messages.
VerifiedSignature verifySignature(const std::string& signature, const std::filesystem::path& keyring,
                                  const Digest& digest, const std::string& where);

}  // namespace ferry::release
