#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/chart/chart_archive.h"
#include "ferry/chart/helm_binary.h"
#include "ferry/chart/images.h"
#include "ferry/chart/oci_chart.h"
#include "ferry/chart/repository_index.h"
#include "ferry/layout/oci_layout.h"

namespace ferry::chart {
namespace {

const char* kIndex = R"(apiVersion: v1
entries:
  podinfo:
  - name: podinfo
    version: 6.6.0-rc.1
    urls: [podinfo-6.6.0-rc.1.tgz]
    digest: 0000000000000000000000000000000000000000000000000000000000000000
  - name: podinfo
    version: 6.5.0
    appVersion: 6.5.0
    urls: [charts/podinfo-6.5.0.tgz]
  - name: podinfo
    version: 6.10.1
    urls: [https://cdn.example.com/podinfo-6.10.1.tgz]
  common:
  - name: common
    version: 2.0.0
    type: library
    urls: [common-2.0.0.tgz]
generated: "2026-01-01T00:00:00Z"
)";

TEST(RepositoryIndex, ParsesEntriesAndPicksTheNewestRelease) {
  auto index = parseRepositoryIndex(kIndex, "index.yaml");
  ASSERT_EQ(index.entries.size(), 2u);
  auto& podinfo = index.entries.at("podinfo");
  ASSERT_EQ(podinfo.size(), 3u);
  EXPECT_TRUE(podinfo[0].digest.has_value());
  EXPECT_TRUE(index.entries.at("common")[0].library());
  // 6.10.1 beats 6.5.0 by semver (not by text); the pre-release is passed over.
  ASSERT_NE(newestRelease(podinfo), nullptr);
  EXPECT_EQ(newestRelease(podinfo)->version, "6.10.1");
  EXPECT_EQ(findVersion(podinfo, "v6.5.0")->version, "6.5.0");
  EXPECT_EQ(findVersion(podinfo, "7.0.0"), nullptr);
  EXPECT_TRUE(isPreRelease("6.6.0-rc.1"));
  EXPECT_FALSE(isPreRelease("6.5.0+build.1"));
  EXPECT_EQ(ociTagOf("1.2.3+build.1"), "1.2.3_build.1");
}

TEST(RepositoryIndex, ResolvesUrlsWithAndWithoutATrailingSlash) {
  EXPECT_EQ(indexUrlOf("http://h:1/charts"), "http://h:1/charts/index.yaml");
  EXPECT_EQ(indexUrlOf("http://h:1/charts/"), "http://h:1/charts/index.yaml");
  EXPECT_EQ(chartUrlOf("http://h:1/charts", "a-1.0.0.tgz"), "http://h:1/charts/a-1.0.0.tgz");
  EXPECT_EQ(chartUrlOf("http://h:1/charts/", "sub/a-1.0.0.tgz"), "http://h:1/charts/sub/a-1.0.0.tgz");
  EXPECT_EQ(chartUrlOf("http://h:1/charts", "/top/a.tgz"), "http://h:1/top/a.tgz");
  EXPECT_EQ(chartUrlOf("http://h:1/charts", "https://cdn/a.tgz"), "https://cdn/a.tgz");
}

TEST(RepositoryIndex, RefusesWhatIsNotAnIndex) {
  try {
    parseRepositoryIndex("apiVersion: v1\n", "http://h/index.yaml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("http://h/index.yaml: not a chart repository index"), std::string::npos);
  }
  EXPECT_THROW(parseRepositoryIndex("entries:\n  a:\n  - version: 1.0.0\n", "i"), Error);  // no urls
  // A mapping as a chart name: yaml-cpp's conversion error comes out as ferry's.
  EXPECT_THROW(parseRepositoryIndex("entries:\n  ? [a]\n  : []\n", "i"), Error);
  EXPECT_THROW(parseRepositoryIndex("entries:\n  a:\n  - version: 1.0.0\n    urls: [a]\n    digest: xyz\n", "i"),
               Error);
}

ChartFiles umbrella() {
  ChartFiles files;
  files["Chart.yaml"] = R"(apiVersion: v2
name: shop
version: 1.0.0
appVersion: "2.1"
annotations:
  artifacthub.io/images: |
    - name: web
      image: quay.io/shop/web:2.1
    - name: tools
      image: busybox:1.36
)";
  files["values.yaml"] = R"(image:
  registry: quay.io
  repository: shop/api
  tag: "2.1"
worker:
  image:
    repository: shop/worker
sidecarImage: docker.io/envoyproxy/envoy:v1.29.0
pinned:
  image: nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
untagged:
  image: redis
imagePullPolicy: IfNotPresent
redis:
  image:
    tag: "7.2"
)";
  files["templates/deploy.yaml"] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-api
spec:
  template:
    spec:
      {{- with .Values.podSecurityContext }}
      securityContext: {{ toYaml . | nindent 8 }}
      {{- end }}
      containers:
      - name: api
        image: "{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
        env:
        - name: HELPER_IMAGE
          value: registry.example.com/helper:3
      initContainers:
      - name: init
        image: {{ printf "%s:%s" "quay.io/shop/init" .Chart.AppVersion }}
)";
  files["templates/cron.yaml"] = R"(apiVersion: batch/v1
kind: CronJob
metadata:
  name: cleanup
spec:
  jobTemplate:
    spec:
      template:
        spec:
          containers:
          - name: cleanup
            image: ghcr.io/shop/cleanup:1.0
)";
  files["templates/_helpers.tpl"] = "image: ignored/helper:1\n";
  files["charts/redis/Chart.yaml"] = "name: redis\nversion: 18.0.0\nappVersion: 7.0.0\n";
  files["charts/redis/values.yaml"] = "image:\n  registry: docker.io\n  repository: bitnami/redis\n  tag: 7.0.0\n";
  files["charts/redis/templates/sts.yaml"] =
      "kind: StatefulSet\nspec:\n  template:\n    spec:\n      containers:\n      - image: {{ .Values.image.registry "
      "}}/{{ .Values.image.repository }}:{{ .Values.image.tag }}\n";
  return files;
}

