#include "ferry/mirror/naming.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry::mirror {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string kRebuiltHex = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

struct NamingCase {
  std::string what;
  std::string source;
  std::string root;
  NamingOptions options;
  std::string expected;  // destination str()
};

NamingOptions catalog(std::optional<std::string> targetCatalog = {}, std::optional<std::string> targetTag = {}) {
  NamingOptions options;
  options.isCatalog = true;
  options.targetCatalog = targetCatalog;
  options.targetTag = targetTag;
  return options;
}

NamingOptions nested(int maxNestedPaths) {
  NamingOptions options;
  options.maxNestedPaths = maxNestedPaths;
  return options;
}

TEST(DestinationNaming, FollowsOcMirrorRules) {
  NamingOptions retargeted;
  retargeted.targetRepo = "team/tools";
  retargeted.targetTag = "stable";
  NamingOptions tagOnly;
  tagOnly.targetTag = "pinned";
  NamingOptions digestCatalog = catalog();
  digestCatalog.rebuiltCatalogDigest = Digest::parse("sha256:" + kRebuiltHex);

  std::vector<NamingCase> cases = {
      {"tag kept, namespace added",
       "quay.io/org/app:v1",
       "docker://mirror.example.com/ocp",
       {},
       "docker://mirror.example.com/ocp/org/app:v1"},
      {"no namespace",
       "quay.io/org/app:v1",
       "docker://mirror.example.com",
       {},
       "docker://mirror.example.com/org/app:v1"},
      {"port kept",
       "quay.io/org/app:v1",
       "docker://mirror.example.com:5000/ocp",
       {},
       "docker://mirror.example.com:5000/ocp/org/app:v1"},
      {"deep namespace",
       "registry.redhat.io/ubi9/ubi:9.4",
       "docker://localhost:5000/a/b/c",
       {},
       "docker://localhost:5000/a/b/c/ubi9/ubi:9.4"},
      {"source port dropped",
       "registry.local:8443/team/app:v2",
       "docker://mirror:5000/ns",
       {},
       "docker://mirror:5000/ns/team/app:v2"},
      {"IPv6 source",
       "[fd00::1]:5000/team/app:v2",
       "docker://mirror:5000/ns",
       {},
       "docker://mirror:5000/ns/team/app:v2"},
      {"IPv6 destination",
       "quay.io/org/app:v1",
       "docker://[fd00::2]:5000/ns",
       {},
       "docker://[fd00::2]:5000/ns/org/app:v1"},
      {"Docker Hub short name keeps library/",
       "nginx:1.25",
       "docker://mirror:5000/ns",
       {},
       "docker://mirror:5000/ns/library/nginx:1.25"},
      {"Docker Hub explicit",
       "docker.io/library/busybox:1",
       "docker://mirror:5000",
       {},
       "docker://mirror:5000/library/busybox:1"},
      {"Docker Hub user repo",
       "docker.io/bitnami/redis:7",
       "docker://mirror:5000",
       {},
       "docker://mirror:5000/bitnami/redis:7"},
      {"no tag means latest", "quay.io/org/app", "docker://mirror:5000", {}, "docker://mirror:5000/org/app:latest"},
      {"digest only gets sha256- tag",
       "quay.io/org/app@sha256:" + kHex,
       "docker://mirror:5000/ns",
       {},
       "docker://mirror:5000/ns/org/app:sha256-" + kHex},
      {"tag and digest: pushed with the tag",
       "quay.io/org/app:v1@sha256:" + kHex,
       "docker://mirror:5000/ns",
       {},
       "docker://mirror:5000/ns/org/app:v1"},
      {"targetRepo and targetTag", "quay.io/org/app:v1", "docker://mirror:5000/ns", retargeted,
       "docker://mirror:5000/ns/team/tools:stable"},
      {"targetTag on a digest-only image", "quay.io/org/app@sha256:" + kHex, "docker://mirror:5000", tagOnly,
       "docker://mirror:5000/org/app:pinned"},
      {"catalog by tag", "registry.redhat.io/redhat/redhat-operator-index:v4.18", "docker://mirror:5000/ocp", catalog(),
       "docker://mirror:5000/ocp/redhat/redhat-operator-index:v4.18"},
      {"catalog with targetCatalog", "registry.redhat.io/redhat/redhat-operator-index:v4.18",
       "docker://mirror:5000/ocp", catalog("mirrored/operators"), "docker://mirror:5000/ocp/mirrored/operators:v4.18"},
      {"catalog with targetCatalog and targetTag", "registry.redhat.io/redhat/redhat-operator-index:v4.18",
       "docker://mirror:5000", catalog("mirrored/operators", "filtered"),
       "docker://mirror:5000/mirrored/operators:filtered"},
      {"catalog with targetTag only", "registry.redhat.io/redhat/redhat-operator-index:v4.18", "docker://mirror:5000",
       catalog({}, "v4.18-filtered"), "docker://mirror:5000/redhat/redhat-operator-index:v4.18-filtered"},
      {"digest-only catalog is tagged with the rebuilt digest",
       "registry.redhat.io/redhat/redhat-operator-index@sha256:" + kHex, "docker://mirror:5000", digestCatalog,
       "docker://mirror:5000/redhat/redhat-operator-index:sha256-" + kRebuiltHex},
      {"catalog from a layout", "oci:///tmp/catalogs/my-index", "docker://mirror:5000/ns", catalog(),
       "docker://mirror:5000/ns/my-index:latest"},
      {"catalog from a layout, targetCatalog", "oci:///tmp/catalogs/My_Index:v2", "docker://mirror:5000/ns",
       catalog("team/index"), "docker://mirror:5000/ns/team/index:v2"},
      {"nested paths: short path untouched", "quay.io/org/app:v1", "docker://mirror:5000/ns", nested(3),
       "docker://mirror:5000/ns/org/app:v1"},
      {"nested paths: folded into the last component", "registry.redhat.io/a/b/c/app:v1", "docker://mirror:5000/ns",
       nested(3), "docker://mirror:5000/ns/a/b-c-app:v1"},
      {"nested paths 2 with a namespace", "registry.redhat.io/a/b/app:v1", "docker://mirror:5000/ns", nested(2),
       "docker://mirror:5000/ns/a-b-app:v1"},
      {"nested paths 1 without a namespace", "registry.redhat.io/a/b/app:v1", "docker://mirror:5000", nested(1),
       "docker://mirror:5000/a-b-app:v1"},
      {"nested paths apply to targetRepo too", "quay.io/org/app:v1", "docker://mirror:5000/ns",
       [] {
         NamingOptions options = nested(2);
         options.targetRepo = "x/y/z";
         return options;
       }(),
       "docker://mirror:5000/ns/x-y-z:v1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    auto destination = destinationFor(ImageReference::parse(c.source), DestinationRoot::parse(c.root), c.options);
    EXPECT_EQ(destination.str(), c.expected);
    EXPECT_TRUE(destination.tag.has_value());
    EXPECT_FALSE(destination.digest.has_value());
  }
}

TEST(DestinationNaming, DigestTagIsCutTo128Characters) {
  std::string hex512(128, 'a');
  auto sha512 = Digest::parse("sha512:" + hex512);
  EXPECT_EQ(digestTag(sha512).size(), 128u);
  EXPECT_EQ(digestTag(sha512), "sha512-" + hex512.substr(0, 121));
  EXPECT_EQ(digestTag(Digest::parse("sha256:" + kHex)), "sha256-" + kHex);
  auto destination = destinationFor(ImageReference::parse("quay.io/org/app@sha512:" + hex512),
                                    DestinationRoot::parse("docker://mirror:5000"));
  EXPECT_EQ(*destination.tag, "sha512-" + hex512.substr(0, 121));
  EXPECT_TRUE(isValidTag(*destination.tag));
}

TEST(DestinationNaming, FlattenPath) {
  EXPECT_EQ(flattenPath("a/b/c/d", 0), "a/b/c/d");
  EXPECT_EQ(flattenPath("a/b/c/d", 4), "a/b/c/d");
  EXPECT_EQ(flattenPath("a/b/c/d", 5), "a/b/c/d");
  EXPECT_EQ(flattenPath("a/b/c/d", 3), "a/b/c-d");
  EXPECT_EQ(flattenPath("a/b/c/d", 2), "a/b-c-d");
  EXPECT_EQ(flattenPath("a/b/c/d", 1), "a-b-c-d");
  EXPECT_EQ(flattenPath("single", 1), "single");
}

void expectError(const std::function<void()>& action, const std::string& needle) {
  try {
    action();
    ADD_FAILURE() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(DestinationNaming, NestedPathsTooSmallForTheNamespaceIsAnError) {
  auto source = ImageReference::parse("quay.io/org/app:v1");
  auto root = DestinationRoot::parse("docker://mirror:5000/team/ocp");
  expectError([&] { destinationFor(source, root, nested(2)); },
              "--max-nested-paths 2 is too small for destination docker://mirror:5000/team/ocp");
  expectError([&] { destinationFor(source, root, nested(2)); }, "at least 3");
  EXPECT_EQ(destinationFor(source, root, nested(3)).repository, "team/ocp/org-app");
  expectError([&] { destinationFor(source, root, nested(-1)); }, "negative");
}

TEST(DestinationNaming, BadOverridesAreErrors) {
  auto source = ImageReference::parse("quay.io/org/app:v1");
  auto root = DestinationRoot::parse("docker://mirror:5000");
  NamingOptions badRepo;
  badRepo.targetRepo = "Team/App";
  expectError([&] { destinationFor(source, root, badRepo); },
              "targetRepo 'Team/App' of image docker://quay.io/org/app:v1");
  NamingOptions badTag;
  badTag.targetTag = "-bad";
  expectError([&] { destinationFor(source, root, badTag); }, "targetTag '-bad'");
  NamingOptions wrongOverride;
  wrongOverride.targetCatalog = "x";
  expectError([&] { destinationFor(source, root, wrongOverride); }, "targetCatalog applies to catalogs");
  NamingOptions catalogWithRepo = catalog();
  catalogWithRepo.targetRepo = "x";
  expectError([&] { destinationFor(source, root, catalogWithRepo); }, "catalogs use targetCatalog");
  expectError([&] { destinationFor(ImageReference::parse("quay.io/a/index@sha256:" + kHex), root, catalog()); },
              "named by digest only");
  expectError([&] { destinationFor(ImageReference::parse("oci:/tmp/My_Layout"), root, {}); }, "set targetRepo");
}

TEST(DestinationRoot, Parses) {
  auto root = DestinationRoot::parse("docker://mirror.example.com:5000/ocp/mirror");
  EXPECT_EQ(root.registry, "mirror.example.com:5000");
  EXPECT_EQ(root.namespacePath, "ocp/mirror");
  EXPECT_EQ(root.str(), "docker://mirror.example.com:5000/ocp/mirror");

  root = DestinationRoot::parse("registry/");
  EXPECT_EQ(root.registry, "registry");
  EXPECT_EQ(root.namespacePath, "");
  EXPECT_EQ(root.str(), "docker://registry");

  root = DestinationRoot::parse("docker://[fd00::1]:5000/ns");
  EXPECT_EQ(root.registry, "[fd00::1]:5000");
  EXPECT_EQ(root.namespacePath, "ns");
  root = DestinationRoot::parse("docker://[::1]");
  EXPECT_EQ(root.registry, "[::1]");

  expectError([] { DestinationRoot::parse("docker://"); }, "expected docker://HOST");
  expectError([] { DestinationRoot::parse("docker:///ns"); }, "host is empty");
  expectError([] { DestinationRoot::parse("file://archive"); }, "starts with docker://");
  expectError([] { DestinationRoot::parse("docker://mirror:5000/ns:v1"); }, "remove the tag");
  expectError([] { DestinationRoot::parse("docker://mirror:5000/ns@sha256:" + kHex); }, "remove the tag");
  expectError([] { DestinationRoot::parse("docker://mirror:99999/ns"); }, "port '99999'");
  expectError([] { DestinationRoot::parse("docker://mirror:/ns"); }, "port ''");
  expectError([] { DestinationRoot::parse("docker://mir_ror/ns"); }, "not a valid host name");
  expectError([] { DestinationRoot::parse("docker://mirror/NS"); }, "namespace 'NS'");
  expectError([] { DestinationRoot::parse("docker://[fd00::1/ns"); }, "closed with ']'");
}

TEST(DestinationNaming, PullReferenceAndDigestOnly) {
  auto both = ImageReference::parse("quay.io/org/app:v1@sha256:" + kHex);
  EXPECT_EQ(pullReferenceFor(both).str(), "docker://quay.io/org/app@sha256:" + kHex);
  EXPECT_FALSE(namedByDigestOnly(both));
  auto digestOnly = ImageReference::parse("quay.io/org/app@sha256:" + kHex);
  EXPECT_TRUE(namedByDigestOnly(digestOnly));
  EXPECT_EQ(pullReferenceFor(digestOnly), digestOnly);
  auto tagOnly = ImageReference::parse("quay.io/org/app:v1");
  EXPECT_FALSE(namedByDigestOnly(tagOnly));
  EXPECT_EQ(pullReferenceFor(tagOnly), tagOnly);
}

}  // namespace
}  // namespace ferry::mirror
