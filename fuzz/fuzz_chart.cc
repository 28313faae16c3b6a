// Helm charts (chart/chart_archive.h, chart/images.h) as chart repositories
// and users hand them over: the first byte picks the input's shape — a chart
// .tgz (read, loaded, its images found), a values.yaml of a small chart, a
// template of it, or rendered manifests — the rest is the input.
#include "ferry/chart/chart_archive.h"
#include "ferry/chart/images.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  if (size == 0) return 0;
  auto input = std::string(fuzz::text(data + 1, size - 1));
  const std::vector<std::string> paths = {"{.spec.template.spec.containers[*].env[*].value}", "{.a[0].*}"};
  switch (data[0] % 4) {
    case 0:
      fuzz::refusalsAllowed([&] {
        auto chart = chart::loadChart(chart::readChartArchive(input, "fuzz.tgz"), "fuzz.tgz");
        (void)chart::findImagesInChart(chart, paths);
      });
      break;
    case 1:
    case 2: {
      chart::ChartFiles files{{"Chart.yaml", "name: f\nversion: 1.0.0\nappVersion: \"1\"\n"}};
      files[data[0] % 4 == 1 ? "values.yaml" : "templates/t.yaml"] = input;
      files["charts/s/Chart.yaml"] = "name: s\nversion: 1.0.0\n";
      files["charts/s/values.yaml"] = data[0] % 4 == 1 ? input : "image: quay.io/a/b:1\n";
      fuzz::refusalsAllowed([&] { (void)chart::findImagesInChart(chart::loadChart(files, "fuzz"), paths); });
      break;
    }
    case 3:
      fuzz::refusalsAllowed([&] { (void)chart::findImagesInManifests(input, paths, "fuzz"); });
      fuzz::refusalsAllowed([&] { (void)chart::evaluateJsonPath(YAML::Node(), input); });
      break;
  }
  return 0;
}
