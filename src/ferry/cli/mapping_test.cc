#include "ferry/cli/mapping.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry {

TEST(Mapping, ParsesPairsCommentsAndBlankLines) {
  auto requests = parseMapping(
      "# images for the cluster\n"
      "\n"
      "quay.io/a/b:v1=127.0.0.1:5000/mirror/b:v1\n"
      "  docker://quay.io/c/d:v2 = oci:/tmp/out:d   # trailing comment\n",
      "mapping.txt");
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].source.repository, "a/b");
  EXPECT_EQ(requests[0].destination.registry, "127.0.0.1:5000");
  EXPECT_EQ(*requests[0].destination.tag, "v1");
  EXPECT_EQ(requests[1].destination.transport, Transport::Layout);
  EXPECT_EQ(*requests[1].destination.tag, "d");
}

TEST(Mapping, DestinationTakesTheSourceTag) {
  EXPECT_EQ(*makeCopyRequest("quay.io/a:v3", "127.0.0.1:5000/a").destination.tag, "v3");
  EXPECT_EQ(*makeCopyRequest("quay.io/a", "127.0.0.1:5000/a").destination.tag, "latest");
  auto byDigest = makeCopyRequest(
      "quay.io/a@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "127.0.0.1:5000/a");
  EXPECT_FALSE(byDigest.destination.tag);
}

TEST(Mapping, ErrorsNameFileAndLine) {
  try {
    parseMapping("a:v1=b:v1\nnot a pair\n", "m.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.txt:2:"), std::string::npos) << e.what();
  }
  try {
    parseMapping("a:v1=B@@:v1\n", "m.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("m.txt:1: invalid image reference"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parseMapping("# nothing\n", "m.txt"), Error);
}

}  // namespace ferry
