#include "ferry/mirror/mapping_file.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/cli/mapping.h"
#include "ferry/mirror/naming.h"

namespace ferry::mirror {
namespace {

const std::string kHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// What a mirror plan produces for a few kinds of source.
std::vector<MappingEntry> planned() {
  auto root = DestinationRoot::parse("docker://mirror.example.com:5000/ocp");
  std::vector<MappingEntry> entries;
  for (const std::string& source : std::vector<std::string>{"quay.io/org/app:v1", "quay.io/org/app@sha256:" + kHex,
                                                            "registry.redhat.io/ubi9/ubi:9.4@sha256:" + kHex,
                                                            "nginx:1.25", "[fd00::1]:5000/team/x:v2"}) {
    auto reference = ImageReference::parse(source);
    entries.push_back({reference, destinationFor(reference, root)});
  }
  return entries;
}

TEST(MappingTxt, WritesOcMirrorLines) {
  std::string text = formatMappingTxt(planned());
  EXPECT_EQ(text,
            "docker://quay.io/org/app:v1=docker://mirror.example.com:5000/ocp/org/app:v1\n"
            "docker://quay.io/org/app@sha256:" +
                kHex + "=docker://mirror.example.com:5000/ocp/org/app:sha256-" + kHex +
                "\n"
                "docker://registry.redhat.io/ubi9/ubi@sha256:" +
                kHex +
                "=docker://mirror.example.com:5000/ocp/ubi9/ubi:9.4\n"
                "docker://docker.io/library/nginx:1.25=docker://mirror.example.com:5000/ocp/library/nginx:1.25\n"
                "docker://[fd00::1]:5000/team/x:v2=docker://mirror.example.com:5000/ocp/team/x:v2\n");
}

TEST(MappingTxt, RoundTripsThroughAFile) {
  TemporaryDirectory directory;
  auto entries = planned();
  auto path = directory.path() / "dry-run" / "mapping.txt";
  writeMappingTxt(path, entries);
  auto read = readMappingTxt(path);
  ASSERT_EQ(read.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    EXPECT_EQ(read[i].source, pullReferenceFor(entries[i].source)) << i;
    EXPECT_EQ(read[i].destination, entries[i].destination) << i;
  }
  // Layouts on either side survive too.
  std::vector<MappingEntry> layouts = {
      {ImageReference::parse("oci:/tmp/in/catalog:v1"), ImageReference::parse("docker://mirror:5000/ns/catalog:v1")},
      {ImageReference::parse("quay.io/a/b:v1"), ImageReference::parse("oci:/tmp/out:b")}};
  EXPECT_EQ(parseMappingTxt(formatMappingTxt(layouts), "m.txt"), layouts);
}

TEST(MappingTxt, LoadableByFerryCopy) {
  auto entries = planned();
  auto requests = ferry::parseMapping(formatMappingTxt(entries), "mapping.txt");
  ASSERT_EQ(requests.size(), entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(requests[i].source, pullReferenceFor(entries[i].source));
    EXPECT_EQ(requests[i].destination, entries[i].destination);
  }
  // The digest-only image is pulled by digest and pushed under its sha256- tag.
  EXPECT_EQ(requests[1].source.digest->str(), "sha256:" + kHex);
  EXPECT_EQ(*requests[1].destination.tag, "sha256-" + kHex);
  // The tag+digest image is pulled by digest and pushed with its tag.
  EXPECT_FALSE(requests[2].source.tag);
  EXPECT_EQ(*requests[2].destination.tag, "9.4");
}

TEST(MappingTxt, ReadsCommentsAndBlankLinesAndEmptyFiles) {
  auto entries = parseMappingTxt("# planned by ferry\n\n  docker://quay.io/a/b:v1 = docker://m:5000/a/b:v1  # note\n",
                                 "mapping.txt");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].source.str(), "docker://quay.io/a/b:v1");
  EXPECT_EQ(entries[0].destination.str(), "docker://m:5000/a/b:v1");
  EXPECT_TRUE(parseMappingTxt("", "mapping.txt").empty());
}

TEST(MappingTxt, ErrorsNameFileAndLine) {
  try {
    parseMappingTxt("quay.io/a/b:v1=m:5000/a/b:v1\nno pair here\n", "dry-run/mapping.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("dry-run/mapping.txt:2: expected SOURCE=DESTINATION"), std::string::npos)
        << e.what();
  }
  try {
    parseMappingTxt("quay.io/A/b:v1=m:5000/a/b:v1\n", "mapping.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mapping.txt:1: invalid image reference"), std::string::npos) << e.what();
  }
}

TEST(MappingTxt, RefusesWhatCannotBeReadBack) {
  MappingEntry equalsInSource{ImageReference::parse("oci:/tmp/a=b"), ImageReference::parse("m:5000/a/b:v1")};
  EXPECT_THROW(mappingLine(equalsInSource), Error);
  MappingEntry hash{ImageReference::parse("quay.io/a/b:v1"), ImageReference::parse("oci:/tmp/x#y")};
  EXPECT_THROW(mappingLine(hash), Error);
  // '=' on the destination side is fine: only the first '=' separates.
  MappingEntry equalsInDestination{ImageReference::parse("quay.io/a/b:v1"), ImageReference::parse("oci:/tmp/a=b:v1")};
  EXPECT_EQ(parseMappingTxt(mappingLine(equalsInDestination), "m")[0], equalsInDestination);
}

}  // namespace
}  // namespace ferry::mirror
