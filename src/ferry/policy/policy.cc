#include "ferry/policy/policy.h"

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/policy/gpgv.h"
#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_graph.h"
#include "ferry/transport/image_store.h"

namespace ferry::policy {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCosignSignatureAnnotation = "dev.cosignproject.cosign/signature";
constexpr const char* kSimpleSigningType = "application/vnd.dev.cosign.simplesigning.v1+json";
constexpr const char* kGpgSignatureType = "atomic container signature";
constexpr const char* kSigstoreSignatureType = "cosign container image signature";

// A docker reference reduced to what identities compare: "host/repo", tag, digest.
struct Identity {
  std::string name;
  std::optional<std::string> tag;
  std::optional<Digest> digest;
};

Identity identityOf(const ImageReference& image) {
  return {image.registry + "/" + image.repository, image.tag, image.digest};
}

std::optional<Identity> parseIdentity(const std::string& text) {
  try {
    if (text.find("://") != std::string::npos) return std::nullopt;
    auto parsed = ImageReference::parse(text);
    if (parsed.isLocal()) return std::nullopt;
    return identityOf(parsed);
  } catch (const Error&) {
    return std::nullopt;
  }
}

// "host/repo" with its registry normalised as references are ("busybox" → "docker.io/library/busybox").
std::string normalizedName(const std::string& text) {
  auto parsed = parseIdentity(text);
  return parsed ? parsed->name : text;
}

bool exactlyEqual(const Identity& a, const Identity& b) {
  if (!a.tag && !a.digest) return false;
  return a.name == b.name && a.tag == b.tag && a.digest == b.digest;
}

// matchRepoDigestOrExact: an image by digest takes any signature of its repository; by tag, that exact tag.
bool repoDigestOrExact(const Identity& image, const Identity& signature) {
  if (image.digest) return signature.name == image.name;
  Identity wanted = image;
  if (!wanted.tag) wanted.tag = "latest";
  return exactlyEqual(wanted, signature);
}

std::string describeIdentity(const Identity& identity) {
  return identity.name + (identity.tag ? ":" + *identity.tag : "") + (identity.digest ? "@" + identity.digest->str() : "");
}

std::string identityProblem(const ImageReference& image, const SignedIdentity& rule, const std::string& signedText) {
  auto signature = parseIdentity(signedText);
  if (!signature) return fmt::format("its identity '{}' is not a docker reference", signedText);
  bool docker = !image.isLocal();
  std::optional<Identity> intended;
  if (docker) intended = identityOf(image);
  bool ok = false;
  std::string wanted;
  switch (rule.match) {
    case IdentityMatch::MatchRepoDigestOrExact:
      ok = intended && repoDigestOrExact(*intended, *signature);
      if (intended) wanted = intended->digest ? intended->name + " (any tag or digest)" : describeIdentity(*intended);
      break;
    case IdentityMatch::MatchRepository:
      ok = intended && intended->name == signature->name;
      if (intended) wanted = intended->name;
      break;
    case IdentityMatch::MatchExact:
      ok = intended && exactlyEqual(*intended, *signature);
      if (intended) wanted = describeIdentity(*intended);
      break;
    case IdentityMatch::ExactReference: {
      auto exact = parseIdentity(rule.dockerReference);
      ok = exact && exactlyEqual(*exact, *signature);
      wanted = rule.dockerReference;
      break;
    }
    case IdentityMatch::ExactRepository:
      ok = signature->name == normalizedName(rule.dockerRepository);
      wanted = rule.dockerRepository;
      break;
    case IdentityMatch::RemapIdentity: {
      if (!intended) break;
      Identity remapped = *intended;
      // Prefixes are host[/namespace] as written (containers/image compares them as strings).
      const auto& prefix = rule.prefix;
      if (remapped.name == prefix || remapped.name.starts_with(prefix + "/"))
        remapped.name = rule.signedPrefix + remapped.name.substr(prefix.size());
      ok = repoDigestOrExact(remapped, *signature);
      wanted = remapped.digest ? remapped.name + " (any tag or digest)" : describeIdentity(remapped);
      break;
    }
  }
  if (ok) return {};
  if (!intended && wanted.empty())
    return fmt::format("it names {}, and a {} image has no docker identity to match (use exactReference or "
                       "exactRepository)", signedText, transportName(image.transport));
  return fmt::format("it names {}, not {}", signedText, wanted);
}

std::string scopeName(const std::string& transport, const std::string& scope) {
  if (scope.empty()) return fmt::format("transports.{}[\"\"] (the {} transport's default)", transport, transport);
  return fmt::format("transports.{}[\"{}\"]", transport, scope);
}

// The scopes of a local image (oci:, dir:, …): its path with the tag, the path, each parent folder.
std::vector<std::string> localScopes(const ImageReference& image) {
  std::vector<std::string> scopes;
  std::error_code failed;
  auto path = fs::absolute(image.layoutPath, failed).lexically_normal();
  auto text = path.string();
  while (text.size() > 1 && text.ends_with("/")) text.pop_back();
  if (image.tag) scopes.push_back(text + ":" + *image.tag);
  for (fs::path at = text; !at.empty();) {
    scopes.push_back(at.string());
    if (at == at.root_path()) break;
    at = at.parent_path();
  }
  return scopes;
}

}  // namespace

