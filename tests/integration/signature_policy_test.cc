// Signature policy (issue 16, item 2): --policy FILE / --secure-policy with
// containers policy.json and registries.d. The tests sign images themselves:
// cosign-style sha256-<hex>.sig tags (a simple-signing payload signed with a
// throw-away ECDSA P-256 key made with OpenSSL), and GPG simple signatures at a
// lookaside location (gpg in a throw-away GNUPGHOME). Real registries, offline.
// Also the referrers API's pagination (Link: rel="next"), through a front.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/oci/media_types.h"
#include "integration/ferry_test_env.h"
#include "support/gpg_key.h"
#include "support/fault_proxy.h"
#include "support/http_server.h"
#include "support/registry_push.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A throw-away ECDSA P-256 key, as `cosign generate-key-pair` makes.
class EcKey {
 public:
  EcKey() : key_(EVP_EC_gen("P-256")) {
    if (!key_) fail("OpenSSL could not make a P-256 key");
  }
  ~EcKey() { EVP_PKEY_free(key_); }
  EcKey(const EcKey&) = delete;
  EcKey& operator=(const EcKey&) = delete;

  std::string publicPem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    char* data = nullptr;
    long size = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(size));
    BIO_free(bio);
    return pem;
  }
  // ECDSA over SHA-256, DER-encoded, as cosign signs.
  std::string sign(const std::string& bytes) const {
    EVP_MD_CTX* context = EVP_MD_CTX_new();
    size_t length = 0;
    EVP_DigestSignInit(context, nullptr, EVP_sha256(), nullptr, key_);
    EVP_DigestSign(context, nullptr, &length, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    std::string signature(length, '\0');
    EVP_DigestSign(context, reinterpret_cast<unsigned char*>(signature.data()), &length,
                   reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
    signature.resize(length);
    EVP_MD_CTX_free(context);
    return signature;
  }

 private:
  EVP_PKEY* key_;
};


std::string sigTag(const Digest& subject) { return "sha256-" + std::string(subject.hex()) + ".sig"; }

class SignaturePolicy : public ::testing::Test {
 protected:
  SignaturePolicy() : image_(builder_.ociIndex("v1")) {
    for (const auto* repository : {"team/app", "team/unsigned", "team/tampered", "team/stranger", "team/blocked"})
      pushImage(source_, layout_, image_, repository, "v1");
  }

  std::string sourceName(const std::string& repository, const std::string& tag = "v1") const {
    return source_.host() + "/" + repository + ":" + tag;
  }

  // Pushes a cosign signature of `subject` naming `reference` to repository's .sig tag. `tamper`
  // changes the payload after it was signed (the signature then belongs to other bytes).
  void cosignSign(const std::string& repository, const Digest& subject, const std::string& reference, const EcKey& key,
                  bool tamper = false) {
    Json payload = {{"critical",
                     {{"identity", {{"docker-reference", reference}}},
                      {"image", {{"docker-manifest-digest", subject.str()}}},
                      {"type", "cosign container image signature"}}},
                    {"optional", nullptr}};
    std::string bytes = payload.dump();
    auto signature = base64Encode(key.sign(bytes));
    if (tamper) bytes = Json(payload).dump(2);  // other bytes, the same meaning: the signature is not theirs
    auto layer = builder_.writeBlob(bytes, "application/vnd.dev.cosign.simplesigning.v1+json");
    layer["annotations"]["dev.cosignproject.cosign/signature"] = signature;
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"config", builder_.writeBlob(R"({"architecture":"","os":"","rootfs":{"type":"layers"}})",
                                                   media::kOciConfig)},
                     {"layers", Json::array({layer})}};
    auto digest = Digest::parse(builder_.writeBlob(manifest.dump(), media::kOciManifest)["digest"].get<std::string>());
    pushImage(source_, layout_, FixtureImage{.name = sigTag(subject), .digest = digest}, repository, sigTag(subject));
  }

  std::filesystem::path writeFile(const std::string& name, const std::string& text) {
    auto path = work_.path() / name;
    std::filesystem::create_directories(path.parent_path());
    writeFileAtomically(path, text);
    return path;
  }

  // A policy: reject by default, `rules` (JSON) for the source registry's scope `scope` ("" = the registry).
  std::filesystem::path policyFor(const std::string& rules, const std::string& scope = "") {
    std::string key = scope.empty() ? source_.host() : source_.host() + "/" + scope;
    return writeFile("policy.json", "{\n  \"default\": [{\"type\": \"reject\"}],\n  \"transports\": {\n    \"docker\": {\n"
                                    "      \"" + key + "\": " + rules + "\n    }\n  }\n}\n");
  }

  CommandResult copy(const std::string& repository, std::vector<std::string> extra) {
    std::vector<std::string> args{"copy", "--source-use-http", "--dest-use-http", "docker://" + sourceName(repository),
                                  dockerRef(destination_, repository, "v1")};
    args.insert(args.end(), extra.begin(), extra.end());
    return runFerry(args);
  }

  bool arrived(const std::string& repository, const std::string& reference = "v1") {
    return getManifest(destination_, repository, reference).status == 200;
  }

  TemporaryDirectory work_{"ferry-policy"};
  TestRegistry source_;
  TestRegistry destination_;
  std::filesystem::path layout_ = work_.path() / "fixtures";
  FixtureBuilder builder_{layout_, 91};
  FixtureImage image_;
  EcKey key_;
};

