#include "ferry/policy/policy.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::policy {
namespace {

std::string errorOf(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

ImageReference imageRef(const std::string& text) { return ImageReference::parse(text); }

TEST(Policy, SyntaxErrorsNameTheFileAndLine) {
  auto message = errorOf([] { parsePolicy("{\n  \"default\": [\n    {\"type\": \"reject\"},\n  ]\n}\n", "policy.json"); });
  EXPECT_TRUE(message.starts_with("policy.json:4: not valid JSON")) << message;
}

TEST(Policy, FieldErrorsNameTheLineAndTheField) {
  auto unknownType = errorOf([] {
    parsePolicy(R"({
  "default": [{"type": "reject"}],
  "transports": {
    "docker": {
      "quay.io/team": [
        {"type": "signedby", "keyPath": "/k"}
      ]
    }
  }
})", "p.json");
  });
  EXPECT_TRUE(unknownType.starts_with("p.json:6: ")) << unknownType;
  EXPECT_NE(unknownType.find("unknown rule type 'signedby'"), std::string::npos) << unknownType;

  auto noKeys = errorOf([] {
    parsePolicy("{\"default\": [{\"type\": \"reject\"}],\n\"transports\": {\"docker\": {\"a.example\":\n"
                "  [{\"type\": \"sigstoreSigned\"}]}}}", "p.json");
  });
  EXPECT_TRUE(noKeys.starts_with("p.json:3: ")) << noKeys;
  EXPECT_NE(noKeys.find("transports.docker[\"a.example\"][0] needs its keys"), std::string::npos) << noKeys;

  auto missingKeyFile = errorOf([] {
    parsePolicy("{\"default\": [\n{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\",\n \"keyPath\": \"/no/such/key.gpg\"}]}",
                "p.json");
  });
  EXPECT_TRUE(missingKeyFile.starts_with("p.json:3: cannot read the key file '/no/such/key.gpg'")) << missingKeyFile;

  EXPECT_NE(errorOf([] { parsePolicy(R"({"transports": {}})", "p.json"); }).find("needs \"default\""), std::string::npos);
  EXPECT_NE(errorOf([] { parsePolicy(R"({"default": []})", "p.json"); }).find("has no rules"), std::string::npos);
  EXPECT_NE(errorOf([] { parsePolicy(R"({"default": [{"type":"reject"}], "transports": {"podman": {}}})", "p.json"); })
                .find("unknown transport 'podman'"),
            std::string::npos);
  EXPECT_NE(errorOf([] {
              parsePolicy(R"({"default": [{"type":"reject"}], "transports": {"docker": {"docker://quay.io": [{"type":"reject"}]}}})",
                          "p.json");
            }).find("names a transport"),
            std::string::npos);
  EXPECT_NE(errorOf([] { parsePolicy(R"({"default": [{"type":"reject", "keyPath": "x"}]})", "p.json"); })
                .find("reject has no field 'keyPath'"),
            std::string::npos);
}

TEST(Policy, KeylessSigstoreNeedsItsTrustRootsAndIsThenRefusedAsNotImplemented) {
  auto noRoots = errorOf([] {
    parsePolicy(R"({"default": [{"type": "sigstoreSigned", "fulcio": {"oidcIssuer": "https://x", "subjectEmail": "a@b"}}]})",
                "p.json");
  });
  EXPECT_NE(noRoots.find("keyless sigstoreSigned (fulcio) needs its trust roots"), std::string::npos) << noRoots;
  auto policy = parsePolicy(R"({"default": [{"type": "sigstoreSigned",
      "fulcio": {"caData": "AAAA", "oidcIssuer": "https://x", "subjectEmail": "a@b"}, "rekorPublicKeyData": "AAAA"}]})",
                            "p.json");
  EXPECT_NE(policy.defaults[0].unusable.find("keyless verification"), std::string::npos);
}