std::vector<std::string> dockerScopes(const ImageReference& image) {
  std::vector<std::string> scopes;
  std::string name = image.registry + "/" + image.repository;
  if (image.digest) scopes.push_back(name + "@" + image.digest->str());
  else scopes.push_back(name + ":" + image.tag.value_or("latest"));
  for (std::string at = name;;) {
    scopes.push_back(at);
    auto slash = at.rfind('/');
    if (slash == std::string::npos) break;
    at.erase(slash);
  }
  // *.example.com for sub.example.com (hosts without a port or an IP address only).
  const auto& host = image.registry;
  bool dnsName = host.find(':') == std::string::npos && host.find('[') == std::string::npos &&
                 host.find_first_not_of("0123456789.") != std::string::npos;
  if (dnsName)
    for (auto dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1))
      scopes.push_back("*" + host.substr(dot));
  return scopes;
}

std::string payloadProblem(const std::string& payload, const std::string& type, const Digest& digest,
                           const ImageReference& image, const SignedIdentity& identity) {
  auto message = nlohmann::json::parse(payload, nullptr, false);
  if (message.is_discarded() || !message.is_object()) return "its payload is not JSON";
  auto critical = message.find("critical");
  if (critical == message.end() || !critical->is_object()) return "its payload has no \"critical\" section";
  if (critical->value("type", "") != type)
    return fmt::format("its payload's type is '{}', not '{}'", critical->value("type", ""), type);
  std::string signedDigest, reference;
  if (auto at = critical->find("image"); at != critical->end() && at->is_object())
    signedDigest = at->value("docker-manifest-digest", "");
  if (signedDigest != digest.str())
    return fmt::format("it signs {}, not the image's manifest {}", signedDigest.empty() ? "no digest" : signedDigest,
                       digest.str());
  if (auto at = critical->find("identity"); at != critical->end() && at->is_object())
    reference = at->value("docker-reference", "");
  if (reference.empty()) return "it names no identity (critical.identity.docker-reference)";
  return identityProblem(image, identity, reference);
}

bool verifyWithPublicKey(const std::string& pem, const std::string& keyName, const std::string& payload,
                         const std::string& signature) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key) fail(ErrorKind::InvalidInput, "the sigstore public key {} cannot be read (a PEM public key: ECDSA, RSA or Ed25519)", keyName);
  int id = EVP_PKEY_get_base_id(key);
  const EVP_MD* digest = id == EVP_PKEY_ED25519 ? nullptr : EVP_sha256();
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  bool ok = EVP_DigestVerifyInit(context, nullptr, digest, nullptr, key) == 1 &&
            EVP_DigestVerify(context, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                             reinterpret_cast<const unsigned char*>(payload.data()), payload.size()) == 1;
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  return ok;
}