TEST_F(SignaturePolicy, SigstoreSignedPassesASignedImageAndRefusesUnsignedAndTamperedOnesBeforePushingAnything) {
  cosignSign("team/app", image_.digest, sourceName("team/app"), key_);
  cosignSign("team/tampered", image_.digest, sourceName("team/tampered"), key_, /*tamper=*/true);
  EcKey stranger;
  cosignSign("team/stranger", image_.digest, sourceName("team/stranger"), stranger);
  auto publicKey = writeFile("cosign.pub", key_.publicPem());
  auto policy = policyFor("[{\"type\": \"sigstoreSigned\", \"keyPath\": \"" + publicKey.string() + "\"}]");

  auto signedCopy = copy("team/app", {"--policy", policy.string()});
  ASSERT_EQ(signedCopy.exitCode, 0) << signedCopy.err;
  EXPECT_TRUE(arrived("team/app"));
  EXPECT_TRUE(arrived("team/app", sigTag(image_.digest))) << "the signature travels with the image";

  auto puts = destination_.accessLogCount("PUT");
  auto posts = destination_.accessLogCount("POST");
  const std::string scope = "transports.docker[\"" + source_.host() + "\"]";
  auto unsignedCopy = copy("team/unsigned", {"--policy", policy.string()});
  EXPECT_EQ(unsignedCopy.exitCode, 1);
  EXPECT_TRUE(contains(unsignedCopy.err, "refused by the signature policy: rule sigstoreSigned (" + policy.string() + ":5)"))
      << unsignedCopy.err;
  EXPECT_TRUE(contains(unsignedCopy.err, "of scope " + scope)) << unsignedCopy.err;
  EXPECT_TRUE(contains(unsignedCopy.err, "it has no sigstore signature (no tag " + sigTag(image_.digest) + ")"))
      << unsignedCopy.err;

  for (const auto* repository : {"team/tampered", "team/stranger"}) {
    auto refused = copy(repository, {"--policy", policy.string()});
    EXPECT_EQ(refused.exitCode, 1) << repository;
    EXPECT_TRUE(contains(refused.err, "rule sigstoreSigned")) << refused.err;
    EXPECT_TRUE(contains(refused.err, "the signature does not verify with the key of the rule")) << refused.err;
  }
  // Nothing of a refused image reached the destination: no blob upload, no manifest.
  EXPECT_EQ(destination_.accessLogCount("PUT"), puts);
  EXPECT_EQ(destination_.accessLogCount("POST"), posts);
  for (const auto* repository : {"team/unsigned", "team/tampered", "team/stranger"}) EXPECT_FALSE(arrived(repository));

  // A signature of the right digest for another name is refused by the identity check (matchRepoDigestOrExact),
  // and accepted when the rule says which name the signer used (exactReference).
  cosignSign("team/unsigned", image_.digest, "registry.example/upstream/app:v1", key_);
  auto otherName = copy("team/unsigned", {"--policy", policy.string()});
  EXPECT_EQ(otherName.exitCode, 1);
  EXPECT_TRUE(contains(otherName.err, "it names registry.example/upstream/app:v1, not " + sourceName("team/unsigned")))
      << otherName.err;
  auto exact = policyFor("[{\"type\": \"sigstoreSigned\", \"keyData\": \"" + base64Encode(key_.publicPem()) +
                         "\", \"signedIdentity\": {\"type\": \"exactReference\", \"dockerReference\": "
                         "\"registry.example/upstream/app:v1\"}}]",
                         "team/unsigned");
  auto accepted = copy("team/unsigned", {"--policy", exact.string()});
  EXPECT_EQ(accepted.exitCode, 0) << accepted.err;
}

