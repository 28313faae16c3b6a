#include "ferry/copy/attachments.h"

#include <gtest/gtest.h>

namespace ferry {
namespace {

TEST(Attachments, CosignTagsAndTheReferrersFallbackTagOfEachSubjectAreFound) {
  auto subject = Digest::sha256Of("image");
  auto child = Digest::sha256Of("child");
  auto other = Digest::sha256Of("other");
  std::string hex(subject.hex()), childHex(child.hex()), otherHex(other.hex());
  std::vector<std::string> tags{"v1",
                                "sha256-" + hex + ".sig",
                                "sha256-" + hex,
                                "sha256-" + hex + ".att",
                                "sha256-" + childHex + ".sbom",
                                "sha256-" + otherHex + ".sig",   // another image's signature
                                "sha256-" + hex + ".sig.bak",    // not cosign's
                                "sha256-" + hex.substr(0, 12)};  // a prefix is no subject
  EXPECT_EQ(attachmentTagsFor(tags, {subject, child}),
            (std::vector<std::string>{"sha256-" + hex + ".sig", "sha256-" + hex, "sha256-" + hex + ".att",
                                      "sha256-" + childHex + ".sbom"}));
  EXPECT_TRUE(attachmentTagsFor(tags, {}).empty());
}

}  // namespace
}  // namespace ferry
