// The S3 client against the tests' S3 server (support/s3_server.h), which checks
// every SigV4 signature and payload hash itself.
#include "ferry/s3/s3_client.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "ferry/base/error.h"
#include "support/s3_server.h"

namespace ferry {
namespace {

using testing::S3Server;

S3Settings settingsFor(const S3Server& server, std::string secret = S3Server::kSecretKey) {
  S3Settings settings;
  settings.endpoint = server.url();
  settings.accessKeyId = S3Server::kAccessKey;
  settings.secretAccessKey = std::move(secret);
  settings.credentialSource = "the test";
  settings.retry.times = 1;
  settings.retry.delay = std::chrono::milliseconds(1);
  return settings;
}

TEST(S3Location, ParsesBucketAndPrefixAndRefusesWhatIsNoBucket) {
  auto location = S3Location::parse("s3://archives/nightly/x/");
  ASSERT_TRUE(location);
  EXPECT_EQ(location->bucket, "archives");
  EXPECT_EQ(location->prefix, "nightly/x");
  EXPECT_EQ(location->key("mirror_000001.tar"), "nightly/x/mirror_000001.tar");
  EXPECT_EQ(location->str(), "s3://archives/nightly/x");
  EXPECT_EQ(S3Location::parse("s3://archives")->key("a"), "a");
  EXPECT_FALSE(S3Location::parse("file:///tmp"));
  EXPECT_THROW(S3Location::parse("s3://Upper_Case/x"), Error);
  EXPECT_THROW(S3Location::parse("s3:///x"), Error);
  EXPECT_THROW(S3Location::parse("s3://bucket//x"), Error);
}

TEST(S3Client, PutsGetsRangesListsInPagesAndDeletes) {
  S3Server server;
  server.createBucket("b1");
  server.setMaxKeys(2);
  S3Client s3(settingsFor(server), "b1");
  for (int i = 0; i < 5; ++i) s3.putObject("p/obj" + std::to_string(i), std::string(100 + i, 'a' + i));
  s3.putObject("p/deeper/x", "x");
  s3.putObject("q/other", "y");
  auto listed = s3.list("p/");
  ASSERT_EQ(listed.size(), 5u);  // three pages of 2; "p/deeper/" is a level further down
  EXPECT_EQ(listed[4].key, "p/obj4");
  EXPECT_EQ(listed[4].size, 104);
  EXPECT_EQ(s3.list("p/", "").size(), 6u);
  EXPECT_EQ(s3.objectSize("p/obj2"), 102);
  EXPECT_FALSE(s3.objectSize("p/none"));
  EXPECT_EQ(s3.getRangeBytes("p/obj3", 10, 5), std::string(5, 'd'));
  s3.deleteObject("p/obj3");
  EXPECT_FALSE(s3.objectSize("p/obj3"));
  EXPECT_EQ(server.refusedSignatures(), 0);
}

TEST(S3Client, AWrongSecretIsRefusedWithTheBucketTheEndpointAndTheFix) {
  S3Server server;
  server.createBucket("b1");
  S3Client s3(settingsFor(server, "wrong"), "b1");
  try {
    s3.putObject("k", "v");
    FAIL() << "a wrong secret was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
    std::string message = e.what();
    EXPECT_NE(message.find("SignatureDoesNotMatch"), std::string::npos) << message;
    EXPECT_NE(message.find("bucket 'b1' at " + server.url()), std::string::npos) << message;
    EXPECT_NE(message.find("check the credentials"), std::string::npos) << message;
  }
  EXPECT_EQ(server.refusedSignatures(), 1);  // 403 is not asked again
}

TEST(S3Client, AMultipartUploadIsAnObjectOnlyOnceCompleteAndNothingOnceAborted) {
  S3Server server;
  server.createBucket("b1");
  S3Client s3(settingsFor(server), "b1");
  std::string first(S3Server::kMinPartSize, 'x'), second = "tail";
  auto id = s3.createMultipartUpload("a/part.tar");
  auto etag1 = s3.uploadPart("a/part.tar", id, 1, first);
  auto etag2 = s3.uploadPart("a/part.tar", id, 2, second);
  EXPECT_TRUE(server.objectKeys("b1").empty());
  s3.completeMultipartUpload("a/part.tar", id, {etag1, etag2});
  EXPECT_EQ(server.object("b1", "a/part.tar"), first + second);

  auto other = s3.createMultipartUpload("a/cut.tar");
  s3.uploadPart("a/cut.tar", other, 1, first);
  EXPECT_EQ(s3.abortMultipartUpload("a/cut.tar", other), "");
  EXPECT_EQ(server.pendingUploads(), 0u);
  EXPECT_EQ(server.objectKeys("b1"), std::vector<std::string>{"a/part.tar"});

  // S3's minimum part size, enforced by the server as by AWS.
  auto small = s3.createMultipartUpload("a/small.tar");
  auto tiny1 = s3.uploadPart("a/small.tar", small, 1, "tiny");
  auto tiny2 = s3.uploadPart("a/small.tar", small, 2, "tiny");
  EXPECT_THROW(s3.completeMultipartUpload("a/small.tar", small, {tiny1, tiny2}), Error);
}

TEST(S3Client, AMissingBucketIsNamed) {
  S3Server server;
  S3Client s3(settingsFor(server), "nobucket");
  try {
    s3.list("");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::NotFound);
    EXPECT_NE(std::string(e.what()).find("S3 bucket 'nobucket' does not exist at " + server.url()), std::string::npos)
        << e.what();
  }
}

// The variables and files, as the AWS CLI reads them.
class S3SettingsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                             "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
                             "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "HOME"}) {
      if (const char* value = std::getenv(name)) saved_.emplace_back(name, value);
      ::unsetenv(name);
    }
    home_ = std::filesystem::temp_directory_path() / ("ferry-s3-settings-" + std::to_string(::getpid()));
    std::filesystem::create_directories(home_ / ".aws");
    ::setenv("HOME", home_.c_str(), 1);
    setS3Overrides({});
  }
  void TearDown() override {
    ::unsetenv("HOME");
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
    std::filesystem::remove_all(home_);
    setS3Overrides({});
  }
  void write(const std::string& name, const std::string& text) { std::ofstream(home_ / ".aws" / name) << text; }

  std::filesystem::path home_;
  std::vector<std::pair<std::string, std::string>> saved_;
};

