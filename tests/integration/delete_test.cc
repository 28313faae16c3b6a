// `ferry delete` (issue 16, item 3) against distribution 2.8: two mirror runs
// into one registry share digests; the list generated for the first run's
// DeleteImageSetConfiguration deletes what only it needs — manifests by digest,
// their cosign .sig tags, referrers fallback tags and referrers — and nothing the
// second run still uses (a shared image stays out of the list, a digest another
// tag names keeps its digest and loses only its tag, a child manifest a kept image
// names stays). Checked with skopeo and plain registry requests.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "ferry/base/files.h"
#include "ferry/oci/media_types.h"
#include "integration/ferry_test_env.h"
#include "support/registry_push.h"
#include "support/release_images.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

std::string attachmentTag(const Digest& subject, const std::string& suffix = "") {
  return "sha256-" + std::string(subject.hex()) + suffix;
}

bool canPull(const TestRegistry& registry, const std::string& repository, const std::string& reference) {
  std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
  for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
  std::string separator = reference.starts_with("sha256:") ? "@" : ":";
  argv.push_back("docker://" + registry.host() + "/" + repository + separator + reference);
  return runCommand(argv).exitCode == 0;
}

int statusOf(const TestRegistry& registry, const std::string& repository, const std::string& reference) {
  return getManifest(registry, repository, reference).status;
}

class Delete : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& builder = builder_;
    auto layout = work_.path() / "fixtures";
    pushImage(source_, layout, app_, "team/app", "v1");
    signature_ = cosignSignature(builder, app_.digest);
    pushImage(source_, layout, FixtureImage{.name = "sig", .digest = signature_}, "team/app",
              attachmentTag(app_.digest, ".sig"));
    // An OCI 1.1 referrer (an SBOM) of the index, in the fallback index as cosign and oras leave it on 2.8.
    Json sbom = {{"schemaVersion", 2},
                 {"mediaType", media::kOciManifest},
                 {"artifactType", "application/spdx+json"},
                 {"config", builder.writeBlob("{}", "application/vnd.oci.empty.v1+json")},
                 {"layers", Json::array({builder.writeBlob(R"({"spdxVersion":"SPDX-2.3"})", "application/spdx+json")})},
                 {"subject", {{"mediaType", app_.mediaType}, {"digest", app_.digest.str()}, {"size", app_.size}}}};
    auto sbomDescriptor = builder.writeBlob(sbom.dump(), media::kOciManifest);
    sbomDescriptor["artifactType"] = "application/spdx+json";
    referrer_ = Digest::parse(sbomDescriptor["digest"].get<std::string>());
    Json index = {{"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array({sbomDescriptor})}};
    fallback_ = Digest::parse(builder.writeBlob(index.dump(), media::kOciIndex)["digest"].get<std::string>());
    pushImage(source_, layout, FixtureImage{.name = "fallback", .digest = fallback_}, "team/app",
              attachmentTag(app_.digest));
    pushImage(source_, layout, tool_, "team/tool", "1.0");
    pushImage(source_, layout, tool_, "team/tool", "stable");
    pushImage(source_, layout, shared_, "team/shared", "1.0");
    pushImage(source_, layout, only_, "team/only", "1.0");
  }

  Digest cosignSignature(FixtureBuilder& builder, const Digest& subject) {
    Json payload = {{"critical",
                     {{"identity", {{"docker-reference", "registry.example/app"}}},
                      {"image", {{"docker-manifest-digest", subject.str()}}},
                      {"type", "cosign container image signature"}}}};
    auto layer = builder.writeBlob(payload.dump(), "application/vnd.dev.cosign.simplesigning.v1+json");
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"config", builder.writeBlob("{\"signed\":true}", media::kOciConfig)},
                     {"layers", Json::array({layer})}};
    return Digest::parse(builder.writeBlob(manifest.dump(), media::kOciManifest)["digest"].get<std::string>());
  }

  std::string src(const std::string& repositoryAndTag) { return source_.host() + "/" + repositoryAndTag; }

  std::filesystem::path config(const std::string& name, const std::string& kind, const std::vector<std::string>& images) {
    std::string text = "apiVersion: mirror.openshift.io/v2alpha1\nkind: " + kind + "\n" +
                       (kind == "ImageSetConfiguration" ? "mirror:\n" : "delete:\n") + "  additionalImages:\n";
    for (const auto& image : images) text += "    - name: " + image + "\n";
    auto file = work_.path() / name;
    writeFileAtomically(file, text);
    return file;
  }

  CommandResult mirrorRun(const std::filesystem::path& isc, TestRegistry& destination) {
    return runFerry(withFlags({"mirror", "-c", isc.string(), "--workspace", "file://" + workspace_.string(),
                               dockerRoot(destination)},
                              source_, &destination));
  }

  // Run one: app:v1 (signed index), tool:1.0, shared:1.0, only:1.0.
  // Run two: app's amd64 child by digest, tool:stable (tool:1.0's digest), shared:1.0.
  void mirrorBoth(TestRegistry& destination) {
    auto one = mirrorRun(config("run1.yaml", "ImageSetConfiguration",
                                {src("team/app:v1"), src("team/tool:1.0"), src("team/shared:1.0"), src("team/only:1.0")}),
                         destination);
    ASSERT_EQ(one.exitCode, 0) << one.out << one.err;
    auto two = mirrorRun(config("run2.yaml", "ImageSetConfiguration",
                                {src("team/app@" + child_.str()), src("team/tool:stable"), src("team/shared:1.0")}),
                         destination);
    ASSERT_EQ(two.exitCode, 0) << two.out << two.err;
  }

  CommandResult generate(TestRegistry& destination) {
    auto disc = config("delete-isc.yaml", "DeleteImageSetConfiguration",
                       {src("team/app:v1"), src("team/tool:1.0"), src("team/shared:1.0"), src("team/only:1.0")});
    return runFerry({"delete", "--generate", "-c", disc.string(), "--workspace", "file://" + workspace_.string(),
                     dockerRoot(destination)});
  }

  std::filesystem::path listFile() const { return workspace_ / "working-dir" / "delete" / "delete-images.yaml"; }

  TemporaryDirectory work_{"ferry-delete"};
  std::filesystem::path workspace_ = work_.path() / "ws";
  TestRegistry source_;
  TestRegistry destination_;
  FixtureBuilder builder_{work_.path() / "fixtures", 1601};
  FixtureImage app_ = builder_.ociIndex("v1");
  FixtureImage tool_ = builder_.singleArchOci("1.0");
  FixtureImage shared_ = builder_.singleArchOci("shared");
  FixtureImage only_ = builder_.singleArchOci("only");
  Digest child_ = app_.manifests.at(1), other_ = app_.manifests.at(2), signature_ = Digest::sha256Of("");
  Digest referrer_ = Digest::sha256Of(""), fallback_ = Digest::sha256Of("");
};