TEST(Policy, TheMostSpecificDockerScopeWins) {
  auto policy = parsePolicy(R"({
    "default": [{"type": "reject"}],
    "transports": {"docker": {
      "quay.io": [{"type": "insecureAcceptAnything"}],
      "quay.io/team": [{"type": "reject"}],
      "quay.io/team/app:v1": [{"type": "insecureAcceptAnything"}],
      "*.example.com": [{"type": "insecureAcceptAnything"}],
      "": [{"type": "reject"}]},
     "oci": {"": [{"type": "insecureAcceptAnything"}]}}})",
                            "p.json");
  PolicyChecker checker(std::move(policy), {});
  EXPECT_EQ(checker.rulesFor(imageRef("quay.io/team/app:v1")).scope, "transports.docker[\"quay.io/team/app:v1\"]");
  EXPECT_EQ(checker.rulesFor(imageRef("quay.io/team/app:v2")).scope, "transports.docker[\"quay.io/team\"]");
  EXPECT_EQ(checker.rulesFor(imageRef("quay.io/other/app:v2")).scope, "transports.docker[\"quay.io\"]");
  EXPECT_EQ(checker.rulesFor(imageRef("registry.sub.example.com/x:1")).scope, "transports.docker[\"*.example.com\"]");
  EXPECT_EQ(checker.rulesFor(imageRef("docker.io/library/busybox")).scope,
            "transports.docker[\"\"] (the docker transport's default)");
  EXPECT_EQ(checker.rulesFor(imageRef("oci:/tmp/layout:v1")).scope, "transports.oci[\"\"] (the oci transport's default)");
  EXPECT_EQ(checker.rulesFor(imageRef("dir:/tmp/d")).scope, "\"default\"");
}

TEST(Policy, DockerScopesAreTriedMostSpecificFirst) {
  EXPECT_EQ(dockerScopes(imageRef("quay.io/a/b:v1")),
            (std::vector<std::string>{"quay.io/a/b:v1", "quay.io/a/b", "quay.io/a", "quay.io", "*.io"}));
  EXPECT_EQ(dockerScopes(imageRef("127.0.0.1:5000/app")), (std::vector<std::string>{"127.0.0.1:5000/app:latest",
                                                                                 "127.0.0.1:5000/app", "127.0.0.1:5000"}));
}

std::string payload(const std::string& digest, const std::string& reference,
                    const std::string& type = "cosign container image signature") {
  return nlohmann::json{{"critical",
                         {{"identity", {{"docker-reference", reference}}},
                          {"image", {{"docker-manifest-digest", digest}}},
                          {"type", type}}},
                        {"optional", nullptr}}
      .dump();
}

TEST(Policy, PayloadsAreCheckedForTheDigestAndTheIdentity) {
  auto digest = Digest::sha256Of("manifest");
  auto other = Digest::sha256Of("other");
  const std::string type = "cosign container image signature";
  SignedIdentity byDefault;
  auto byTag = imageRef("quay.io/team/app:v1");
  EXPECT_EQ(payloadProblem(payload(digest.str(), "quay.io/team/app:v1"), type, digest, byTag, byDefault), "");
  EXPECT_NE(payloadProblem(payload(digest.str(), "quay.io/team/app:v2"), type, digest, byTag, byDefault), "");
  EXPECT_NE(payloadProblem(payload(other.str(), "quay.io/team/app:v1"), type, digest, byTag, byDefault)
                .find("it signs " + other.str()),
            std::string::npos);
  EXPECT_NE(payloadProblem(payload(digest.str(), "quay.io/team/app:v1", "atomic container signature"), type, digest,
                           byTag, byDefault),
            "");
  // By digest: any signature of the repository.
  auto byDigest = imageRef("quay.io/team/app@" + digest.str());
  EXPECT_EQ(payloadProblem(payload(digest.str(), "quay.io/team/app:v9"), type, digest, byDigest, byDefault), "");
  EXPECT_NE(payloadProblem(payload(digest.str(), "quay.io/team/other:v9"), type, digest, byDigest, byDefault), "");

  SignedIdentity repository{.match = IdentityMatch::MatchRepository};
  EXPECT_EQ(payloadProblem(payload(digest.str(), "quay.io/team/app:v2"), type, digest, byTag, repository), "");
  SignedIdentity exact{.match = IdentityMatch::ExactReference, .dockerReference = "registry.example/signed:1"};
  EXPECT_EQ(payloadProblem(payload(digest.str(), "registry.example/signed:1"), type, digest, byTag, exact), "");
  EXPECT_NE(payloadProblem(payload(digest.str(), "quay.io/team/app:v1"), type, digest, byTag, exact), "");
  // A mirror's name remapped to the name the signer used.
  SignedIdentity remap{.match = IdentityMatch::RemapIdentity, .prefix = "mirror.local:5000/quay", .signedPrefix = "quay.io"};
  EXPECT_EQ(payloadProblem(payload(digest.str(), "quay.io/team/app:v1"), type, digest,
                           imageRef("mirror.local:5000/quay/team/app:v1"), remap),
            "");
  EXPECT_NE(payloadProblem(payload(digest.str(), "mirror.local:5000/quay/team/app:v1"), type, digest,
                           imageRef("mirror.local:5000/quay/team/app:v1"), remap),
            "");
}