TEST_F(S3SettingsTest, VariablesWinOverTheProfileAndAWSGetsVirtualHostedAddressing) {
  write("credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = FILESECRET\n");
  ::setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "ENVSECRET", 1);
  ::setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  ::setenv("AWS_DEFAULT_REGION", "eu-west-1", 1);
  auto settings = S3Settings::resolve();
  EXPECT_EQ(settings.accessKeyId, "ENVKEY");
  EXPECT_EQ(settings.sessionToken, "TOKEN");
  EXPECT_EQ(settings.region, "eu-west-1");
  EXPECT_EQ(settings.endpoint, "https://s3.eu-west-1.amazonaws.com");
  EXPECT_FALSE(settings.pathStyle);
}

TEST_F(S3SettingsTest, AProfileGivesCredentialsRegionAndEndpointAndFlagsWin) {
  write("credentials", "[default]\naws_access_key_id = D\naws_secret_access_key = DS\n[ci]\n"
                       "aws_access_key_id = CIKEY\naws_secret_access_key = CISECRET\n");
  write("config", "[profile ci]\nregion = ap-south-1\nendpoint_url = http://minio.local:9000/\n");
  ::setenv("AWS_PROFILE", "ci", 1);
  auto settings = S3Settings::resolve();
  EXPECT_EQ(settings.accessKeyId, "CIKEY");
  EXPECT_EQ(settings.secretAccessKey, "CISECRET");
  EXPECT_EQ(settings.region, "ap-south-1");
  EXPECT_EQ(settings.endpoint, "http://minio.local:9000");
  EXPECT_TRUE(settings.pathStyle);
  EXPECT_NE(settings.credentialSource.find("profile 'ci'"), std::string::npos);

  ::setenv("AWS_ENDPOINT_URL_S3", "http://s3.local", 1);
  EXPECT_EQ(S3Settings::resolve().endpoint, "http://s3.local");
  setS3Overrides({.endpoint = "https://flag.example", .pathStyle = false, .region = "us-west-2"});
  settings = S3Settings::resolve();
  EXPECT_EQ(settings.endpoint, "https://flag.example");
  EXPECT_EQ(settings.region, "us-west-2");
  EXPECT_FALSE(settings.pathStyle);
}

TEST_F(S3SettingsTest, NoCredentialsSaysWhereItLooked) {
  try {
    S3Settings::resolve();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unauthorized);
    EXPECT_NE(std::string(e.what()).find("AWS_ACCESS_KEY_ID"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(".aws/credentials"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ferry
