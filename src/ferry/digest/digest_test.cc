#include "ferry/digest/digest.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry {

const std::string kEmptySha256 = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, HashesKnownValues) {
  EXPECT_EQ(Digest::sha256Of("").str(), kEmptySha256);
  Hasher sha512("sha512");
  sha512.update("abc");
  EXPECT_EQ(sha512.finish().str(),
            "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd"
            "454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Digest, StreamingEqualsOneShot) {
  Hasher hasher;
  hasher.update("hello ");
  hasher.update("world");
  EXPECT_EQ(hasher.bytesHashed(), 11u);
  EXPECT_EQ(hasher.finish(), Digest::sha256Of("hello world"));
}

TEST(Digest, ParsesAndSplits) {
  auto digest = Digest::parse(kEmptySha256);
  EXPECT_EQ(digest.algorithm(), "sha256");
  EXPECT_EQ(digest.hex().size(), 64u);
  EXPECT_EQ(digest.blobPath(), std::filesystem::path("sha256") / std::string(digest.hex()));
}

TEST(Digest, RefusesAnythingThatIsNotExactlyValid) {
  const char* bad[] = {
      "",
      "sha256",
      "sha256:",
      "md5:d41d8cd98f00b204e9800998ecf8427e",
      "sha256:E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",  // uppercase
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",    // 63
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555",  // 65
      "sha256:../../../../etc/passwd/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "sha512:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  // sha256 length
  };
  for (const char* text : bad) {
    EXPECT_FALSE(Digest::tryParse(text).has_value()) << text;
    EXPECT_THROW(Digest::parse(text), Error) << text;
  }
}

TEST(Digest, ErrorQuotesTheInput) {
  try {
    Digest::parse("sha256:abc");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "invalid digest 'sha256:abc': a sha256 digest has 64 hex digits, this one has 3");
  }
}

}  // namespace ferry