TEST_F(Delete, GenerateListsWhatOnlyTheFirstRunNeedsAndDeleteRemovesItWithItsAttachments) {
  mirrorBoth(destination_);
  // The mirror brought the signature and the referrer along.
  ASSERT_TRUE(canPull(destination_, "mirror/team/app", attachmentTag(app_.digest, ".sig")));
  ASSERT_EQ(statusOf(destination_, "mirror/team/app", referrer_.str()), 200);
  ASSERT_TRUE(std::filesystem::exists(workspace_ / "working-dir" / "mirrored"));

  auto generated = generate(destination_);
  ASSERT_EQ(generated.exitCode, 0) << generated.out << generated.err;
  auto list = YAML::LoadFile(listFile().string());
  EXPECT_EQ(list["apiVersion"].as<std::string>(), "mirror.openshift.io/v2alpha1");
  EXPECT_EQ(list["kind"].as<std::string>(), "DeleteImageList");
  std::vector<std::string> references;
  for (const auto& item : list["items"]) {
    references.push_back(item["imageReference"].as<std::string>());
    EXPECT_EQ(item["type"].as<std::string>(), "generic");
  }
  auto root = "docker://" + destination_.host() + "/mirror/team/";
  EXPECT_EQ(references, (std::vector<std::string>{root + "app:v1", root + "only:1.0", root + "tool:1.0"}))
      << "sorted; shared:1.0 stays out, run two mirrored it too";
  EXPECT_NE(generated.err.find("shared:1.0"), std::string::npos) << generated.err;
  EXPECT_EQ(list["items"][0]["imageName"].as<std::string>(), src("team/app:v1"));
  EXPECT_TRUE(std::filesystem::exists(workspace_ / "working-dir" / "delete" / "delete-imageset-config.yaml"));

  // Dry run: everything is listed, nothing goes.
  auto puts = destination_.accessLogCount("PUT");
  auto dry = runFerry({"delete", "--delete-yaml-file", listFile().string(), "--dry-run", "--dest-use-http",
                       dockerRoot(destination_)});
  ASSERT_EQ(dry.exitCode, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("would delete docker://" + destination_.host() + "/mirror/team/app@" + app_.digest.str()),
            std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("would remove tag docker://" + destination_.host() + "/mirror/team/tool:1.0"),
            std::string::npos) << dry.out;
  EXPECT_EQ(destination_.accessLogCount("DELETE"), 0u);
  EXPECT_EQ(destination_.accessLogCount("PUT"), puts);
  for (auto [repository, tag] : std::vector<std::pair<std::string, std::string>>{
           {"mirror/team/app", "v1"}, {"mirror/team/tool", "1.0"}, {"mirror/team/only", "1.0"}})
    EXPECT_TRUE(canPull(destination_, repository, tag)) << repository << ":" << tag;

  auto deleted = runFerry({"delete", "--delete-yaml-file", listFile().string(), "--dest-use-http",
                           dockerRoot(destination_)});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.out << deleted.err;
  EXPECT_NE(deleted.err.find("registry garbage-collect"), std::string::npos) << deleted.err;

  // Gone: the index, its other child, its signature, the fallback index and the referrer; only:1.0.
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", "v1"), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", app_.digest.str()), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", other_.str()), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", attachmentTag(app_.digest, ".sig")), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", signature_.str()), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", attachmentTag(app_.digest)), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/app", referrer_.str()), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/only", "1.0"), 404);
  EXPECT_EQ(statusOf(destination_, "mirror/team/only", only_.digest.str()), 404);
  // Kept: the child run two mirrored by digest (named in the output with who uses it), tool's digest under
  // tool:stable (tool:1.0 removed with a throw-away manifest), shared:1.0.
  EXPECT_TRUE(canPull(destination_, "mirror/team/app", child_.str()));
  EXPECT_TRUE(canPull(destination_, "mirror/team/app", attachmentTag(child_)));
  EXPECT_NE(deleted.out.find("kept: not deleting docker://" + destination_.host() + "/mirror/team/app@" + child_.str()),
            std::string::npos) << deleted.out;
  EXPECT_NE(deleted.out.find("mirror/team/app:" + attachmentTag(child_) + " still uses it"), std::string::npos)
      << deleted.out;
  EXPECT_EQ(statusOf(destination_, "mirror/team/tool", "1.0"), 404);
  EXPECT_TRUE(canPull(destination_, "mirror/team/tool", "stable"));
  EXPECT_EQ(Digest::sha256Of(skopeoRaw(destination_, "mirror/team/tool", "stable")), tool_.digest);
  EXPECT_TRUE(canPull(destination_, "mirror/team/shared", "1.0"));

  // Again: everything listed is gone already; nothing else is touched.
  auto again = runFerry({"delete", "--delete-yaml-file", listFile().string(), "--dest-use-http",
                         dockerRoot(destination_)});
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("0 manifest(s) deleted"), std::string::npos) << again.out;
  EXPECT_TRUE(canPull(destination_, "mirror/team/app", child_.str()));
}

