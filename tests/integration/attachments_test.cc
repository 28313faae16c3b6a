// Signatures and referrers travel with their images (issue 16, item 1): cosign's
// sha256-<hex>.sig/.att tags and OCI 1.1 referrers kept under the referrers tag
// schema's fallback tag, on distribution 2.8 (no referrers API), through copy,
// mirror-to-mirror and mirror-to-disk -> disk-to-mirror, digest for digest.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "ferry/base/files.h"
#include "ferry/oci/media_types.h"
#include "integration/ferry_test_env.h"
#include "support/registry_push.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

std::string attachmentTag(const Digest& subject, const std::string& suffix = "") {
  return "sha256-" + std::string(subject.hex()) + suffix;
}

// A multi-platform image with what real signed images carry, in an OCI layout
// and pushed to a registry as cosign and oras push to distribution 2.8:
//   - the index signed (cosign .sig) and attested (.att);
//   - its amd64 child signed on its own;
//   - an SBOM referrer (OCI 1.1 artifact with subject) in the fallback index
//     sha256-<index hex>, and the SBOM itself signed (a referrer's attachment).
class SignedImage {
 public:
  SignedImage(const std::filesystem::path& layout, const TestRegistry& registry, const std::string& repository)
      : builder_(layout, 77), image_(builder_.ociIndex("v1")), amd64_(image_.manifests.at(1)) {
    pushed_.insert_or_assign("v1", image_.digest);
    pushed_.insert_or_assign(attachmentTag(image_.digest, ".sig"), cosignArtifact(image_.digest, "signature", ".sig"));
    pushed_.insert_or_assign(attachmentTag(image_.digest, ".att"), cosignArtifact(image_.digest, "attestation", ".att"));
    pushed_.insert_or_assign(attachmentTag(amd64_, ".sig"), cosignArtifact(amd64_, "amd64 signature", ".sig"));
    sbom_ = referrer(image_.digest, image_.mediaType, image_.size);
    pushed_.insert_or_assign(attachmentTag(image_.digest), fallbackIndex_);
    pushed_.insert_or_assign(attachmentTag(sbom_, ".sig"), cosignArtifact(sbom_, "sbom signature", ".sig"));
    for (const auto& [tag, digest] : pushed_)
      pushImage(registry, layout, FixtureImage{.name = tag, .digest = digest}, repository, tag);
  }

  const FixtureImage& image() const { return image_; }
  const Digest& amd64() const { return amd64_; }
  const Digest& sbom() const { return sbom_; }
  // Every tag pushed (the image's and its attachments'), with its digest.
  const std::map<std::string, Digest>& tags() const { return pushed_; }

 private:
  Json emptyConfig() { return builder_.writeBlob("{}", "application/vnd.oci.empty.v1+json"); }

  // A cosign-style signature manifest: a simple-signing payload naming the subject.
  Digest cosignArtifact(const Digest& subject, const std::string& what, const std::string& suffix) {
    Json payload = {{"critical",
                     {{"identity", {{"docker-reference", "registry.example/app"}}},
                      {"image", {{"docker-manifest-digest", subject.str()}}},
                      {"type", "cosign container image signature"}}},
                    {"optional", {{"what", what}}}};
    auto layer = builder_.writeBlob(payload.dump(), "application/vnd.dev.cosign.simplesigning.v1+json");
    layer["annotations"]["dev.cosignproject.cosign/signature"] = "MEUCIQ" + std::string(subject.hex().substr(0, 16));
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"config", builder_.writeBlob("{\"signed\":\"" + suffix + "\"}", media::kOciConfig)},
                     {"layers", Json::array({layer})}};
    return Digest::parse(builder_.writeBlob(manifest.dump(), media::kOciManifest)["digest"].get<std::string>());
  }

  // An OCI 1.1 SBOM artifact whose subject is the image, listed in the fallback index.
  Digest referrer(const Digest& subject, const std::string& subjectType, int64_t subjectSize) {
    auto sbom = builder_.writeBlob(R"({"spdxVersion":"SPDX-2.3","name":"app"})", "application/spdx+json");
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"artifactType", "application/spdx+json"},
                     {"config", emptyConfig()},
                     {"layers", Json::array({sbom})},
                     {"subject", {{"mediaType", subjectType}, {"digest", subject.str()}, {"size", subjectSize}}}};
    auto descriptor = builder_.writeBlob(manifest.dump(), media::kOciManifest);
    descriptor["artifactType"] = "application/spdx+json";
    Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array({descriptor})}};
    fallbackIndex_ = Digest::parse(builder_.writeBlob(index.dump(), media::kOciIndex)["digest"].get<std::string>());
    return Digest::parse(descriptor["digest"].get<std::string>());
  }

  FixtureBuilder builder_;
  FixtureImage image_;
  Digest amd64_;
  Digest sbom_ = Digest::sha256Of("");
  Digest fallbackIndex_ = Digest::sha256Of("");
  std::map<std::string, Digest> pushed_;
};

