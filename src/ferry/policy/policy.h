// Signature policy, as the containers tools (skopeo, podman, CRI-O) define it:
// containers-policy.json(5) says which images are accepted, and
// containers-registries.d(5) where their signatures are kept.
//
//   {"default": [{"type": "reject"}],
//    "transports": {"docker": {
//       "quay.io/team":  [{"type": "sigstoreSigned", "keyPath": "/etc/keys/team.pub"}],
//       "registry.example/app": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/keys/app.gpg"}],
//       "": [{"type": "insecureAcceptAnything"}]}}}
//
// Scopes: for a registry image (transport "docker") the most specific one
// wins, as containers/image chooses: "host/repo:tag" (or "host/repo@digest"),
// then "host/repo", its parent namespaces, "host", the wildcards "*.domain" of
// the host, then the transport's "" scope, then "default". Every rule of the
// chosen scope must accept the image:
//   insecureAcceptAnything   accepts
//   reject                   refuses
//   signedBy                 a GPG simple signature ("atomic container signature")
//                            from the lookaside location registries.d names for
//                            the image, verified with gpgv against keyPath /
//                            keyPaths / keyData (keyType GPGKeys)
//   sigstoreSigned           a cosign signature: a layer of the sha256-<hex>.sig
//                            tag (a simple-signing payload, its base64 signature
//                            in the annotation dev.cosignproject.cosign/signature)
//                            verified with keyPath / keyPaths / keyData (PEM
//                            public keys: ECDSA, RSA, Ed25519); keyless (fulcio,
//                            rekorPublicKey*) is refused with the reason
//   signedBaseLayer          refused: not implemented (as in containers/image)
// A signature counts when its payload names the image's manifest digest
// (critical.image.docker-manifest-digest) and an identity
// (critical.identity.docker-reference) that signedIdentity accepts:
// matchRepoDigestOrExact (default), matchRepository, matchExact,
// exactReference, exactRepository, remapIdentity.
//
// Errors in the files name file:line and the field; a refused image names the
// rule (type and file:line) and the scope that chose it (docs/signatures.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ferry/http/retry.h"
#include "ferry/oci/manifest.h"
#include "ferry/ref/reference.h"

namespace ferry {
class ImageSource;
}

namespace ferry::policy {

// Bounds (docs/limits.md).
inline constexpr int64_t kMaxPolicyFileBytes = 1 << 20;       // policy.json, and each registries.d file
inline constexpr int kMaxRegistriesDirectoryFiles = 1000;     // *.yaml in a registries.d folder
inline constexpr int kMaxLookasideSignatures = 16;            // signature-1 … signature-16 per image
inline constexpr int64_t kMaxLookasideSignatureBytes = 4 << 20;
inline constexpr int kMaxSigstoreSignatures = 64;             // layers of one .sig manifest

enum class IdentityMatch { MatchRepoDigestOrExact, MatchRepository, MatchExact, ExactReference, ExactRepository, RemapIdentity };

struct SignedIdentity {
  IdentityMatch match = IdentityMatch::MatchRepoDigestOrExact;
  std::string dockerReference;   // exactReference
  std::string dockerRepository;  // exactRepository
  std::string prefix, signedPrefix;  // remapIdentity
};

enum class RuleType { InsecureAcceptAnything, Reject, SignedBy, SigstoreSigned, SignedBaseLayer };

// "insecureAcceptAnything", "signedBy", ...
std::string_view ruleTypeName(RuleType type);

struct Rule {
  RuleType type = RuleType::Reject;
  std::string where;  // "policy.json:12"
  // signedBy: the keys' binary OpenPGP packets, and what they are called in messages.
  std::string keyring;
  std::string keyringName;
  // sigstoreSigned: PEM public keys, each with its name (the file, or "keyData").
  std::vector<std::pair<std::string, std::string>> publicKeys;
  // sigstoreSigned without a usable key: why it refuses every image (keyless, Rekor).
  std::string unusable;
  SignedIdentity identity;
};

struct Policy {
  std::string file;  // for messages
  std::vector<Rule> defaults;
  std::string defaultsWhere;
  // transport → scope → rules ("" is the transport's default scope).
  std::map<std::string, std::map<std::string, std::vector<Rule>>> transports;
  std::map<std::string, std::map<std::string, std::string>> scopeWhere;
};

// Parses policy.json text; `name` names it in errors ("policy.json:7: ...").
// Key files (keyPath, keyPaths) are read now, as given (relative to the
// working directory, as containers/image reads them). Throws Error
// (InvalidInput) naming the line and the field.
Policy parsePolicy(std::string_view text, const std::string& name);
Policy loadPolicy(const std::filesystem::path& file);

// Where containers tools look for policy.json: $HOME/.config/containers/policy.json,
// else /etc/containers/policy.json; nullopt when neither exists.
std::optional<std::filesystem::path> defaultPolicyFile();

// registries.d: per docker scope, where simple signatures are kept (lookaside)
// and whether cosign attachments are read (use-sigstore-attachments).
struct SignatureStorage {
  std::string lookaside;
  std::optional<bool> useSigstoreAttachments;
  std::string where;  // "registries.d/app.yaml:3"
};

struct RegistriesDirectory {
  std::optional<SignatureStorage> defaultDocker;
  std::map<std::string, SignatureStorage> docker;
  std::vector<std::filesystem::path> directories;  // what was read, for messages

