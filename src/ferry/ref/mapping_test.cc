#include "ferry/ref/mapping.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry {
namespace {

std::string errorOf(std::string_view text) {
  try {
    parseImageMappings(text, "m.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(ImageMappings, ReadsPairsAsWritten) {
  auto mappings = parseImageMappings(
      "# a comment\r\n"
      "\n"
      "\tquay.io/a/b:v1 =  oci:/tmp/out=x:b  # the first '=' separates\r\n"
      "quay.io/c/d@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855=m:5000/c/d",  // no newline
      "m.txt");
  ASSERT_EQ(mappings.size(), 2u);
  EXPECT_EQ(mappings[0].source, ImageReference::parse("quay.io/a/b:v1"));
  EXPECT_EQ(mappings[0].destination, ImageReference::parse("oci:/tmp/out=x:b"));
  EXPECT_FALSE(mappings[1].destination.tag);  // no default filled in
  EXPECT_TRUE(parseImageMappings("", "m.txt").empty());
  EXPECT_TRUE(parseImageMappings("# only\n\n", "m.txt").empty());
}

TEST(ImageMappings, ErrorsNameFileAndLine) {
  EXPECT_NE(errorOf("a:v1=b:v1\n\nno pair\n").find("m.txt:3: expected SOURCE=DESTINATION, got 'no pair'"),
            std::string::npos);
  EXPECT_NE(errorOf("a:v1=B@@:v1\n").find("m.txt:1: invalid image reference"), std::string::npos);
}

TEST(ImageMappings, LinesReadBackOrAreRefused) {
  auto line = imageMappingLine("docker://quay.io/a/b:v1", "oci:/tmp/a=b:v1");
  EXPECT_EQ(line, "docker://quay.io/a/b:v1=oci:/tmp/a=b:v1");
  auto back = parseImageMappings(line, "m.txt");
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].destination, ImageReference::parse("oci:/tmp/a=b:v1"));
  EXPECT_THROW(imageMappingLine("oci:/tmp/a=b", "m:5000/a/b:v1"), Error);
  EXPECT_THROW(imageMappingLine("quay.io/a/b:v1", "oci:/tmp/x#y"), Error);
  EXPECT_THROW(imageMappingLine("quay.io/a/b:v1", "oci:/tmp/x\ny"), Error);
  EXPECT_THROW(imageMappingLine(" quay.io/a/b:v1", "m:5000/a/b:v1"), Error);
}

}  // namespace
}  // namespace ferry
