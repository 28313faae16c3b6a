#include "ferry/registry/credential_helper.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>

#include "ferry/base/files.h"

namespace ferry {
namespace {

TEST(CredentialHelper, ParsesTheHelperAnswer) {
  auto answer = parseHelperOutput(R"({"ServerURL":"quay.io","Username":"robot","Secret":"s3cret"})");
  EXPECT_EQ(answer.outcome, HelperResult::Outcome::Found);
  EXPECT_EQ(answer.username, "robot");
  EXPECT_EQ(answer.secret, "s3cret");
  EXPECT_FALSE(answer.isIdentityToken());

  auto token = parseHelperOutput(R"({"ServerURL":"acr.example","Username":"<token>","Secret":"refresh"})");
  EXPECT_EQ(token.outcome, HelperResult::Outcome::Found);
  EXPECT_TRUE(token.isIdentityToken());

  EXPECT_EQ(parseHelperOutput(R"({"ServerURL":"quay.io","Username":"","Secret":""})").outcome,
            HelperResult::Outcome::NotFound);
}

TEST(CredentialHelper, OutputThatIsNotTheJsonFailsWithoutQuotingIt) {
  for (std::string output : {"user=robot secret=s3cret", "[\"s3cret\"]", ""}) {
    auto answer = parseHelperOutput(output);
    EXPECT_EQ(answer.outcome, HelperResult::Outcome::Failed) << output;
    EXPECT_EQ(answer.detail.find("s3cret"), std::string::npos) << answer.detail;
  }
}

TEST(CredentialHelper, RecognisesNotFound) {
  EXPECT_TRUE(helperSaysNotFound("credentials not found in native keychain\n"));
  EXPECT_FALSE(helperSaysNotFound("error: the vault is sealed"));
}

// Runs real helper scripts from a folder put first in PATH.
class CredentialHelperProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("PATH");
    savedPath_ = path ? path : "";
    setenv("PATH", (directory_.path().string() + ":" + savedPath_).c_str(), 1);
  }
  void TearDown() override { setenv("PATH", savedPath_.c_str(), 1); }

  void writeHelper(const std::string& name, const std::string& script) {
    auto path = directory_.path() / ("docker-credential-" + name);
    writeFileAtomically(path, "#!/bin/sh\n" + script);
    ::chmod(path.c_str(), 0755);
  }

  TemporaryDirectory directory_;
  std::string savedPath_;
};

TEST_F(CredentialHelperProcess, AsksWithGetAndTheServerOnStdin) {
  writeHelper("echo", R"(
[ "$1" = get ] || { echo "expected get, got $1" >&2; exit 2; }
read -r server
[ "$server" = "127.0.0.1:5000" ] || { echo "asked for $server" >&2; exit 2; }
printf '{"ServerURL":"%s","Username":"robot","Secret":"s3cret"}\n' "$server"
)");
  auto answer = runCredentialHelper("echo", "127.0.0.1:5000");
  ASSERT_EQ(answer.outcome, HelperResult::Outcome::Found) << answer.detail;
  EXPECT_EQ(answer.username, "robot");
  EXPECT_EQ(answer.secret, "s3cret");

  auto wrong = runCredentialHelper("echo", "quay.io");
  EXPECT_EQ(wrong.outcome, HelperResult::Outcome::Failed);
  EXPECT_NE(wrong.detail.find("status 2"), std::string::npos) << wrong.detail;
  EXPECT_NE(wrong.detail.find("asked for quay.io"), std::string::npos) << wrong.detail;
}

TEST_F(CredentialHelperProcess, NotFoundMissingAndSlowHelpers) {
  writeHelper("empty", "echo 'credentials not found in native keychain'; exit 1\n");
  EXPECT_EQ(runCredentialHelper("empty", "quay.io").outcome, HelperResult::Outcome::NotFound);
  EXPECT_EQ(runCredentialHelper("no-such-helper", "quay.io").outcome, HelperResult::Outcome::NotInstalled);

  writeHelper("slow", "exec sleep 10\n");
  auto start = std::chrono::steady_clock::now();
  auto slow = runCredentialHelper("slow", "quay.io", std::chrono::seconds(1));
  EXPECT_EQ(slow.outcome, HelperResult::Outcome::Failed);
  EXPECT_NE(slow.detail.find("did not answer"), std::string::npos) << slow.detail;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(CredentialHelperProcess, AHelperThatIgnoresItsInputIsFine) {
  writeHelper("deaf", R"(printf '{"Username":"u","Secret":"s"}')" "\n");
  EXPECT_EQ(runCredentialHelper("deaf", std::string(1000, 'x')).outcome, HelperResult::Outcome::Found);
}

}  // namespace
}  // namespace ferry
