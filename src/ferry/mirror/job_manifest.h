// `ferry mirror --emit-job N` (docs/scale.md): the Kubernetes objects that run
// one mirror as N shards of an Indexed Job and a finalize Job.
//
//   kubectl apply -f jobs.yaml          # the ConfigMap and both Jobs
//
// Written: a ConfigMap holding the ImageSetConfiguration; the shard Job
// (batch/v1, completionMode Indexed, completions = parallelism = N) whose pod
// index i runs `ferry mirror ... --shard auto/N` (ferry reads i from
// JOB_COMPLETION_INDEX, which Kubernetes sets for Indexed Jobs); the finalize
// Job running `ferry mirror ... --finalize`, which refuses (and the Job
// retries, backoffLimit) until every shard is done. Mirror-to-disk into s3://
// has no finalize Job: each shard writes complete parts of its own. Registry credentials come
// from a Secret the user creates (a docker config.json, mounted as the
// --authfile); s3:// archives take AWS credentials from a second Secret as
// environment variables. Memory requests follow the documented bound
// (docs/design.md, "Streaming and memory"): 25 MiB + --parallel x 4 MiB, plus
// (2 x --parallel + 1) x --s3-part-size for an s3:// archive, with a limit twice that.
#pragma once

#include <string>
#include <vector>

namespace ferry::mirror {

struct JobSpec {
  int shards = 1;
  std::string name = "ferry-mirror";  // the shard Job; "<name>-finalize", "<name>-config" for the others
  std::string nameSpace;               // metadata.namespace; empty: the one kubectl uses
  std::string image;                   // the ferry container image
  std::string registrySecret = "ferry-registry-auth";  // holds config.json
  std::string s3Secret;                // when set: envFrom this Secret (AWS_ACCESS_KEY_ID, …)
  std::string configYaml;              // the ImageSetConfiguration's text
  // `ferry mirror` arguments shared by shards and finalize (after "mirror"):
  // the configuration as /config/imageset-config.yaml, credentials as /auth/config.json.
  std::vector<std::string> mirrorArgs;
  int parallel = 8;
  int64_t s3PartSize = 0;  // bytes; 0 when no s3:// archive is involved
  // Mirror-to-disk into s3://: each shard writes parts of its own, so there is no finalize Job.
  bool finalizeJob = true;
};

// Where the pods find what the Job mounts.
inline constexpr const char* kJobConfigPath = "/config/imageset-config.yaml";
inline constexpr const char* kJobAuthPath = "/auth/config.json";
inline constexpr const char* kJobWorkspace = "/work";

// The memory request in MiB for one ferry process (see above).
int64_t jobMemoryRequestMiB(int parallel, int64_t s3PartSize);

// The YAML documents (ConfigMap, shard Job, finalize Job unless !finalizeJob), separated by "---".
// Throws Error for a spec Kubernetes would refuse (names, shard count).
std::string kubernetesJobs(const JobSpec& spec);

}  // namespace ferry::mirror