TEST_F(SignaturePolicy, RejectAndInsecureAcceptAnythingByScope) {
  auto policy = writeFile("policy.json", "{\"default\": [{\"type\": \"insecureAcceptAnything\"}],\n \"transports\": "
                                         "{\"docker\": {\"" + source_.host() + "/team/blocked\":\n"
                                         "   [{\"type\": \"reject\"}]}}}\n");
  auto accepted = copy("team/unsigned", {"--policy", policy.string()});
  EXPECT_EQ(accepted.exitCode, 0) << accepted.err;
  EXPECT_TRUE(arrived("team/unsigned"));
  auto rejected = copy("team/blocked", {"--policy", policy.string()});
  EXPECT_EQ(rejected.exitCode, 1);
  EXPECT_TRUE(contains(rejected.err, "rule reject (" + policy.string() + ":3) of scope transports.docker[\"" +
                                         source_.host() + "/team/blocked\"]: the rule rejects every image"))
      << rejected.err;
  EXPECT_FALSE(arrived("team/blocked"));
}

TEST_F(SignaturePolicy, MalformedPoliciesAreErrorsNamingFileAndLine) {
  auto broken = writeFile("broken.json", "{\n  \"default\": [\n    {\"type\": \"reject\"}\n  ],\n  oops\n}\n");
  auto syntax = copy("team/app", {"--policy", broken.string()});
  EXPECT_EQ(syntax.exitCode, 1);
  EXPECT_TRUE(contains(syntax.err, broken.string() + ":5: not valid JSON")) << syntax.err;
  auto wrongField = writeFile("field.json", "{\n  \"default\": [\n    {\"type\": \"sigstoreSigned\", \"keyPath\": \"" +
                                                (work_.path() / "absent.pub").string() + "\"}\n  ]\n}\n");
  auto field = copy("team/app", {"--policy", wrongField.string()});
  EXPECT_EQ(field.exitCode, 1);
  EXPECT_TRUE(contains(field.err, wrongField.string() + ":3: cannot read the key file")) << field.err;
  EXPECT_EQ(destination_.accessLogCount("PUT"), 0u);
}

