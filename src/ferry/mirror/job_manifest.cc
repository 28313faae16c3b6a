#include "ferry/copy/shard.h"
#include "ferry/mirror/job_manifest.h"

#include <yaml-cpp/yaml.h>

#include <cctype>

#include "ferry/base/error.h"

namespace ferry::mirror {
namespace {

// Scalars emit() writes double-quoted (and without the tag).
constexpr const char* kQuoted = "!ferry-quoted";

// An Indexed Job's completions are bounded by Kubernetes (100,000); ferry's own bound is lower.

// A DNS-1123 label (Job names become pod name prefixes and labels: at most 63 characters, fewer leave room).
void checkName(const std::string& name, const char* flag) {
  bool ok = !name.empty() && name.size() <= 52 && std::isalnum(static_cast<unsigned char>(name.front())) &&
            std::isalnum(static_cast<unsigned char>(name.back()));
  for (char c : name)
    if (!(std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '-'))
      ok = false;
  if (!ok)
    fail(ErrorKind::InvalidInput,
         "{} '{}' is not a Kubernetes name: use at most 52 lower-case letters, digits and '-', starting and ending "
         "with a letter or digit",
         flag, name);
}

YAML::Node labels(const JobSpec& spec, const std::string& component) {
  YAML::Node node;
  node["app.kubernetes.io/name"] = "ferry";
  node["app.kubernetes.io/instance"] = spec.name;
  node["app.kubernetes.io/component"] = component;
  return node;
}

YAML::Node metadata(const JobSpec& spec, const std::string& name, const std::string& component) {
  YAML::Node node;
  node["name"] = name;
  if (!spec.nameSpace.empty()) node["namespace"] = spec.nameSpace;
  node["labels"] = labels(spec, component);
  return node;
}

YAML::Node podTemplate(const JobSpec& spec, const std::string& component, const std::vector<std::string>& extraArgs,
                       const char* restartPolicy) {
  YAML::Node container;
  container["name"] = "ferry";
  container["image"] = spec.image;
  YAML::Node args(YAML::NodeType::Sequence);
  auto add = [&args](const std::string& arg) {
    // Container args are strings: "4" must not be read back as a number (emit() quotes what is marked).
    YAML::Node node(arg);
    node.SetTag(kQuoted);
    args.push_back(node);
  };
  add("mirror");
  for (const auto& arg : spec.mirrorArgs) add(arg);
  for (const auto& arg : extraArgs) add(arg);
  container["args"] = args;
  YAML::Node home;
  home["name"] = "HOME";
  home["value"] = kJobWorkspace;
  container["env"].push_back(home);
  if (!spec.s3Secret.empty()) {
    YAML::Node source;
    source["secretRef"]["name"] = spec.s3Secret;
    container["envFrom"].push_back(source);
  }
  auto memory = jobMemoryRequestMiB(spec.parallel, spec.s3PartSize);
  container["resources"]["requests"]["memory"] = std::to_string(memory) + "Mi";
  container["resources"]["requests"]["cpu"] = "500m";
  container["resources"]["limits"]["memory"] = std::to_string(2 * memory) + "Mi";
  auto mount = [](const char* name, const char* path, bool readOnly) {
    YAML::Node node;
    node["name"] = name;
    node["mountPath"] = path;
    if (readOnly) node["readOnly"] = true;
    return node;
  };
  container["volumeMounts"].push_back(mount("config", "/config", true));
  container["volumeMounts"].push_back(mount("auth", "/auth", true));
  container["volumeMounts"].push_back(mount("work", kJobWorkspace, false));

  YAML::Node config;
  config["name"] = "config";
  config["configMap"]["name"] = spec.name + "-config";
  YAML::Node auth;
  auth["name"] = "auth";
  auth["secret"]["secretName"] = spec.registrySecret;
  YAML::Node item;
  item["key"] = "config.json";
  item["path"] = "config.json";
  auth["secret"]["items"].push_back(item);
  YAML::Node work;
  work["name"] = "work";
  work["emptyDir"] = YAML::Node(YAML::NodeType::Map);

  YAML::Node pod;
  pod["metadata"]["labels"] = labels(spec, component);
  pod["spec"]["restartPolicy"] = restartPolicy;
  pod["spec"]["containers"].push_back(container);
  pod["spec"]["volumes"].push_back(config);
  pod["spec"]["volumes"].push_back(auth);
  pod["spec"]["volumes"].push_back(work);
  return pod;
}

void emitNode(YAML::Emitter& out, const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      out << YAML::BeginMap;
      for (const auto& entry : node) {
        out << YAML::Key << entry.first.as<std::string>() << YAML::Value;
        emitNode(out, entry.second);
      }
      out << YAML::EndMap;
      break;
    case YAML::NodeType::Sequence:
      out << YAML::BeginSeq;
      for (const auto& item : node) emitNode(out, item);
      out << YAML::EndSeq;
      break;
    case YAML::NodeType::Scalar:
      if (node.Tag() == kQuoted) out << YAML::DoubleQuoted;
      out << node.Scalar();
      break;
    default:
      out << YAML::Null;
  }
}

std::string emit(const YAML::Node& node) {
  YAML::Emitter out;
  emitNode(out, node);
  return std::string(out.c_str()) + "\n";
}

}  // namespace