  // Reads every *.yaml of `directory` (none when it does not exist); a scope
  // named by two files is an error, as in containers/image.
  static RegistriesDirectory load(const std::filesystem::path& directory);
  // Adds one file's text; throws Error (InvalidInput) naming name:line.
  void add(std::string_view text, const std::string& name);

  // The lookaside base URL for the image (most specific scope with one), "" if none.
  std::string lookasideFor(const ImageReference& image) const;
  // use-sigstore-attachments for the image's most specific scope that sets it;
  // true when none does (ferry copies .sig tags by default, as oc-mirror
  // configures it for its sources — docs/signatures.md).
  bool sigstoreAttachmentsFor(const ImageReference& image) const;
};

// $HOME/.config/containers/registries.d when it exists, else /etc/containers/registries.d.
std::filesystem::path defaultRegistriesDirectory();

// The scopes containers/image tries for a registry image, most specific first
// (without the transport's "" scope): "host/repo:tag", "host/repo", "host/ns", "host", "*.domain".
std::vector<std::string> dockerScopes(const ImageReference& image);

// The simple-signing payload's checks (both GPG and sigstore signatures carry
// one): the digest must be `digest`, the identity one `identity` accepts for
// `image`. Returns "" when it is accepted, else why not. `type` is the
// expected critical.type ("atomic container signature" for GPG, "cosign
// container image signature" for sigstore).
std::string payloadProblem(const std::string& payload, const std::string& type, const Digest& digest,
                           const ImageReference& image, const SignedIdentity& identity);

// Whether `signature` (raw bytes) over `payload` verifies with the PEM public
// key `pem` (ECDSA with SHA-256 DER signatures, RSA PKCS#1 v1.5 with SHA-256,
// Ed25519). Throws Error (InvalidInput) naming `keyName` when the key cannot be read.
bool verifyWithPublicKey(const std::string& pem, const std::string& keyName, const std::string& payload,
                         const std::string& signature);

class PolicyChecker {
 public:
  PolicyChecker(Policy policy, RegistriesDirectory registriesD, RetryingHttpClientOptions http = {});
  ~PolicyChecker();

  // The rules for `image` and the scope that chose them ("docker scope \"quay.io/team\"").
  struct Chosen {
    const std::vector<Rule>* rules = nullptr;
    std::string scope;
  };
  Chosen rulesFor(const ImageReference& image) const;

  // Checks `image` (whose top manifest, as read from `source`, is `top`)
  // against the policy; signatures are read from `source` (the .sig tag) and
  // from its lookaside location. Throws Error of kind Integrity saying which
  // rule of which scope refused it and why. Safe to call from several threads.
  void check(const ImageReference& image, ImageSource& source, const RawManifest& top) const;

  const Policy& policy() const { return policy_; }

 private:
  std::string checkRule(const Rule& rule, const ImageReference& image, ImageSource& source,
                        const RawManifest& top) const;
  std::vector<std::string> lookasideSignatures(const ImageReference& image, const Digest& digest,
                                               std::string& problem) const;

  Policy policy_;
  RegistriesDirectory registriesD_;
  std::unique_ptr<RetryingHttpClient> http_;
};

}  // namespace ferry::policy
