#include "ferry/base/log.h"

#include <gtest/gtest.h>

#include "ferry/base/files.h"

namespace ferry::log {

TEST(Log, LevelsParseAsOcMirrorSpellsThem) {
  EXPECT_EQ(parseLevel("error"), Level::Error);
  EXPECT_EQ(parseLevel("warn"), Level::Warn);
  EXPECT_EQ(parseLevel("WARNING"), Level::Warn);
  EXPECT_EQ(parseLevel("Info"), Level::Info);
  EXPECT_EQ(parseLevel("debug"), Level::Debug);
  EXPECT_EQ(parseLevel("trace"), Level::Trace);
  EXPECT_EQ(parseLevel("verbose"), std::nullopt);
  EXPECT_EQ(levelName(Level::Debug), "debug");
}

TEST(Log, TheFileGetsItsLevelAndAboveAndNothingIsFormattedBelowIt) {
  TemporaryDirectory dir;
  auto file = dir.path() / "logs" / "ferry.log";
  setStderrLevel(Level::Off);
  openFile(file, Level::Debug);
  EXPECT_TRUE(enabled(Level::Debug));
  EXPECT_FALSE(enabled(Level::Trace));
  debug("GET {} -> {}", "/v2/", 200);
  trace("not written");
  closeFile();
  setStderrLevel(Level::Warn);
  EXPECT_FALSE(enabled(Level::Debug));
  auto text = readFile(file);
  EXPECT_NE(text.find("debug GET /v2/ -> 200"), std::string::npos) << text;
  EXPECT_EQ(text.find("not written"), std::string::npos) << text;
}

TEST(Log, UrlsLoseUserInfoAndQueryValuesThatMayBeSecret) {
  EXPECT_EQ(redactUrl("https://user:secret@quay.io/v2/"), "https://quay.io/v2/");
  EXPECT_EQ(redactUrl("https://s3.example/blob?X-Amz-Signature=abc&X-Amz-Credential=key"),
            "https://s3.example/blob?X-Amz-Signature=...&X-Amz-Credential=...");
  EXPECT_EQ(redactUrl("https://r.example/v2/a/blobs/uploads/1?_state=xyz&digest=sha256:00"),
            "https://r.example/v2/a/blobs/uploads/1?_state=...&digest=sha256:00");
  EXPECT_EQ(redactUrl("https://auth.example/token?service=r&scope=repository:a:pull&account=me"),
            "https://auth.example/token?service=r&scope=repository:a:pull&account=...");
  EXPECT_EQ(redactUrl("/v2/a/tags/list?n=100"), "/v2/a/tags/list?n=100");
  EXPECT_EQ(redactUrl("http://127.0.0.1:5000/v2/"), "http://127.0.0.1:5000/v2/");
}

TEST(Log, AuthorizationHeadersKeepTheirSchemeOnly) {
  EXPECT_EQ(redactHeader("Authorization: Bearer eyJhbGciOi.secret"), "Authorization: Bearer <redacted>");
  EXPECT_EQ(redactHeader("authorization: Basic dGVzdHVzZXI6dGVzdHBhc3M="), "authorization: Basic <redacted>");
  EXPECT_EQ(redactHeader("Set-Cookie: session=1"), "Set-Cookie: <redacted>");
  EXPECT_EQ(redactHeader("Location: https://s3/x?sig=1"), "Location: https://s3/x?sig=...");
  EXPECT_EQ(redactHeader("Content-Type: application/json"), "Content-Type: application/json");
}

}  // namespace ferry::log