// Each tag's digest at the registry, read with skopeo; absent tags are left out.
std::map<std::string, Digest> digestsAt(const TestRegistry& registry, const std::string& repository,
                                        const std::map<std::string, Digest>& wanted) {
  std::map<std::string, Digest> found;
  for (const auto& [tag, digest] : wanted) {
    auto response = getManifest(registry, repository, tag);
    if (response.status == 200) found.emplace(tag, Digest::sha256Of(skopeoRaw(registry, repository, tag)));
  }
  return found;
}

class Attachments : public ::testing::Test {
 protected:
  TemporaryDirectory work_{"ferry-attachments"};
  TestRegistry source_;
  TestRegistry destination_;
  SignedImage signed_{work_.path() / "fixtures", source_, "team/app"};

  CommandResult copy(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"copy", "--source-use-http", "--dest-use-http", dockerRef(source_, "team/app", "v1"),
                                  dockerRef(destination_, "mirror/app", "v1")};
    args.insert(args.end(), extra.begin(), extra.end());
    return runFerry(args);
  }
};

TEST_F(Attachments, CopyBringsSignaturesReferrersAndTheirSignaturesDigestForDigest) {
  auto copied = copy();
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(digestsAt(destination_, "mirror/app", signed_.tags()), signed_.tags());
  // The SBOM referrer itself arrives by digest, as a child of the fallback index.
  EXPECT_EQ(getManifest(destination_, "mirror/app", signed_.sbom().str()).status, 200);
  EXPECT_NE(copied.out.find("with " + attachmentTag(signed_.image().digest, ".sig")), std::string::npos) << copied.out;
  EXPECT_NE(copied.out.find("    with " + attachmentTag(signed_.sbom(), ".sig")), std::string::npos)
      << "the SBOM's signature is listed under the SBOM's fallback index\n" << copied.out;

  // Again: everything is there; nothing is pushed.
  auto before = destination_.accessLogCount("PUT");
  auto again = copy();
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(destination_.accessLogCount("PUT"), before);
}

TEST_F(Attachments, RemoveSignaturesAndReferrersNoneLeaveThemBehind) {
  for (auto flag : {std::vector<std::string>{"--remove-signatures"}, std::vector<std::string>{"--referrers", "none"}}) {
    TestRegistry destination;
    std::vector<std::string> args{"copy", "--source-use-http", "--dest-use-http", dockerRef(source_, "team/app", "v1"),
                                  dockerRef(destination, "mirror/app", "v1")};
    args.insert(args.end(), flag.begin(), flag.end());
    auto copied = runFerry(args);
    ASSERT_EQ(copied.exitCode, 0) << copied.err;
    EXPECT_EQ(digestsAt(destination, "mirror/app", signed_.tags()),
              (std::map<std::string, Digest>{{"v1", signed_.image().digest}}))
        << flag[0];
  }
  auto bad = copy({"--referrers", "some"});
  EXPECT_EQ(bad.exitCode, 1);
  EXPECT_NE(bad.err.find("--referrers 'some' is not a mode"), std::string::npos) << bad.err;
}

// One platform: the amd64 image itself goes under the tag, so its own signature follows it and the index's
// (which signs a digest the destination does not hold) stays behind.
TEST_F(Attachments, ANarrowedCopyTakesOnlyTheSignaturesOfWhatItPushes) {
  auto copied = copy({"--platform", "linux/amd64"});
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  auto found = digestsAt(destination_, "mirror/app", signed_.tags());
  EXPECT_EQ(found.at("v1"), signed_.amd64());
  EXPECT_EQ(found.count(attachmentTag(signed_.amd64(), ".sig")), 1u);
  EXPECT_EQ(found.count(attachmentTag(signed_.image().digest, ".sig")), 0u);
  EXPECT_EQ(found.count(attachmentTag(signed_.image().digest)), 0u);
}

TEST_F(Attachments, MirrorCarriesThemRegistryToRegistryAndThroughAnArchive) {
  auto config = work_.path() / "isc.yaml";
  writeFileAtomically(config, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                              "  additionalImages:\n    - name: " + source_.host() + "/team/app:v1\n");
  auto mirrored = runFerry({"mirror", "-c", config.string(), "--workspace", "file://" + (work_.path() / "ws").string(),
                            "docker://" + destination_.host() + "/mirror", "--source-use-http", "--dest-use-http"});
  ASSERT_EQ(mirrored.exitCode, 0) << mirrored.err;
  EXPECT_EQ(digestsAt(destination_, "mirror/team/app", signed_.tags()), signed_.tags());

  auto archive = work_.path() / "archive";
  auto toDisk = runFerry({"mirror", "-c", config.string(), "file://" + archive.string(), "--source-use-http"});
  ASSERT_EQ(toDisk.exitCode, 0) << toDisk.err;
  TestRegistry loaded;
  auto fromDisk = runFerry({"mirror", "--from", "file://" + archive.string(), "docker://" + loaded.host() + "/mirror",
                            "--dest-use-http"});
  ASSERT_EQ(fromDisk.exitCode, 0) << fromDisk.err;
  EXPECT_EQ(digestsAt(loaded, "mirror/team/app", signed_.tags()), signed_.tags());
}

}  // namespace
}  // namespace ferry::testing