TEST(Policy, PublicKeySignaturesVerifyWithOpenSsl) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  ASSERT_NE(key, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(bio, key);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  std::string message = "payload bytes";
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  size_t length = 0;
  EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key);
  EVP_DigestSign(context, nullptr, &length, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  std::string signature(length, '\0');
  EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                 reinterpret_cast<const unsigned char*>(message.data()), message.size());
  signature.resize(length);
  EVP_MD_CTX_free(context);
  EVP_PKEY_free(key);
  EXPECT_TRUE(verifyWithPublicKey(pem, "test key", message, signature));
  EXPECT_FALSE(verifyWithPublicKey(pem, "test key", message + "!", signature));
  EXPECT_NE(errorOf([&] { verifyWithPublicKey("not a key", "k.pub", message, signature); }).find("k.pub"),
            std::string::npos);
}

TEST(RegistriesD, LookasideAndAttachmentsByTheMostSpecificScope) {
  RegistriesDirectory directory;
  directory.add("default-docker:\n  lookaside: https://sigs.example/store\n", "default.yaml");
  directory.add("docker:\n  quay.io/team:\n    lookaside: file:///srv/sigs\n    use-sigstore-attachments: false\n"
                "  quay.io/team/app:\n    use-sigstore-attachments: true\n",
                "quay.yaml");
  EXPECT_EQ(directory.lookasideFor(imageRef("quay.io/team/app:v1")), "file:///srv/sigs");
  EXPECT_EQ(directory.lookasideFor(imageRef("docker.io/library/busybox")), "https://sigs.example/store");
  EXPECT_TRUE(directory.sigstoreAttachmentsFor(imageRef("quay.io/team/app:v1")));
  EXPECT_FALSE(directory.sigstoreAttachmentsFor(imageRef("quay.io/team/other:v1")));
  EXPECT_TRUE(directory.sigstoreAttachmentsFor(imageRef("docker.io/library/busybox")));

  auto twice = errorOf([&] { directory.add("docker:\n  quay.io/team:\n    lookaside: file:///x\n", "again.yaml"); });
  EXPECT_TRUE(twice.starts_with("again.yaml:2: docker scope 'quay.io/team' is set in quay.yaml:3 already")) << twice;
  auto bad = errorOf([&] { RegistriesDirectory().add("docker:\n  a.example:\n    lookaside: ftp://x\n", "bad.yaml"); });
  EXPECT_TRUE(bad.starts_with("bad.yaml:3: ")) << bad;
  auto unknown = errorOf([&] { RegistriesDirectory().add("docker:\n  a.example:\n    lookasid: https://x\n", "u.yaml"); });
  EXPECT_TRUE(unknown.starts_with("u.yaml:3: ")) << unknown;
}

}  // namespace
}  // namespace ferry::policy