// signedBy: GPG simple signatures from the lookaside location registries.d names (http:// and file://).
TEST_F(SignaturePolicy, SignedByReadsLookasideSignaturesOverHttpAndFromFiles) {
  if (!toolAvailable("gpg") || !toolAvailable("gpgv")) GTEST_SKIP() << "gpg and gpgv are needed";
  GpgKey key("signer@example.invalid");
  GpgKey stranger("stranger@example.invalid");
  auto keyring = writeFile("signer.asc", key.armoredPublicKey());
  // http:// for team/app, as a web server keeps them: <base>/<repository>@sha256=<hex>/signature-<n>.
  std::map<std::string, std::string> served;
  served["/sigs/team/app@sha256=" + std::string(image_.digest.hex()) + "/signature-1"] =
      key.sign(image_.digest.str(), sourceName("team/app"));
  HttpServer lookaside([&](const HttpRequest& request) {
    auto found = served.find(request.path);
    if (found == served.end()) return HttpResponse{.status = 404, .headers = {}, .body = "none"};
    return HttpResponse{.status = 200, .headers = {}, .body = found->second};
  });
  // file:// for the rest: team/stranger signed by a key the policy does not name, team/unsigned not at all.
  auto files = work_.path() / "sigstore";
  writeFile("sigstore/team/stranger@sha256=" + std::string(image_.digest.hex()) + "/signature-1",
            stranger.sign(image_.digest.str(), sourceName("team/stranger")));
  auto registriesD = work_.path() / "registries.d";
  writeFile("registries.d/source.yaml", "docker:\n  " + source_.host() + ":\n    lookaside: file://" + files.string() +
                                            "\n  " + source_.host() + "/team/app:\n    lookaside: " + lookaside.url() +
                                            "/sigs\n");
  auto policy = policyFor("[{\"type\": \"signedBy\", \"keyType\": \"GPGKeys\", \"keyPath\": \"" + keyring.string() + "\"}]");
  std::vector<std::string> flags{"--policy", policy.string(), "--registries.d", registriesD.string()};

  auto good = copy("team/app", flags);
  ASSERT_EQ(good.exitCode, 0) << good.err;
  EXPECT_TRUE(arrived("team/app"));

  auto foreign = copy("team/stranger", flags);
  EXPECT_EQ(foreign.exitCode, 1);
  EXPECT_TRUE(contains(foreign.err, "rule signedBy (" + policy.string() + ":5)")) << foreign.err;
  EXPECT_TRUE(contains(foreign.err, "signature-1: the signature does not verify with the keyring " + keyring.string()))
      << foreign.err;

  auto missing = copy("team/unsigned", flags);
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_TRUE(contains(missing.err, "no signature exists at the lookaside location (file://" + files.string() +
                                        "/team/unsigned@sha256=" + std::string(image_.digest.hex()) + "/signature-1)"))
      << missing.err;
  EXPECT_FALSE(arrived("team/stranger"));
  EXPECT_FALSE(arrived("team/unsigned"));

  // Without a lookaside location for the image, the rule says where it looked.
  auto empty = work_.path() / "registries.d-empty";
  std::filesystem::create_directories(empty);
  auto nowhere = copy("team/unsigned", {"--policy", policy.string(), "--registries.d", empty.string()});
  EXPECT_EQ(nowhere.exitCode, 1);
  EXPECT_TRUE(contains(nowhere.err, "no lookaside location is configured for " + source_.host() + "/team/unsigned"))
      << nowhere.err;
  auto absent = copy("team/unsigned", {"--policy", policy.string(), "--registries.d", (work_.path() / "none").string()});
  EXPECT_EQ(absent.exitCode, 1);
  EXPECT_TRUE(contains(absent.err, "no such folder")) << absent.err;
}

// ferry mirror: --secure-policy with --policy in mirror-to-mirror; mirror-to-disk then disk-to-mirror verifies
// again from the .sig tags the archive carries.
TEST_F(SignaturePolicy, MirrorChecksEveryImageAndDiskToMirrorVerifiesFromTheArchive) {
  cosignSign("team/app", image_.digest, sourceName("team/app"), key_);
  auto publicKey = writeFile("cosign.pub", key_.publicPem());
  auto policy = policyFor("[{\"type\": \"sigstoreSigned\", \"keyPath\": \"" + publicKey.string() + "\"}]");
  auto config = writeFile("isc.yaml", "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                                      "  additionalImages:\n    - name: " + sourceName("team/app") +
                                      "\n    - name: " + sourceName("team/unsigned") + "\n");
  auto mirrored = runFerry({"mirror", "-c", config.string(), "--workspace", "file://" + (work_.path() / "ws").string(),
                            dockerRoot(destination_), "--source-use-http", "--dest-use-http", "--secure-policy",
                            "--policy", policy.string()});
  EXPECT_NE(mirrored.exitCode, 0) << mirrored.err;
  EXPECT_TRUE(contains(mirrored.err, sourceName("team/unsigned"))) << mirrored.err;
  EXPECT_TRUE(contains(mirrored.err, "refused by the signature policy: rule sigstoreSigned")) << mirrored.err;
  EXPECT_TRUE(arrived("mirror/team/app"));
  EXPECT_FALSE(arrived("mirror/team/unsigned"));

  // Only the signed image, to disk and back: the archive's .sig tag verifies it again at disk-to-mirror.
  auto signedOnly = writeFile("signed.yaml", "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\n"
                                             "mirror:\n  additionalImages:\n    - name: " + sourceName("team/app") + "\n");
  auto archive = work_.path() / "archive";
  auto toDisk = runFerry({"mirror", "-c", signedOnly.string(), "file://" + archive.string(), "--source-use-http",
                          "--secure-policy", "--policy", policy.string()});
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.err;
  TestRegistry loaded;
  auto fromDisk = runFerry({"mirror", "--from", "file://" + archive.string(), dockerRoot(loaded), "--dest-use-http",
                            "--secure-policy", "--policy", policy.string()});
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.err;
  EXPECT_EQ(getManifest(loaded, "mirror/team/app", "v1").status, 200);
  // The same archive under a policy trusting another key: refused at disk-to-mirror, nothing pushed.
  EcKey other;
  auto otherKey = writeFile("other.pub", other.publicPem());
  auto strict = policyFor("[{\"type\": \"sigstoreSigned\", \"keyPath\": \"" + otherKey.string() + "\"}]");
  TestRegistry refusing;
  auto refused = runFerry({"mirror", "--from", "file://" + archive.string(), dockerRoot(refusing), "--dest-use-http",
                           "--secure-policy", "--policy", strict.string()});
  EXPECT_NE(refused.exitCode, 0) << refused.err;
  EXPECT_TRUE(contains(refused.err, "the signature does not verify with the key of the rule")) << refused.err;
  EXPECT_EQ(getManifest(refusing, "mirror/team/app", "v1").status, 404);
}

