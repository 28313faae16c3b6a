#include "ferry/chart/oci_chart.h"

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"
#include "ferry/chart/repository_index.h"
#include "ferry/oci/manifest.h"

namespace ferry::chart {
namespace {

nlohmann::ordered_json toJson(const YAML::Node& node, int depth) {
  if (depth > 64) return nullptr;
  if (node.IsMap()) {
    auto out = nlohmann::ordered_json::object();
    for (const auto& item : node) out[item.first.as<std::string>()] = toJson(item.second, depth + 1);
    return out;
  }
  if (node.IsSequence()) {
    auto out = nlohmann::ordered_json::array();
    for (const auto& item : node) out.push_back(toJson(item, depth + 1));
    return out;
  }
  if (node.IsScalar()) {
    auto text = node.as<std::string>();
    if (node.Tag() != "!" && (text == "true" || text == "false")) return text == "true";
    return text;
  }
  return nullptr;
}

}  // namespace

std::string chartConfigJson(const Chart& chart) {
  try {
    return toJson(YAML::Load(chart.chartYaml), 0).dump();
  } catch (const YAML::Exception&) {
    return nlohmann::ordered_json{{"name", chart.name}, {"version", chart.version}}.dump();
  }
}

Digest writeOciChart(ImageSink& sink, std::string_view tgz, const Chart& chart) {
  auto config = chartConfigJson(chart);
  Descriptor configBlob{.mediaType = std::string(kHelmConfigMediaType), .digest = Digest::sha256Of(config),
                        .size = static_cast<int64_t>(config.size())};
  Descriptor layer{.mediaType = std::string(kHelmChartContentMediaType), .digest = Digest::sha256Of(tgz),
                   .size = static_cast<int64_t>(tgz.size())};
  nlohmann::ordered_json manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = "application/vnd.oci.image.manifest.v1+json";
  manifest["config"] = {{"mediaType", configBlob.mediaType}, {"digest", configBlob.digest.str()}, {"size", configBlob.size}};
  manifest["layers"] = nlohmann::ordered_json::array(
      {{{"mediaType", layer.mediaType}, {"digest", layer.digest.str()}, {"size", layer.size}}});
  manifest["annotations"] = {{"org.opencontainers.image.title", chart.name},
                             {"org.opencontainers.image.version", chart.version}};
  sink.putBlobBytes(configBlob, config);
  sink.putBlobBytes(layer, std::string(tgz));
  auto raw = RawManifest::of(manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
  sink.putManifest(raw, ociTagOf(chart.version), true);
  return raw.digest;
}

std::string readOciChart(ImageSource& source, const std::string& reference, const std::string& where) {
  auto raw = source.getManifest(reference);
  auto manifest = Manifest::parse(raw.bytes, raw.mediaType);
  if (manifest.isIndex || !manifest.config || manifest.config->mediaType != kHelmConfigMediaType)
    fail(ErrorKind::InvalidInput, "{}: not a Helm chart (its config is not {}); an oci:// chart repository holds charts "
         "pushed with helm push", where, kHelmConfigMediaType);
  for (const auto& layer : manifest.layers) {
    if (layer.mediaType != kHelmChartContentMediaType) continue;
    if (layer.size > kMaxChartArchiveBytes)
      fail(ErrorKind::Limit, "{}: the chart is larger than {}, ferry's limit for a chart (see docs/limits.md)", where,
           limitText(kMaxChartArchiveBytes));
    StringWriter out(static_cast<size_t>(layer.size));
    source.readBlob(layer, out);
    if (Digest::sha256Of(out.bytes) != layer.digest)
      fail(ErrorKind::Integrity, "{}: the chart layer does not match its digest {}", where, layer.digest.str());
    return std::move(out.bytes);
  }
  fail(ErrorKind::InvalidInput, "{}: the OCI chart has no {} layer", where, kHelmChartContentMediaType);
}

}  // namespace ferry::chart
