#include "ferry/fbc/image_pull_spec.h"

#include <gtest/gtest.h>

namespace ferry::catalog {
namespace {

const std::string kHex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

TEST(CatalogImagePullSpec, AcceptsWhatDockerReferencesAccept) {
  for (const std::string& spec : std::vector<std::string>{
           std::string("nginx"),
           std::string("library/nginx:1.25"),
           std::string("docker.io/library/nginx:latest"),
           std::string("index.docker.io/nginx"),
           std::string("quay.io/org/repo:v1.0.0"),
           "registry.redhat.io/rhel8/postgresql-13@sha256:" + kHex64,
           "quay.io/org/repo:v1@sha256:" + kHex64,
           std::string("localhost/repo"),
           std::string("localhost:5000/a/b/c:1.0"),
           std::string("127.0.0.1:5000/repo:tag"),
           std::string("[::1]:5000/repo"),
           std::string("my-registry.example.com/a.b/c_d/e__f/g---h:TAG_1.x-y"),
           std::string("Registry.Example.com/lower/case"),
       }) {
    EXPECT_EQ(imagePullSpecProblem(spec), "") << spec;
  }
}

TEST(CatalogImagePullSpec, RejectsWhatDockerReferencesReject) {
  for (const std::string& spec : std::vector<std::string>{
           kHex64,
           std::string("quay.io/Org/repo"),
           std::string("Upper"),
           std::string("quay.io/org/repo:"),
           std::string("quay.io/org/repo@sha256:abc"),
           "quay.io/org/repo@sha256:" + kHex64.substr(0, 63) + "A",
           "quay.io/org/repo@md5:" + kHex64.substr(0, 32),
           std::string("docker://quay.io/org/repo"),
           std::string("quay.io//repo"),
           std::string("quay.io/repo/"),
           std::string("quay.io/re po"),
           std::string("quay.io/org/-repo"),
           std::string("quay.io/org/repo___x"),
           std::string("quay.io/org/repo:.tag"),
           "quay.io/org/repo:" + std::string(129, 't'),
           "quay.io/" + std::string(250, 'a'),
           std::string("quay.io:port/repo"),
           std::string("-quay.io/repo"),
       }) {
    EXPECT_NE(imagePullSpecProblem(spec), "") << spec;
  }
  EXPECT_NE(imagePullSpecProblem("quay.io/Org/repo").find("lowercase"), std::string::npos);
  EXPECT_NE(imagePullSpecProblem("q.io/r@md5:" + kHex64.substr(0, 32)).find("unsupported digest algorithm \"md5\""),
            std::string::npos);
}

}  // namespace
}  // namespace ferry::catalog
