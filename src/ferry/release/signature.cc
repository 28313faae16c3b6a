#include "ferry/release/signature.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/policy/gpgv.h"

namespace ferry::release {
namespace {

namespace fs = std::filesystem;

}  // namespace

std::vector<std::string> fetchSignatures(RetryingHttpClient& http, const std::string& storeUrl, const Digest& digest) {
  std::vector<std::string> signatures;
  auto base = storeUrl;
  if (!base.empty() && base.back() != '/') base += '/';
  for (int n = 1; n <= kMaxSignatures; ++n) {
    HttpRequest request;
    request.url = fmt::format("{}sha256={}/signature-{}", base, digest.hex(), n);
    request.maxBodyBytes = kMaxSignatureBytes;
    HttpResponse response;
    try {
      response = http.send(request);
    } catch (const Error& e) {
      fail(e.kind(), "cannot read release signature {}: {}; check --release-signature-url (or ${})",
           urlForMessages(request.url), e.what(), kSignatureUrlVariable);
    }
    if (response.status == 404 || response.status == 403) break;  // no more (object stores answer 403)
    if (response.bodyTooLarge)
      fail(ErrorKind::Limit, "release signature {} is larger than {} KiB, ferry's limit (see docs/limits.md)",
           urlForMessages(request.url), kMaxSignatureBytes >> 10);
    if (response.status != 200)
      fail("cannot read release signature {}: HTTP {}; check --release-signature-url (or ${})",
           urlForMessages(request.url), response.status, kSignatureUrlVariable);
    signatures.push_back(std::move(response.body));
  }
  return signatures;
}

VerifiedSignature verifySignature(const std::string& signature, const fs::path& keyring, const Digest& digest,
                                  const std::string& where) {
  std::error_code error;
  auto size = fs::file_size(keyring, error);
  if (error) fail(ErrorKind::NotFound, "cannot read the release signature keyring '{}': {}", keyring.string(), error.message());
  if (size > kMaxKeyringBytes)
    fail(ErrorKind::Limit, "the release signature keyring '{}' is larger than 16 MiB", keyring.string());
  auto keys = binaryKeyring(readFile(keyring), fmt::format("the release signature keyring '{}'", keyring.string()));
  auto verified = gpgvVerify(signature, keys, where, keyring.string(), ", or give --ignore-release-signature");
  const auto& fingerprint = verified.fingerprint;
  nlohmann::json message;
  try {
    message = nlohmann::json::parse(verified.message);
  } catch (const std::exception& e) {
    fail(ErrorKind::Integrity, "{}: the signed message is not JSON ({})", where, e.what());
  }
  auto critical = message.is_object() ? message.value("critical", nlohmann::json::object()) : nlohmann::json::object();
  if (!critical.is_object() || critical.value("type", "") != "atomic container signature")
    fail(ErrorKind::Integrity, "{}: the signed message is not an atomic container signature", where);
  std::string signedDigest;
  if (critical.contains("image") && critical["image"].is_object())
    signedDigest = critical["image"].value("docker-manifest-digest", "");
  if (signedDigest != digest.str())
    fail(ErrorKind::Integrity, "{}: the signature is for {}, not for the payload {}", where,
         signedDigest.empty() ? "no digest" : signedDigest, digest.str());
  std::string reference;
  if (critical.contains("identity") && critical["identity"].is_object())
    reference = critical["identity"].value("docker-reference", "");
  if (reference.empty()) fail(ErrorKind::Integrity, "{}: the signature names no identity (docker-reference)", where);
  return {.dockerReference = reference, .fingerprint = fingerprint};
}

}  // namespace ferry::release
