#include "ferry/ref/reference.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry {

const std::string kDigest = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Reference, DockerHubNormalisation) {
  auto ref = ImageReference::parse("nginx");
  EXPECT_EQ(ref.registry, "docker.io");
  EXPECT_EQ(ref.repository, "library/nginx");
  EXPECT_FALSE(ref.tag);
  EXPECT_EQ(ref.manifestReference(), "latest");
  EXPECT_EQ(ref.apiHost(), "registry-1.docker.io");

  EXPECT_EQ(ImageReference::parse("docker://index.docker.io/nginx:1.25").repository, "library/nginx");
  EXPECT_EQ(ImageReference::parse("docker.io/bitnami/redis").repository, "bitnami/redis");
  EXPECT_EQ(ImageReference::parse("docker://docker.io/library/nginx:1").str(), "docker://docker.io/library/nginx:1");
  EXPECT_EQ(ImageReference::parse("user/app").registry, "docker.io");
}

TEST(Reference, HostsPortsAndPaths) {
  auto ref = ImageReference::parse("docker://127.0.0.1:5000/org/team/app:v1");
  EXPECT_EQ(ref.transport, Transport::Registry);
  EXPECT_EQ(ref.registry, "127.0.0.1:5000");
  EXPECT_EQ(ref.repository, "org/team/app");
  EXPECT_EQ(*ref.tag, "v1");
  EXPECT_EQ(ref.apiHost(), "127.0.0.1:5000");

  auto local = ImageReference::parse("localhost/app");
  EXPECT_EQ(local.registry, "localhost");
  EXPECT_EQ(local.repository, "app");

  auto quay = ImageReference::parse("quay.io/openshift/origin-cli");
  EXPECT_EQ(quay.registry, "quay.io");
  EXPECT_EQ(quay.repository, "openshift/origin-cli");
}

TEST(Reference, Ipv6Literals) {
  auto ref = ImageReference::parse("docker://[::1]:5000/app:v2");
  EXPECT_EQ(ref.registry, "[::1]:5000");
  EXPECT_EQ(ref.repository, "app");
  EXPECT_EQ(*ref.tag, "v2");
  EXPECT_EQ(ImageReference::parse("[fe80::1]/app").registry, "[fe80::1]");
  EXPECT_THROW(ImageReference::parse("[::1:5000/app"), Error);
}

TEST(Reference, TagAndDigestTogether) {
  auto ref = ImageReference::parse("quay.io/app:v1@" + kDigest);
  EXPECT_EQ(*ref.tag, "v1");
  EXPECT_EQ(ref.digest->str(), kDigest);
  EXPECT_EQ(ref.manifestReference(), kDigest);  // pulled by digest
  EXPECT_EQ(ref.str(), "docker://quay.io/app:v1@" + kDigest);
  EXPECT_EQ(ImageReference::parse(ref.str()), ref);
}

TEST(Reference, OciLayouts) {
  auto ref = ImageReference::parse("oci:/tmp/layout:v1");
  EXPECT_EQ(ref.transport, Transport::Layout);
  EXPECT_EQ(ref.layoutPath, "/tmp/layout");
  EXPECT_EQ(*ref.tag, "v1");

  auto url = ImageReference::parse("oci:///tmp/my.layout");
  EXPECT_EQ(url.layoutPath, "/tmp/my.layout");
  EXPECT_FALSE(url.tag);

  auto relative = ImageReference::parse("oci:examples/sample:multi");
  EXPECT_EQ(relative.layoutPath, "examples/sample");
  EXPECT_EQ(*relative.tag, "multi");

  auto byDigest = ImageReference::parse("oci://dir@" + kDigest);
  EXPECT_EQ(byDigest.layoutPath, "dir");
  EXPECT_EQ(byDigest.digest->str(), kDigest);
  EXPECT_EQ(ImageReference::parse(byDigest.str()), byDigest);

  // A fuzz finding: a path that begins with "//" printed as "oci://..." lost its slashes.
  auto doubleSlash = ImageReference::parse("oci:////host/dir:v1");
  EXPECT_EQ(doubleSlash.layoutPath, "//host/dir");
  EXPECT_EQ(ImageReference::parse(doubleSlash.str()), doubleSlash);
}

