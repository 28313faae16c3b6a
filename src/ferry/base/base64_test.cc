#include "ferry/base/base64.h"

#include <gtest/gtest.h>

namespace ferry {

TEST(Base64, RoundTripsAllLengths) {
  std::string text;
  for (int i = 0; i < 10; ++i) {
    auto decoded = base64Decode(base64Encode(text));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, text);
    text.push_back(static_cast<char>('a' + i));
  }
}

TEST(Base64, KnownValues) {
  EXPECT_EQ(base64Encode("user:pass"), "dXNlcjpwYXNz");
  EXPECT_EQ(*base64Decode("dXNlcjpwYXNz"), "user:pass");
  EXPECT_EQ(*base64Decode("dXNlcg"), "user");  // padding omitted
  EXPECT_FALSE(base64Decode("!!!!").has_value());
  EXPECT_EQ(base64UrlEncode(std::string("\xfb\xff", 2)), "-_8");
}

}  // namespace ferry