const FoundImage* findImage(const ImageFindings& found, const std::string& reference) {
  for (const auto& image : found.images)
    if (image.reference == reference) return &image;
  return nullptr;
}

TEST(ChartArchive, PacksAndReadsBackWithSubcharts) {
  auto files = umbrella();
  auto tgz = packChartArchive(files, "shop");
  EXPECT_EQ(tgz, packChartArchive(files, "shop"));  // reproducible
  auto read = readChartArchive(tgz, "shop-1.0.0.tgz");
  EXPECT_EQ(read, files);
  auto chart = loadChart(read, "shop-1.0.0.tgz");
  EXPECT_EQ(chart.name, "shop");
  EXPECT_EQ(chart.appVersion, "2.1");
  EXPECT_EQ(chart.templates.size(), 2u);  // _helpers.tpl is not a manifest
  ASSERT_EQ(chart.subcharts.size(), 1u);
  EXPECT_EQ(chart.subcharts[0].path, "charts/redis");
}

TEST(ChartArchive, RefusesUnsafePathsAndMissingChartYaml) {
  ChartFiles bad{{"../../etc/passwd", "x"}};
  auto tgz = packChartArchive(bad, "evil");
  try {
    readChartArchive(tgz, "evil.tgz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("climbs out"), std::string::npos) << e.what();
  }
  EXPECT_THROW(loadChart(ChartFiles{{"values.yaml", ""}}, "x.tgz"), Error);
  EXPECT_THROW(readChartArchive("not a tgz", "x.tgz"), Error);
  // Cut short: libarchive gives no message for some truncations (found by fuzz_chart).
  auto whole = packChartArchive(umbrella(), "shop");
  for (size_t cut : {size_t{10}, whole.size() / 2, whole.size() - 30}) {
    try {
      readChartArchive(std::string_view(whole).substr(0, cut), "cut.tgz");
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cut.tgz"), std::string::npos) << e.what();
    }
  }
}

TEST(ChartArchive, BoundsAndRefusals) {
  try {
    readChartArchive(packChartArchive({{"values.yaml", std::string(kMaxChartFileBytes + 1, 'x')}}, "big"), "big.tgz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Limit);
    EXPECT_NE(std::string(e.what()).find("larger than 5 MiB, the limit for one file of a chart (see docs/limits.md)"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(readChartArchive(packChartArchive({{"a\\b", "x"}}, "c"), "c.tgz"), Error);
  // Subcharts nested deeper than the limit.
  ChartFiles files{{"Chart.yaml", "name: c\nversion: 1.0.0\n"}};
  std::string prefix;
  for (int i = 0; i <= kMaxSubchartDepth; ++i) {
    prefix += "charts/c/";
    files[prefix + "Chart.yaml"] = "name: c\nversion: 1.0.0\n";
  }
  EXPECT_THROW(loadChart(files, "deep"), Error);
}

TEST(ChartArchive, SubchartsAsTgzAreRead) {
  auto sub = packChartArchive({{"Chart.yaml", "name: db\nversion: 2.0.0\n"},
                               {"values.yaml", "image: quay.io/db/db:2\n"}},
                              "db");
  ChartFiles files{{"Chart.yaml", "name: app\nversion: 1.0.0\nannotations:\n  helm.sh/images: |\n"
                                  "    - image: quay.io/app/app:1\n"},
                   {"charts/db-2.0.0.tgz", sub}};
  auto chart = loadChart(readChartArchive(packChartArchive(files, "app"), "app.tgz"), "app.tgz");
  ASSERT_EQ(chart.subcharts.size(), 1u);
  EXPECT_EQ(chart.subcharts[0].path, "charts/db");
  auto found = findImagesInChart(chart, {});
  ASSERT_EQ(found.images.size(), 2u);
  EXPECT_EQ(found.images[0].reference, "quay.io/app/app:1");
  EXPECT_EQ(found.images[0].foundIn[0], "Chart.yaml annotation helm.sh/images");
  EXPECT_EQ(found.images[1].reference, "quay.io/db/db:2");
  EXPECT_EQ(found.images[1].foundIn[0], "charts/db/values.yaml image");
}

TEST(HelmBinary, RunsTemplateAndReportsItsFailure) {
  auto dir = std::filesystem::temp_directory_path() / ("ferry-helm-bin-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto ok = dir / "helm-ok", bad = dir / "helm-bad";
  {
    std::ofstream(ok) << "#!/bin/sh\necho \"args: $*\"\n";
    std::ofstream(bad) << "#!/bin/sh\necho 'Error: execution error at (x/templates/a.yaml): need a value' >&2\nexit 1\n";
  }
  std::filesystem::permissions(ok, std::filesystem::perms::owner_all);
  std::filesystem::permissions(bad, std::filesystem::perms::owner_all);
  EXPECT_EQ(renderWithHelm(findHelm(ok), "/c.tgz"), "args: template ferry /c.tgz --kube-version 1.20.0\n");
  try {
    renderWithHelm(bad, "/c.tgz");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("failed (exit 1): Error: execution error"), std::string::npos) << e.what();
  }
  EXPECT_THROW(findHelm(dir), Error);  // a directory is not a helm binary
  std::filesystem::remove_all(dir);
}

TEST(ChartImages, StaticRulesFindEveryKindOfReference) {
  auto chart = loadChart(umbrella(), "shop");
  auto found = findImagesInChart(chart, {"{.spec.template.spec.containers[*].env[*].value}"});
  // annotations
  ASSERT_NE(findImage(found, "quay.io/shop/web:2.1"), nullptr);
  EXPECT_EQ(findImage(found, "docker.io/library/busybox:1.36")->foundIn[0], "Chart.yaml annotation artifacthub.io/images");
  // values map, and a map without tag taking appVersion; a string; a digest
  ASSERT_NE(findImage(found, "quay.io/shop/api:2.1"), nullptr);
  ASSERT_NE(findImage(found, "docker.io/shop/worker:2.1"), nullptr);
  EXPECT_NE(findImage(found, "docker.io/shop/worker:2.1")->foundIn[0].find("tag from appVersion"), std::string::npos);
  ASSERT_NE(findImage(found, "docker.io/envoyproxy/envoy:v1.29.0"), nullptr);
  ASSERT_NE(findImage(found, "docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
            nullptr);
  // template literals (CronJob), the built-in rendering (printf, init container) and imagePaths (env value)
  ASSERT_NE(findImage(found, "ghcr.io/shop/cleanup:1.0"), nullptr);
  ASSERT_NE(findImage(found, "quay.io/shop/init:2.1"), nullptr);
  ASSERT_NE(findImage(found, "registry.example.com/helper:3"), nullptr);
  // the subchart's values, overridden by the parent's (tag 7.2)
  ASSERT_NE(findImage(found, "docker.io/bitnami/redis:7.2"), nullptr);
  EXPECT_EQ(findImage(found, "docker.io/bitnami/redis:7.0.0"), nullptr);
  EXPECT_EQ(findImage(found, "docker.io/ignored/helper:1"), nullptr);
  // the untagged reference is reported, not dropped
  ASSERT_EQ(found.withoutTag.size(), 1u);
  EXPECT_EQ(found.withoutTag[0], "redis (values.yaml untagged.image)");
  // found twice (values and rendered template): one image, both places
  EXPECT_GE(findImage(found, "quay.io/shop/api:2.1")->foundIn.size(), 2u);
}

TEST(ChartImages, ManifestPathsAreOcMirrorsPlusCronJobsAndImagePaths) {
  auto manifests = R"(---
# Source: x/templates/deploy.yaml
kind: Deployment
metadata: {name: a}
spec:
  template:
    spec:
      containers: [{image: "quay.io/a/b:1", env: [{name: X, value: "quay.io/a/env:2"}, {name: Y, value: "8080"}]}]
      initContainers: [{image: quay.io/a/init:1}]
---
kind: CronJob
metadata: {name: c}
spec: {jobTemplate: {spec: {template: {spec: {containers: [{image: quay.io/a/cron:1}]}}}}}
---
kind: Pod
metadata: {name: p}
spec: {containers: [{image: nginx}], ephemeralContainers: [{image: quay.io/a/debug:1}]}
)";
  auto found = findImagesInManifests(manifests, {"{.spec.template.spec.containers[*].env[*].value}"}, "helm template");
  std::vector<std::string> refs;
  for (const auto& image : found.images) refs.push_back(image.reference);
  EXPECT_EQ(refs, (std::vector<std::string>{"quay.io/a/init:1", "quay.io/a/b:1", "quay.io/a/env:2", "quay.io/a/cron:1",
                                            "quay.io/a/debug:1"}));
  ASSERT_EQ(found.withoutTag.size(), 1u);
  EXPECT_NE(found.withoutTag[0].find("nginx (helm template Pod/p"), std::string::npos) << found.withoutTag[0];
}

TEST(ChartImages, JsonPathSubsetIsCheckedUpFront) {
  EXPECT_NO_THROW(checkJsonPath("{.spec.containers[*].image}"));
  EXPECT_NO_THROW(checkJsonPath("{.a[0].b}{.c.*}"));
  EXPECT_THROW(checkJsonPath("{.spec.containers[?(@.name=='x')].image}"), Error);
  EXPECT_THROW(checkJsonPath(".spec.containers"), Error);
  auto doc = YAML::Load("a: [{b: x}, {b: y z}]");
  EXPECT_EQ(evaluateJsonPath(doc, "{.a[*].b}"), (std::vector<std::string>{"x", "y", "z"}));
  EXPECT_EQ(evaluateJsonPath(doc, "{.a[1].b}"), (std::vector<std::string>{"y", "z"}));
}

TEST(OciChart, WritesHelmsMediaTypesAndReadsTheChartBack) {
  auto files = umbrella();
  auto tgz = packChartArchive(files, "shop");
  auto chart = loadChart(files, "shop");
  auto dir = std::filesystem::temp_directory_path() / ("ferry-oci-chart-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto layout = OciLayout::create(dir);
  auto digest = writeOciChart(*layout, tgz, chart);
  auto raw = layout->getManifest("1.0.0");
  EXPECT_EQ(raw.digest, digest);
  EXPECT_NE(raw.bytes.find(std::string(kHelmConfigMediaType)), std::string::npos);
  EXPECT_NE(raw.bytes.find(std::string(kHelmChartContentMediaType)), std::string::npos);
  EXPECT_EQ(readOciChart(*layout, "1.0.0", "shop"), tgz);
  EXPECT_NE(chartConfigJson(chart).find("\"name\":\"shop\""), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ferry::chart