TEST_F(Delete, ARegistryThatRefusesDeletingGetsTheFixAndNothingChanges) {
  mirrorBoth(destination_);
  ASSERT_EQ(generate(destination_).exitCode, 0);
  destination_.disableDelete();  // access-log counts start again
  auto refused = runFerry({"delete", "--delete-yaml-file", listFile().string(), "--dest-use-http",
                           dockerRoot(destination_)});
  EXPECT_EQ(refused.exitCode, 1) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("does not allow deleting"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("REGISTRY_STORAGE_DELETE_ENABLED=true"), std::string::npos) << refused.err;
  EXPECT_EQ(destination_.accessLogCount("PUT"), 0u) << "no throw-away manifest was pushed";
  EXPECT_TRUE(canPull(destination_, "mirror/team/tool", "1.0"));
  EXPECT_TRUE(canPull(destination_, "mirror/team/app", "v1"));
}

TEST_F(Delete, AMalformedListIsRefusedWithFileLineAndField) {
  auto file = work_.path() / "bad.yaml";
  writeFileAtomically(file,
                      "apiVersion: mirror.openshift.io/v2alpha1\n"
                      "kind: DeleteImageList\n"
                      "items:\n"
                      "- imageName: quay.io/org/app:v1\n"
                      "  imageRef: docker://" + destination_.host() + "/mirror/org/app:v1\n"
                      "  type: generic\n"
                      "- imageName: quay.io/org/app:v2\n"
                      "  imageReference: docker://" + destination_.host() + "/mirror/org/app:v2\n"
                      "  type: operatorThing\n");
  auto result = runFerry({"delete", "--delete-yaml-file", file.string(), "--dest-use-http", dockerRoot(destination_)});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find(file.string() + ":5:3: items[0]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("imageRef"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find(file.string() + ":9:9: items[1].type"), std::string::npos) << result.err;
  EXPECT_EQ(destination_.accessLogCount(), 0u);
}

TEST_F(Delete, GenerateNeedsRecordedRunsIntoThatDestination) {
  auto disc = config("delete-isc.yaml", "DeleteImageSetConfiguration", {src("team/app:v1")});
  auto result = runFerry({"delete", "--generate", "-c", disc.string(), "--workspace", "file://" + workspace_.string(),
                          dockerRoot(destination_)});
  EXPECT_EQ(result.exitCode, 1);
  EXPECT_NE(result.err.find("no ferry mirror run into"), std::string::npos) << result.err;
  auto isc = config("isc.yaml", "ImageSetConfiguration", {src("team/app:v1")});
  auto wrongKind = runFerry({"delete", "--generate", "-c", isc.string(), "--workspace",
                             "file://" + workspace_.string(), dockerRoot(destination_)});
  EXPECT_EQ(wrongKind.exitCode, 1);
  EXPECT_NE(wrongKind.err.find("isc.yaml:2:7: kind"), std::string::npos) << wrongKind.err;
  auto v1 = runFerry({"delete", "--delete-v1-images", "--delete-yaml-file", "x.yaml", dockerRoot(destination_)});
  EXPECT_EQ(v1.exitCode, 1);
  EXPECT_NE(v1.err.find("--delete-v1-images"), std::string::npos) << v1.err;
}

// Two releases share most components (one in three changes per version): deleting the older one deletes its
// payload and the components only it has, and removes only the tags of the shared ones, whose digests the
// newer release still names under its own tags.
TEST(DeleteReleases, TheOlderReleaseGoesAndTheComponentsTheNewerSharesKeepTheirDigests) {
  TemporaryDirectory work("ferry-delete-releases");
  TestRegistry source, destination;
  ReleaseWorld world(source, work.path() / "world", ReleaseWorldSpec{.versions = {"4.17.0", "4.17.1"}, .components = 6});
  const auto& old = world.release("4.17.0");
  const auto& current = world.release("4.17.1");
  auto workspace = work.path() / "ws";
  auto mirrorRelease = [&](const std::string& file, const BuiltRelease& release) {
    auto config = work.path() / file;
    writeFileAtomically(config, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                                "  platform:\n    release: " + source.host() + "/openshift-release-dev/ocp-release:" +
                                    release.tag + "\n");
    auto result = runFerry(withFlags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                      "--ignore-release-signature", dockerRoot(destination)},
                                     source, &destination));
    ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  };
  mirrorRelease("old.yaml", old);
  mirrorRelease("current.yaml", current);

  auto disc = work.path() / "delete-old.yaml";
  writeFileAtomically(disc, "apiVersion: mirror.openshift.io/v2alpha1\nkind: DeleteImageSetConfiguration\ndelete:\n"
                            "  platform:\n    release: " + source.host() + "/openshift-release-dev/ocp-release:" +
                                old.tag + "\n");
  auto generated = runFerry({"delete", "--generate", "-c", disc.string(), "--workspace", "file://" + workspace.string(),
                             dockerRoot(destination)});
  ASSERT_EQ(generated.exitCode, 0) << generated.out << generated.err;
  auto list = YAML::LoadFile((workspace / "working-dir" / "delete" / "delete-images.yaml").string());
  ASSERT_EQ(list["items"].size(), 7u) << "the payload and its 6 components";
  std::map<std::string, int> types;
  for (const auto& item : list["items"]) ++types[item["type"].as<std::string>()];
  EXPECT_EQ(types, (std::map<std::string, int>{{"ocpRelease", 1}, {"ocpReleaseContent", 6}}));

  auto deleted = runFerry({"delete", "--delete-yaml-file",
                           (workspace / "working-dir" / "delete" / "delete-images.yaml").string(), "--dest-use-http",
                           dockerRoot(destination)});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.out << deleted.err;
  EXPECT_EQ(statusOf(destination, "mirror/openshift/release-images", old.tag), 404);
  EXPECT_EQ(statusOf(destination, "mirror/openshift/release-images", old.image.digest.str()), 404);
  EXPECT_TRUE(canPull(destination, "mirror/openshift/release-images", current.tag));
  size_t shared = 0;
  for (size_t i = 0; i < old.components.size(); ++i) {
    const auto& [name, pullSpec] = old.components[i];
    auto digest = pullSpec.substr(pullSpec.find('@') + 1);
    EXPECT_EQ(statusOf(destination, "mirror/openshift/release", old.tag + "-" + name), 404) << name;
    bool stillUsed = false;
    for (const auto& [otherName, otherSpec] : current.components) stillUsed = stillUsed || otherSpec == pullSpec;
    shared += stillUsed;
    EXPECT_EQ(statusOf(destination, "mirror/openshift/release", digest), stillUsed ? 200 : 404) << name;
  }
  EXPECT_GT(shared, 0u);
  EXPECT_LT(shared, old.components.size());
  for (const auto& [name, pullSpec] : current.components)
    EXPECT_TRUE(canPull(destination, "mirror/openshift/release", current.tag + "-" + name)) << name;
}

}  // namespace
}  // namespace ferry::testing