int64_t jobMemoryRequestMiB(int parallel, int64_t s3PartSize) {
  int64_t mib = 25 + int64_t{4} * parallel;
  if (s3PartSize > 0) mib += (2 * int64_t{parallel} + 1) * ((s3PartSize + (1 << 20) - 1) >> 20);
  return mib;
}

std::string kubernetesJobs(const JobSpec& spec) {
  if (spec.shards < 1 || spec.shards > kMaxShards)
    fail(ErrorKind::Limit, "--emit-job {}: give 1 to {} shards (ferry's limit for one run, see docs/limits.md)", spec.shards, kMaxShards);
  checkName(spec.name, "--job-name");
  checkName(spec.registrySecret, "--job-secret");
  if (!spec.s3Secret.empty()) checkName(spec.s3Secret, "--job-s3-secret");
  if (!spec.nameSpace.empty()) checkName(spec.nameSpace, "--job-namespace");
  if (spec.image.empty()) fail(ErrorKind::InvalidInput, "--emit-job needs --job-image: the ferry container image the pods run");

  YAML::Node configMap;
  configMap["apiVersion"] = "v1";
  configMap["kind"] = "ConfigMap";
  configMap["metadata"] = metadata(spec, spec.name + "-config", "config");
  configMap["data"]["imageset-config.yaml"] = spec.configYaml;

  YAML::Node shards;
  shards["apiVersion"] = "batch/v1";
  shards["kind"] = "Job";
  shards["metadata"] = metadata(spec, spec.name, "shard");
  shards["spec"]["completionMode"] = "Indexed";
  shards["spec"]["completions"] = spec.shards;
  shards["spec"]["parallelism"] = spec.shards;
  shards["spec"]["backoffLimit"] = 3 * spec.shards;
  shards["spec"]["template"] =
      podTemplate(spec, "shard", {"--shard", "auto/" + std::to_string(spec.shards)}, "Never");

  YAML::Node finalize;
  finalize["apiVersion"] = "batch/v1";
  finalize["kind"] = "Job";
  finalize["metadata"] = metadata(spec, spec.name + "-finalize", "finalize");
  finalize["spec"]["completions"] = 1;
  finalize["spec"]["parallelism"] = 1;
  // It refuses while shards are missing; each retry backs off (10 s doubling, up to 6 min).
  finalize["spec"]["backoffLimit"] = 20;
  finalize["spec"]["template"] =
      podTemplate(spec, "finalize", {"--finalize"}, "OnFailure");

  return "# ferry mirror --emit-job " + std::to_string(spec.shards) +
         " (docs/scale.md). Create the Secret first:\n"
         "#   kubectl create secret generic " + spec.registrySecret +
         " --from-file=config.json=AUTH.json\n---\n" + emit(configMap) + "---\n" + emit(shards) +
         (spec.finalizeJob ? "---\n" + emit(finalize) : "");
}

}  // namespace ferry::mirror