TEST(Reference, InvalidInputQuotesItAndSaysWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  Case cases[] = {
      {"", "empty"},
      {"Quay.io/App", "not valid"},
      {"quay.io/app:", "tag ''"},
      {"quay.io/app:-bad", "tag '-bad'"},
      {"quay.io/app@sha256:abc", "64 hex digits"},
      {"ftp://host/app", "unknown transport"},
      {"host:99999/app", "port '99999'"},
      {"quay.io/", "repository path is empty"},
      {"oci:", "layout directory is empty"},
      {"quay.io/UPPER", "lowercase"},
  };
  for (const auto& c : cases) {
    try {
      ImageReference::parse(c.text);
      ADD_FAILURE() << "accepted " << c.text;
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_NE(message.find(std::string("'") + c.text + "'"), std::string::npos) << message;
      EXPECT_NE(message.find(c.why), std::string::npos) << message;
    }
  }
}

TEST(Reference, WithTagDropsDigest) {
  auto ref = ImageReference::parse("quay.io/app:v1@" + kDigest).withTag("v2");
  EXPECT_EQ(ref.str(), "docker://quay.io/app:v2");
}

}  // namespace ferry

namespace ferry {

TEST(Reference, OciArchives) {
  auto ref = ImageReference::parse("oci-archive:/tmp/x.tar:v1");
  EXPECT_EQ(ref.transport, Transport::OciArchive);
  EXPECT_EQ(ref.layoutPath, "/tmp/x.tar");
  EXPECT_EQ(*ref.tag, "v1");
  EXPECT_EQ(ref.str(), "oci-archive:/tmp/x.tar:v1");
  EXPECT_EQ(ref.location(), "oci-archive:/tmp/x.tar");
  EXPECT_EQ(ImageReference::parse(ref.str()), ref);
  auto bare = ImageReference::parse("oci-archive:images/app.tar");
  EXPECT_EQ(bare.layoutPath, "images/app.tar");
  EXPECT_FALSE(bare.tag);
  EXPECT_TRUE(bare.isLocal());
  EXPECT_THROW(ImageReference::parse("oci-archive:"), Error);
}

TEST(Reference, DockerArchivesNameAnImageByRepoTagOrPosition) {
  auto ref = ImageReference::parse("docker-archive:/tmp/save.tar:busybox");
  EXPECT_EQ(ref.transport, Transport::DockerArchive);
  EXPECT_EQ(ref.layoutPath, "/tmp/save.tar");
  EXPECT_EQ(*ref.archiveName, "docker.io/library/busybox:latest");
  EXPECT_EQ(ref.manifestReference(), "docker.io/library/busybox:latest");
  EXPECT_EQ(ImageReference::parse(ref.str()), ref);

  auto hosted = ImageReference::parse("docker-archive:save.tar:quay.io/org/app:v2");
  EXPECT_EQ(*hosted.archiveName, "quay.io/org/app:v2");
  auto second = ImageReference::parse("docker-archive:save.tar:@1");
  EXPECT_EQ(*second.archiveIndex, 1u);
  EXPECT_EQ(second.manifestReference(), "@1");
  EXPECT_EQ(ImageReference::parse(second.str()), second);
  EXPECT_EQ(ImageReference::parse("docker-archive:save.tar").manifestReference(), "latest");
  EXPECT_THROW(ImageReference::parse("docker-archive:save.tar:@x"), Error);
  EXPECT_THROW(ImageReference::parse("docker-archive:save.tar:app@" + kDigest), Error);
}

TEST(Reference, DirDirectories) {
  auto ref = ImageReference::parse("dir:/tmp/image");
  EXPECT_EQ(ref.transport, Transport::Directory);
  EXPECT_EQ(ref.layoutPath, "/tmp/image");
  EXPECT_EQ(ref.str(), "dir:/tmp/image");
  EXPECT_THROW(ImageReference::parse("dir:"), Error);
}

TEST(Reference, UnknownTransportsAreNamedWithTheKnownOnes) {
  for (std::string text : {"containers-storage:busybox", "docker-daemon:busybox:latest", "tarball:/x.tar",
                           "sif:/x.sif", "foo://bar", "ocarchive:/x.tar"}) {
    try {
      ImageReference::parse(text);
      ADD_FAILURE() << text << " was accepted";
    } catch (const Error& e) {
      std::string message = e.what();
      EXPECT_NE(message.find("transport"), std::string::npos) << message;
      EXPECT_NE(message.find("oci-archive:, docker-archive:, dir:"), std::string::npos) << message;
      EXPECT_EQ(message.find("port after"), std::string::npos) << message;
    }
  }
  // Registry references that look a little like a prefix stay registry references.
  EXPECT_EQ(ImageReference::parse("localhost:5000/app").registry, "localhost:5000");
  EXPECT_EQ(*ImageReference::parse("nginx:1.25").tag, "1.25");
}

TEST(ReferenceErrors, ParseErrorsAreInvalidInput) {
  try {
    ImageReference::parse("docker://example.com/Bad:tag");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
  }
}
}  // namespace ferry