PolicyChecker::PolicyChecker(Policy policy, RegistriesDirectory registriesD, RetryingHttpClientOptions http)
    : policy_(std::move(policy)),
      registriesD_(std::move(registriesD)),
      http_(std::make_unique<RetryingHttpClient>("signature lookaside", std::move(http))) {}

PolicyChecker::~PolicyChecker() = default;

PolicyChecker::Chosen PolicyChecker::rulesFor(const ImageReference& image) const {
  std::string transport(transportName(image.transport));
  if (auto scopes = policy_.transports.find(transport); scopes != policy_.transports.end()) {
    auto candidates = image.isLocal() ? localScopes(image) : dockerScopes(image);
    for (const auto& scope : candidates)
      if (auto found = scopes->second.find(scope); found != scopes->second.end())
        return {&found->second, scopeName(transport, scope)};
    if (auto found = scopes->second.find(""); found != scopes->second.end())
      return {&found->second, scopeName(transport, "")};
  }
  return {&policy_.defaults, "\"default\""};
}

std::vector<std::string> PolicyChecker::lookasideSignatures(const ImageReference& image, const Digest& digest,
                                                            std::string& problem) const {
  std::vector<std::string> signatures;
  if (image.isLocal()) {
    problem = fmt::format("ferry reads simple signatures of registry images only (from their lookaside location), "
                          "and this is a {} image", transportName(image.transport));
    return signatures;
  }
  auto base = registriesD_.lookasideFor(image);
  if (base.empty()) {
    std::vector<std::string> folders;
    for (const auto& folder : registriesD_.directories) folders.push_back(folder.string());
    problem = fmt::format("no lookaside location is configured for {} (registries.d: {}); signedBy reads simple "
                          "signatures from there",
                          image.registry + "/" + image.repository, fmt::join(folders, ", "));
    return signatures;
  }
  while (base.ends_with("/")) base.pop_back();
  // containers/image: <base>/<repository>@sha256=<hex>/signature-<n>, n from 1 until one is missing.
  auto prefix = fmt::format("{}/{}@{}={}/signature-", base, image.repository, digest.algorithm(), digest.hex());
  for (int n = 1; n <= kMaxLookasideSignatures; ++n) {
    auto url = prefix + std::to_string(n);
    if (url.starts_with("file://")) {
      fs::path file = url.substr(7);
      std::error_code failed;
      auto size = fs::file_size(file, failed);
      if (failed) break;  // no more
      if (static_cast<int64_t>(size) > kMaxLookasideSignatureBytes)
        fail(ErrorKind::Limit, "signature {} is larger than {} MiB, ferry's limit (see docs/limits.md)", url,
             kMaxLookasideSignatureBytes >> 20);
      signatures.push_back(readFile(file));
      continue;
    }
    HttpRequest request{.method = "GET", .url = url, .maxBodyBytes = kMaxLookasideSignatureBytes};
    auto response = http_->send(request);
    if (response.status == 404 || response.status == 403) break;
    if (response.bodyTooLarge)
      fail(ErrorKind::Limit, "signature {} is larger than {} MiB, ferry's limit (see docs/limits.md)", url,
           kMaxLookasideSignatureBytes >> 20);
    if (response.status != 200) fail("cannot read signature {}: HTTP {}", url, response.status);
    signatures.push_back(std::move(response.body));
  }
  if (signatures.empty()) problem = fmt::format("no signature exists at the lookaside location ({}1)", prefix);
  return signatures;
}

