// The container images a Helm chart uses, found without running its templates
// (findImagesInChart) and in the manifests `helm template` renders
// (findImagesInManifests). docs/helm.md lists every rule with an example.
//
// Without helm, from the chart and each of its subcharts:
//   annotations   Chart.yaml `artifacthub.io/images` and `helm.sh/images`
//                 (lists of {name, image} or of plain references)
//   values        values.yaml: a string under a key named `image` (or ending in
//                 `Image`), and a map under a key holding "image" with
//                 {registry?, repository, tag? , digest?} (no tag and no digest:
//                 the chart's appVersion, as most templates default to it)
//   templates     literal `image: REF` lines (no `{{ }}` in them)
//   rendered      the templates with the common template subset substituted
//                 (`{{ .Values.x.y }}`, `| default`, `| quote`, `printf "%s:%s"`,
//                 `.Chart.AppVersion`...; control lines dropped), read as YAML
//                 where they then parse, and the pod-spec paths below applied
// In manifests (helm's output, or the built-in rendering above):
//   oc-mirror's four JSONPaths, the pod-spec paths it misses (CronJob,
//   ephemeral containers) and the chart's imagePaths.
//
// Every reference is normalised (nginx:1 → docker.io/library/nginx:1) and
// listed once with every place it was found. A reference without a tag or a
// digest is not an image ferry can mirror by name: it is reported, not dropped.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "ferry/chart/chart_archive.h"

namespace ferry::chart {

struct FoundImage {
  std::string reference;             // normalised: "docker.io/library/nginx:1.25"
  std::vector<std::string> foundIn;  // "values.yaml image.repository", "templates/cron.yaml .spec.jobTemplate..."
};

struct ImageFindings {
  std::vector<FoundImage> images;       // in the order first found
  std::vector<std::string> withoutTag;  // "nginx (values.yaml sidecar.image)": references that cannot be mirrored
  std::vector<std::string> notes;       // what the built-in rendering could not read

  // Adds `text` found at `where`: normalised, merged with an earlier find of the same image.
  // Text that is not a reference at all is ignored, unless `report` (then it is noted).
  void add(std::string_view text, const std::string& where);
  void merge(const ImageFindings& other);

 private:
  std::map<std::string, size_t> index_;
};

// oc-mirror's four default paths.
const std::vector<std::string>& ocMirrorImagePaths();
// The pod-spec paths ferry adds: CronJob job templates, ephemeral containers.
const std::vector<std::string>& extraImagePaths();

// The JSONPath subset oc-mirror's users write: `{.a.b[*].c}`, `[N]`, `.*`; one
// or more {…} groups. Throws Error (InvalidInput) for anything else.
std::vector<std::string> evaluateJsonPath(const YAML::Node& document, std::string_view path);
// Throws when `path` is outside the subset (checked before any chart is read).
void checkJsonPath(std::string_view path);

// The static rules above over the chart and its subcharts.
ImageFindings findImagesInChart(const Chart& chart, const std::vector<std::string>& imagePaths);
// The paths over every document of `manifests` (documents that are not YAML are noted and skipped).
ImageFindings findImagesInManifests(std::string_view manifests, const std::vector<std::string>& imagePaths,
                                    const std::string& where);

// The built-in rendering of one template (see above): the text with the template subset substituted.
std::string renderTemplateSubset(std::string_view text, const Chart& chart, const YAML::Node& values);

}  // namespace ferry::chart
