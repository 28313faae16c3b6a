// Running a `helm` binary, when there is one (PATH or --helm): `helm template`
// renders a chart with its default values, exactly as oc-mirror does, and its
// output goes through the JSONPath rules (images.h). Helm is optional: without
// it, images are found by the static rules alone.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

namespace ferry::chart {

// At most this much rendered YAML is read from helm (docs/limits.md).
inline constexpr size_t kMaxRenderedBytes = size_t{256} << 20;

// `explicitPath` when given (it must be executable), else `helm` on PATH, else empty.
std::filesystem::path findHelm(const std::filesystem::path& explicitPath);

// `helm template <release> <chart> --kube-version 1.20.0` (oc-mirror's empty
// release name is not accepted by helm 3 on the command line; "ferry" stands in).
// Throws Error with helm's first line of stderr when it fails or runs over `timeout`.
std::string renderWithHelm(const std::filesystem::path& helm, const std::filesystem::path& chart,
                           std::chrono::seconds timeout = std::chrono::seconds(300));

}  // namespace ferry::chart
