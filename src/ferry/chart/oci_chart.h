// Helm charts as OCI artifacts (helm's pkg/registry): what `helm push` makes
// and `helm install oci://...` reads.
//
//   manifest  application/vnd.oci.image.manifest.v1+json
//   config    application/vnd.cncf.helm.config.v1+json            Chart.yaml as JSON
//   layer     application/vnd.cncf.helm.chart.content.v1.tar+gzip the chart .tgz, byte for byte
//   tag       the chart version, '+' written as '_'
#pragma once

#include <string>
#include <string_view>

#include "ferry/chart/chart_archive.h"
#include "ferry/digest/digest.h"
#include "ferry/transport/image_store.h"

namespace ferry::chart {

inline constexpr std::string_view kHelmConfigMediaType = "application/vnd.cncf.helm.config.v1+json";
inline constexpr std::string_view kHelmChartContentMediaType = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
inline constexpr std::string_view kHelmProvenanceMediaType = "application/vnd.cncf.helm.chart.provenance.v1.prov";

// Chart.yaml as helm's config blob holds it (JSON, keys as in Chart.yaml).
std::string chartConfigJson(const Chart& chart);

// Writes the chart into `sink` as an OCI chart tagged ociTagOf(chart.version); returns its manifest digest.
Digest writeOciChart(ImageSink& sink, std::string_view tgz, const Chart& chart);

// The .tgz of the OCI chart `reference` (a tag or digest) of `source`, verified
// against its layer digest; throws Error naming `where` when it is not a chart.
std::string readOciChart(ImageSource& source, const std::string& reference, const std::string& where);

}  // namespace ferry::chart