// The referrers API's answer in pages (Link: <...>; rel="next"): every page is read and the referrers of all of
// them arrive under the fallback tag.
TEST(ReferrersPagination, EveryPageOfTheReferrersApiIsFollowed) {
  TemporaryDirectory work{"ferry-referrers-pages"};
  auto layout = work.path() / "fixtures";
  FixtureBuilder builder(layout, 92);
  auto image = builder.ociIndex("v1");
  TestRegistry source;
  TestRegistry destination;
  pushImage(source, layout, image, "team/app", "v1");
  std::vector<Json> descriptors;
  for (int i = 0; i < 3; ++i) {
    auto blob = builder.writeBlob(fmt::format(R"({{"spdxVersion":"SPDX-2.3","n":{}}})", i), "application/spdx+json");
    Json referrer = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"artifactType", "application/spdx+json"},
                     {"config", builder.writeBlob("{}", "application/vnd.oci.empty.v1+json")},
                     {"layers", Json::array({blob})},
                     {"subject", {{"mediaType", image.mediaType}, {"digest", image.digest.str()}, {"size", image.size}}}};
    auto descriptor = builder.writeBlob(referrer.dump(), media::kOciManifest);
    descriptor["artifactType"] = "application/spdx+json";
    pushImage(source, layout, FixtureImage{.name = "", .digest = Digest::parse(descriptor["digest"].get<std::string>())},
              "team/app", "");
    descriptors.push_back(descriptor);
  }
  auto page = [&](std::vector<Json> entries) {
    return Json{{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", entries}}.dump();
  };
  FaultProxy front(source);
  std::string path = "/v2/team/app/referrers/" + image.digest.str();
  auto first = Fault::respond("GET", "/referrers/" + image.digest.str() + "$", std::string(media::kOciIndex),
                              page({descriptors[0]}));
  first.headers.emplace_back("Link", "<" + path + "?page=2>; rel=\"next\"");
  front.add(first.times(-1));
  auto second = Fault::respond("GET", "page=2", std::string(media::kOciIndex), page({descriptors[1]}));
  second.headers.emplace_back("Link", "<" + path + "?page=3>; rel=\"next\"");
  front.add(second.times(-1));
  front.add(Fault::respond("GET", "page=3", std::string(media::kOciIndex), page({descriptors[2]})).times(-1));
  front.add(Fault::respond("GET", "/referrers/", std::string(media::kOciIndex), page({})).times(-1));

  auto copied = runFerry({"copy", "--source-use-http", "--dest-use-http", "docker://" + front.host() + "/team/app:v1",
                          dockerRef(destination, "mirror/app", "v1")});
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  auto fallback = "sha256-" + std::string(image.digest.hex());
  ASSERT_EQ(getManifest(destination, "mirror/app", fallback).status, 200) << copied.out << copied.err;
  auto merged = nlohmann::json::parse(skopeoRaw(destination, "mirror/app", fallback));
  ASSERT_EQ(merged["manifests"].size(), 3u) << merged.dump();
  for (size_t i = 0; i < descriptors.size(); ++i) {
    EXPECT_EQ(merged["manifests"][i]["digest"], descriptors[i]["digest"]);
    EXPECT_EQ(getManifest(destination, "mirror/app", descriptors[i]["digest"].get<std::string>()).status, 200);
  }
  EXPECT_EQ(front.count("GET", "page=3"), 1u);
}

}  // namespace
}  // namespace ferry::testing
