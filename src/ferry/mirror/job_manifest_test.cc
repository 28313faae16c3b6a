// The YAML --emit-job writes, checked against the Kubernetes batch/v1 Job schema
// (kubernetes.io/docs/reference/kubernetes-api/workload-resources/job-v1/ and
// pod-v1/): every field ferry writes is one the schema has, with its type, and
// every field the schema requires is there. No cluster: the rules are written out.
#include "ferry/mirror/job_manifest.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <set>

#include "ferry/base/error.h"

namespace ferry::mirror {
namespace {

JobSpec sampleSpec() {
  JobSpec spec;
  spec.shards = 3;
  spec.image = "registry.example/ferry/ferry:0.1";
  spec.configYaml = "kind: ImageSetConfiguration\napiVersion: mirror.openshift.io/v2alpha1\nmirror: {}\n";
  spec.mirrorArgs = {"-c", kJobConfigPath, "--authfile", kJobAuthPath, "--workspace", "file:///work",
                     "docker://mirror.example:5000/ns", "--parallel", "16"};
  spec.parallel = 16;
  return spec;
}

std::vector<YAML::Node> documents(const std::string& text) { return YAML::LoadAll(text); }

// A Kubernetes quantity ("64Mi", "500m", "1").
bool isQuantity(const YAML::Node& node) {
  return node.IsScalar() && std::regex_match(node.as<std::string>(), std::regex(R"(\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?)"));
}

// ObjectMeta: name a DNS-1123 subdomain, labels a string map.
void checkMetadata(const YAML::Node& metadata, bool needsName) {
  ASSERT_TRUE(metadata.IsMap());
  std::set<std::string> allowed{"name", "namespace", "labels", "annotations"};
  for (const auto& field : metadata) EXPECT_TRUE(allowed.count(field.first.as<std::string>())) << field.first;
  if (needsName) {
    ASSERT_TRUE(metadata["name"].IsScalar());
    EXPECT_TRUE(std::regex_match(metadata["name"].as<std::string>(), std::regex("[a-z0-9]([-a-z0-9]*[a-z0-9])?")));
  }
  if (metadata["labels"])
    for (const auto& label : metadata["labels"]) {
      EXPECT_TRUE(label.second.IsScalar()) << label.first;
      EXPECT_LE(label.second.as<std::string>().size(), 63u);
    }
}

// core/v1 Container, the fields ferry writes.
void checkContainer(const YAML::Node& container, const std::set<std::string>& volumes) {
  ASSERT_TRUE(container.IsMap());
  std::set<std::string> allowed{"name", "image", "args", "command", "env", "envFrom", "resources", "volumeMounts",
                                "workingDir", "imagePullPolicy"};
  for (const auto& field : container) EXPECT_TRUE(allowed.count(field.first.as<std::string>())) << field.first;
  ASSERT_TRUE(container["name"].IsScalar());  // required
  ASSERT_TRUE(container["image"].IsScalar());
  ASSERT_TRUE(container["args"].IsSequence());
  // []string: every arg a quoted scalar, so "16" stays a string (a plain 16 is an integer, which the API refuses).
  for (const auto& arg : container["args"]) {
    EXPECT_TRUE(arg.IsScalar());
    EXPECT_EQ(arg.Tag(), "!") << arg.as<std::string>() << " is not a string scalar";
  }
  for (const auto& env : container["env"]) {
    ASSERT_TRUE(env["name"].IsScalar());
    EXPECT_TRUE(env["value"].IsScalar());
  }
  const auto& resources = container["resources"];
  ASSERT_TRUE(resources.IsMap());
  for (const auto& kind : resources) {
    EXPECT_TRUE(kind.first.as<std::string>() == "requests" || kind.first.as<std::string>() == "limits");
    for (const auto& resource : kind.second) {
      EXPECT_TRUE(resource.first.as<std::string>() == "memory" || resource.first.as<std::string>() == "cpu");
      EXPECT_TRUE(isQuantity(resource.second)) << resource.second;
    }
  }
  ASSERT_TRUE(container["volumeMounts"].IsSequence());
  for (const auto& mount : container["volumeMounts"]) {
    ASSERT_TRUE(mount["name"].IsScalar());  // required, and a volume of the pod
    EXPECT_TRUE(volumes.count(mount["name"].as<std::string>())) << mount["name"];
    ASSERT_TRUE(mount["mountPath"].IsScalar());  // required
    EXPECT_EQ(mount["mountPath"].as<std::string>().front(), '/');
    if (mount["readOnly"]) EXPECT_NO_THROW(mount["readOnly"].as<bool>());
  }
}

// batch/v1 Job: apiVersion, kind, metadata, spec.template (required) with a PodSpec whose
// restartPolicy is Never or OnFailure (a Job refuses Always), completions/parallelism integers.
void checkJob(const YAML::Node& job) {
  EXPECT_EQ(job["apiVersion"].as<std::string>(), "batch/v1");
  EXPECT_EQ(job["kind"].as<std::string>(), "Job");
  checkMetadata(job["metadata"], true);
  const auto& spec = job["spec"];
  ASSERT_TRUE(spec.IsMap());
  std::set<std::string> allowed{"completionMode", "completions", "parallelism", "backoffLimit", "template",
                                "activeDeadlineSeconds", "ttlSecondsAfterFinished"};
  for (const auto& field : spec) EXPECT_TRUE(allowed.count(field.first.as<std::string>())) << field.first;
  for (const char* integer : {"completions", "parallelism", "backoffLimit"})
    if (spec[integer]) {
      EXPECT_NO_THROW(spec[integer].as<int>()) << integer;
      EXPECT_GE(spec[integer].as<int>(), 0) << integer;
    }
  if (spec["completionMode"]) {
    auto mode = spec["completionMode"].as<std::string>();
    EXPECT_TRUE(mode == "Indexed" || mode == "NonIndexed") << mode;
  }
  const auto& pod = spec["template"];
  ASSERT_TRUE(pod.IsMap());  // required
  checkMetadata(pod["metadata"], false);
  const auto& podSpec = pod["spec"];
  auto restart = podSpec["restartPolicy"].as<std::string>();
  EXPECT_TRUE(restart == "Never" || restart == "OnFailure") << restart;
  std::set<std::string> volumes;
  ASSERT_TRUE(podSpec["volumes"].IsSequence());
  for (const auto& volume : podSpec["volumes"]) {
    ASSERT_TRUE(volume["name"].IsScalar());
    volumes.insert(volume["name"].as<std::string>());
    int sources = 0;
    if (volume["configMap"]) {
      ++sources;
      EXPECT_TRUE(volume["configMap"]["name"].IsScalar());
    }
    if (volume["secret"]) {
      ++sources;
      EXPECT_TRUE(volume["secret"]["secretName"].IsScalar());
      for (const auto& item : volume["secret"]["items"]) {
        EXPECT_TRUE(item["key"].IsScalar());  // both required in a KeyToPath
        EXPECT_TRUE(item["path"].IsScalar());
      }
    }
    if (volume["emptyDir"]) {
      ++sources;
      EXPECT_TRUE(volume["emptyDir"].IsMap());
    }
    EXPECT_EQ(sources, 1) << "a volume has exactly one source: " << volume["name"];
  }
  ASSERT_TRUE(podSpec["containers"].IsSequence());  // required, at least one
  ASSERT_GE(podSpec["containers"].size(), 1u);
  for (const auto& container : podSpec["containers"]) checkContainer(container, volumes);
}

TEST(JobManifest, TheShardAndFinalizeJobsMatchTheBatchV1JobSchema) {
  auto spec = sampleSpec();
  auto docs = documents(kubernetesJobs(spec));
  ASSERT_EQ(docs.size(), 3u);

  // The ConfigMap holds the configuration the pods mount at /config.
  EXPECT_EQ(docs[0]["apiVersion"].as<std::string>(), "v1");
  EXPECT_EQ(docs[0]["kind"].as<std::string>(), "ConfigMap");
  checkMetadata(docs[0]["metadata"], true);
  EXPECT_EQ(docs[0]["metadata"]["name"].as<std::string>(), "ferry-mirror-config");
  EXPECT_EQ(docs[0]["data"]["imageset-config.yaml"].as<std::string>(), spec.configYaml);

  checkJob(docs[1]);
  checkJob(docs[2]);
  const auto& shards = docs[1];
  EXPECT_EQ(shards["metadata"]["name"].as<std::string>(), "ferry-mirror");
  EXPECT_EQ(shards["spec"]["completionMode"].as<std::string>(), "Indexed");
  EXPECT_EQ(shards["spec"]["completions"].as<int>(), 3);
  EXPECT_EQ(shards["spec"]["parallelism"].as<int>(), 3);
  const auto& container = shards["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["image"].as<std::string>(), spec.image);
  std::vector<std::string> args;
  for (const auto& arg : container["args"]) args.push_back(arg.as<std::string>());
  std::vector<std::string> expected{"mirror"};
  expected.insert(expected.end(), spec.mirrorArgs.begin(), spec.mirrorArgs.end());
  expected.insert(expected.end(), {"--shard", "auto/3"});
  EXPECT_EQ(args, expected);
  // 25 MiB + 16 x 4 MiB, limit twice that.
  EXPECT_EQ(container["resources"]["requests"]["memory"].as<std::string>(), "89Mi");
  EXPECT_EQ(container["resources"]["limits"]["memory"].as<std::string>(), "178Mi");
  // The configuration and the registry credentials are mounted where the args say.
  std::map<std::string, std::string> mounts;
  for (const auto& mount : container["volumeMounts"]) mounts[mount["name"].as<std::string>()] = mount["mountPath"].as<std::string>();
  EXPECT_EQ(mounts["config"], "/config");
  EXPECT_EQ(mounts["auth"], "/auth");
  const auto& volumes = shards["spec"]["template"]["spec"]["volumes"];
  EXPECT_EQ(volumes[0]["configMap"]["name"].as<std::string>(), "ferry-mirror-config");
  EXPECT_EQ(volumes[1]["secret"]["secretName"].as<std::string>(), "ferry-registry-auth");
  EXPECT_EQ(volumes[1]["secret"]["items"][0]["path"].as<std::string>(), "config.json");

  const auto& finalize = docs[2];
  EXPECT_EQ(finalize["metadata"]["name"].as<std::string>(), "ferry-mirror-finalize");
  EXPECT_FALSE(finalize["spec"]["completionMode"]);
  std::vector<std::string> finalArgs;
  for (const auto& arg : finalize["spec"]["template"]["spec"]["containers"][0]["args"]) finalArgs.push_back(arg.as<std::string>());
  ASSERT_GE(finalArgs.size(), 1u);
  EXPECT_EQ(finalArgs.back(), "--finalize");
  EXPECT_EQ(std::count(finalArgs.begin(), finalArgs.end(), "--shard"), 0);
}

TEST(JobManifest, AnS3ArchiveAddsItsCredentialsSecretAndItsPartBuffersToTheMemoryRequest) {
  auto spec = sampleSpec();
  spec.s3Secret = "ferry-s3";
  spec.s3PartSize = 16 << 20;
  spec.nameSpace = "mirroring";
  auto docs = documents(kubernetesJobs(spec));
  checkJob(docs[1]);
  const auto& container = docs[1]["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["envFrom"][0]["secretRef"]["name"].as<std::string>(), "ferry-s3");
  // 25 + 16 x 4 + (2 x 16 + 1) x 16 MiB.
  EXPECT_EQ(container["resources"]["requests"]["memory"].as<std::string>(), std::to_string(25 + 64 + 33 * 16) + "Mi");
  for (const auto& doc : docs) EXPECT_EQ(doc["metadata"]["namespace"].as<std::string>(), "mirroring");
}

TEST(JobManifest, NamesKubernetesWouldRefuseAreRefusedWithTheFlag) {
  auto spec = sampleSpec();
  spec.name = "Ferry_Mirror";
  try {
    kubernetesJobs(spec);
    FAIL() << "an upper-case name was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--job-name 'Ferry_Mirror'"), std::string::npos) << e.what();
  }
  spec = sampleSpec();
  spec.shards = 0;
  EXPECT_THROW(kubernetesJobs(spec), Error);
  spec = sampleSpec();
  spec.image.clear();
  EXPECT_THROW(kubernetesJobs(spec), Error);
}

}  // namespace
}  // namespace ferry::mirror
