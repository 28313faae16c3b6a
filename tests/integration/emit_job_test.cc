// `ferry mirror --emit-job N` from the command line: the pods' arguments are the
// ones given, with the configuration, credentials and workspace where the Job
// mounts them (the YAML's schema is checked in src/ferry/mirror/job_manifest_test.cc).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "ferry/base/files.h"
#include "integration/ferry_test_env.h"

namespace ferry::testing {
namespace {

TEST(EmitJob, WritesTheConfigMapAndJobsWithThePodArgumentsRewritten) {
  TemporaryDirectory work("ferry-emit-job");
  auto config = work.path() / "isc.yaml";
  std::string text = "kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror:\n"
                     "  additionalImages:\n  - name: quay.io/example/app:1\n";
  writeFileAtomically(config, text);
  auto output = work.path() / "jobs.yaml";
  auto run = runFerry({"mirror", "--emit-job", "3", "--job-image=registry.example/ferry:0.1", "-c", config.string(),
                       "--authfile", "/home/me/auth.json", "--parallel", "4", "--job-output", output.string(),
                       "docker://mirror.example:5000/ocp"});
  ASSERT_EQ(run.exitCode, 0) << run.err;
  auto docs = YAML::LoadAll(readFile(output));
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_EQ(docs[0]["data"]["imageset-config.yaml"].as<std::string>(), text);
  std::vector<std::string> args;
  for (const auto& arg : docs[1]["spec"]["template"]["spec"]["containers"][0]["args"]) args.push_back(arg.as<std::string>());
  EXPECT_EQ(args, (std::vector<std::string>{"mirror", "-c", "/config/imageset-config.yaml", "--parallel", "4",
                                            "docker://mirror.example:5000/ocp", "--authfile", "/auth/config.json",
                                            "--workspace", "file:///work", "--shard", "auto/3"}));
  EXPECT_EQ(docs[1]["spec"]["completions"].as<int>(), 3);
  // 25 MiB + 4 x 4 MiB.
  EXPECT_EQ(docs[1]["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"].as<std::string>(),
            "41Mi");

  // Mirror-to-disk into s3://: every shard writes parts of its own, so there is no finalize Job.
  auto toS3 = runFerry({"mirror", "--emit-job", "2", "--job-image", "registry.example/ferry:0.1", "-c",
                        config.string(), "--workspace", "file:///tmp/ws", "s3://archives/nightly"});
  ASSERT_EQ(toS3.exitCode, 0) << toS3.err;
  auto toS3Docs = YAML::LoadAll(toS3.out);
  ASSERT_EQ(toS3Docs.size(), 2u) << toS3.out;
  std::vector<std::string> toS3Args;
  for (const auto& arg : toS3Docs[1]["spec"]["template"]["spec"]["containers"][0]["args"])
    toS3Args.push_back(arg.as<std::string>());
  EXPECT_EQ(toS3Args.back(), "auto/2");
  EXPECT_NE(std::find(toS3Args.begin(), toS3Args.end(), "s3://archives/nightly"), toS3Args.end());

  // An s3:// source: the pods get the AWS Secret and the part buffers in their memory request.
  auto s3 = runFerry({"mirror", "--emit-job", "2", "--job-image", "registry.example/ferry:0.1", "-c", config.string(),
                      "--s3-part-size", "8MiB", "--from", "s3://archives/nightly", "--workspace", "file:///tmp/ws",
                      "docker://mirror.example:5000/ocp"});
  ASSERT_EQ(s3.exitCode, 0) << s3.err;
  auto s3Docs = YAML::LoadAll(s3.out);
  const auto& container = s3Docs[1]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), "ferry-s3-credentials");
  EXPECT_EQ(container["resources"]["requests"]["memory"].as<std::string>(), std::to_string(25 + 32 + 17 * 8) + "Mi");

  // A local archive cannot be reached from the pods.
  auto local = runFerry({"mirror", "--emit-job", "2", "--job-image", "x", "-c", config.string(), "file:///tmp/a"});
  EXPECT_NE(local.exitCode, 0);
  EXPECT_NE(local.err.find("cannot reach the local archive 'file:///tmp/a'"), std::string::npos) << local.err;
  auto noImage = runFerry({"mirror", "--emit-job", "2", "-c", config.string(), "docker://mirror.example/ocp"});
  EXPECT_NE(noImage.exitCode, 0);
  EXPECT_NE(noImage.err.find("--job-image"), std::string::npos) << noImage.err;
}

}  // namespace
}  // namespace ferry::testing