std::string PolicyChecker::checkRule(const Rule& rule, const ImageReference& image, ImageSource& source,
                                     const RawManifest& top) const {
  switch (rule.type) {
    case RuleType::InsecureAcceptAnything: return {};
    case RuleType::Reject: return "the rule rejects every image";
    case RuleType::SignedBaseLayer: return "signedBaseLayer is not implemented (containers/image refuses it too)";
    case RuleType::SignedBy: {
      std::string problem;
      auto signatures = lookasideSignatures(image, top.digest, problem);
      if (signatures.empty()) return problem;
      std::vector<std::string> reasons;
      for (size_t i = 0; i < signatures.size(); ++i) {
        auto where = fmt::format("signature-{}", i + 1);
        try {
          auto verified = gpgvVerify(signatures[i], rule.keyring, where, rule.keyringName,
                                     ", or remove the signedBy rule from the policy");
          auto why = payloadProblem(verified.message, kGpgSignatureType, top.digest, image, rule.identity);
          if (why.empty()) return {};
          reasons.push_back(where + ": " + why);
        } catch (const Error& e) {
          if (e.kind() == ErrorKind::Unsupported || e.kind() == ErrorKind::Timeout) throw;
          reasons.push_back(e.what());
        }
      }
      return fmt::format("none of its {} signature(s) is accepted: {}", signatures.size(), fmt::join(reasons, "; "));
    }
    case RuleType::SigstoreSigned: {
      if (!rule.unusable.empty()) return rule.unusable;
      if (!registriesD_.sigstoreAttachmentsFor(image))
        return "registries.d sets use-sigstore-attachments: false for it, so its sigstore signatures are not read";
      auto tag = referrersTag(top.digest) + ".sig";
      std::optional<RawManifest> signatureManifest;
      try {
        signatureManifest = source.getManifest(tag);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::NotFound) return fmt::format("it has no sigstore signature (no tag {})", tag);
        return fmt::format("its sigstore signatures cannot be read ({}): {}", tag, e.what());
      }
      Manifest parsed;
      try {
        parsed = Manifest::parse(signatureManifest->bytes, signatureManifest->mediaType);
      } catch (const Error& e) {
        return fmt::format("{} is not a signature manifest: {}", tag, e.what());
      }
      std::vector<std::string> reasons;
      int considered = 0;
      for (size_t i = 0; i < parsed.layers.size(); ++i) {
        const auto& layer = parsed.layers[i];
        if (layer.mediaType != kSimpleSigningType) continue;
        if (++considered > kMaxSigstoreSignatures)
          fail(ErrorKind::Limit, "{} has more than {} signatures, ferry's limit (see docs/limits.md)", tag,
               kMaxSigstoreSignatures);
        auto where = fmt::format("{} layer {}", tag, i + 1);
        auto annotation = layer.annotations.find(kCosignSignatureAnnotation);
        if (annotation == layer.annotations.end()) {
          reasons.push_back(where + ": no " + std::string(kCosignSignatureAnnotation) + " annotation");
          continue;
        }
        auto signature = base64Decode(annotation->second);
        if (!signature) {
          reasons.push_back(where + ": the signature annotation is not base64");
          continue;
        }
        std::string payload;
        try {
          payload = readSmallBlob(source, layer);
        } catch (const Error& e) {
          reasons.push_back(where + ": " + e.what());
          continue;
        }
        bool verified = false;
        for (const auto& [name, pem] : rule.publicKeys)
          if (verifyWithPublicKey(pem, name, payload, *signature)) verified = true;
        if (!verified) {
          reasons.push_back(where + ": the signature does not verify with the key" +
                            (rule.publicKeys.size() > 1 ? "s" : "") + " of the rule");
          continue;
        }
        auto why = payloadProblem(payload, kSigstoreSignatureType, top.digest, image, rule.identity);
        if (why.empty()) return {};
        reasons.push_back(where + ": " + why);
      }
      if (considered == 0) return fmt::format("{} holds no simple-signing payload ({})", tag, kSimpleSigningType);
      return fmt::format("none of its {} sigstore signature(s) is accepted: {}", considered, fmt::join(reasons, "; "));
    }
  }
  return "unknown rule";
}

void PolicyChecker::check(const ImageReference& image, ImageSource& source, const RawManifest& top) const {
  auto chosen = rulesFor(image);
  for (const auto& rule : *chosen.rules) {
    std::string problem;
    try {
      problem = checkRule(rule, image, source, top);
    } catch (const Error& e) {
      problem = e.what();
    }
    if (!problem.empty())
      fail(ErrorKind::Integrity, "refused by the signature policy: rule {} ({}) of scope {}: {}", ruleTypeName(rule.type),
           rule.where, chosen.scope, problem);
  }
}

}  // namespace ferry::policy
