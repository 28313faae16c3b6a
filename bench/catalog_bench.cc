// ferry-catalog-bench: how fast, and in how much memory, ferry's catalog
// engine loads, validates, filters and writes a File-Based Catalog.
//
//   ferry-catalog-bench convert SRC DST
//       Loads any catalog (YAML or JSON) and writes it as JSON, the way
//       catalog images carry it.
//   ferry-catalog-bench assemble DST SIZE_MB SRC...
//       Merges catalogs into one: the packages of every SRC, then copies of
//       them renamed `<package>-<n>` (in olm.package, olm.channel, olm.bundle,
//       olm.deprecations and the olm.package / olm.package.required
//       properties), until the written JSON reaches SIZE_MB (10^6 bytes).
//   ferry-catalog-bench run SRC OUT
//       Times load, validate, filter (the default selection: the head of
//       every channel of every package) and write; prints seconds and MB/s per
//       phase and the peak resident memory as a multiple of the catalog's size,
//       then one `RESULT key=value ...` line for scripts. OUT is replaced.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <set>
#include <string>

#include <fmt/format.h>

#include "ferry/base/error.h"
#include "ferry/filter/filter.h"
#include "ferry/fbc/load.h"
#include "ferry/fbc/validate.h"
#include "ferry/fbc/write.h"

namespace fs = std::filesystem;
using namespace ferry::catalog;

namespace {

constexpr double kMB = 1e6;

size_t bytesUnder(const fs::path& root) {
  size_t total = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) total += entry.file_size();
  }
  return total;
}

size_t filesUnder(const fs::path& root) {
  size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) count += entry.is_regular_file() ? 1 : 0;
  return count;
}

double peakResidentBytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) * 1024;  // Linux reports KiB
}

double secondsOf(const std::function<void()>& work) {
  auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string describe(const Catalog& catalog) {
  return fmt::format("{} packages, {} channels, {} bundles, {} deprecations, {} other objects", catalog.packages.size(),
                     catalog.channels.size(), catalog.bundles.size(), catalog.deprecations.size(),
                     catalog.others.size());
}

int convert(const fs::path& source, const fs::path& destination) {
  Catalog catalog;
  double load = secondsOf([&] { catalog = loadCatalog(source); });
  fs::remove_all(destination);
  double write = secondsOf([&] { writeCatalog(catalog, destination); });
  std::cout << fmt::format("converted {} ({}) in {:.2f} s + {:.2f} s: {:.1f} MB of JSON in {}\n", source.string(),
                           describe(catalog), load, write, bytesUnder(destination) / kMB, destination.string());
  return 0;
}

// ---- assemble ---------------------------------------------------------------------------------

using Renames = std::map<std::string, std::string>;  // package name -> its name in the copy

// Renames every value of `"key":"<value>"` in compact JSON that `renames` lists.
std::string renameValues(const std::string& json, std::string_view key, const Renames& renames) {
  std::string pattern = fmt::format("\"{}\":\"", key);
  std::string out;
  out.reserve(json.size() + 64);
  size_t copied = 0;
  for (size_t at = json.find(pattern); at != std::string::npos; at = json.find(pattern, at + 1)) {
    size_t valueStart = at + pattern.size();
    size_t valueEnd = json.find('"', valueStart);
    if (valueEnd == std::string::npos) break;
    auto found = renames.find(json.substr(valueStart, valueEnd - valueStart));
    if (found == renames.end()) continue;
    out.append(json, copied, valueStart - copied);
    out += found->second;
    copied = valueEnd;
  }
  out.append(json, copied, std::string::npos);
  return out;
}

std::string renamed(const std::string& name, const Renames& renames) {
  auto found = renames.find(name);
  return found == renames.end() ? name : found->second;
}

struct Source {
  Catalog catalog;
  std::vector<std::string> packageNames;
  double writtenPerTextByte = 1;  // written JSON bytes per byte of compact text
};

// Adds package `package` of `source` under the names in `renames`; returns its text bytes.
size_t addPackage(const Source& source, const std::string& package, const Renames& renames, Catalog& into) {
  size_t bytes = 0;
  auto add = [&](auto object, auto& list) {
    bytes += object.json.size();
    list.push_back(std::move(object));
  };
  for (const auto& original : source.catalog.packages) {
    if (original.name != package) continue;
    Package object = original;
    object.json = renameValues(object.json, "name", renames);
    object.name = renamed(object.name, renames);
    add(std::move(object), into.packages);
  }
  for (const auto& original : source.catalog.channels) {
    if (original.package != package) continue;
    Channel object = original;
    object.json = renameValues(object.json, "package", renames);
    object.package = renamed(object.package, renames);
    add(std::move(object), into.channels);
  }
  for (const auto& original : source.catalog.bundles) {
    if (original.package != package) continue;
    Bundle object = original;
    object.json = renameValues(renameValues(object.json, "package", renames), "packageName", renames);
    object.package = renamed(object.package, renames);
    object.packageProperty = renamed(object.packageProperty, renames);
    for (auto& required : object.requiredPackages) required.packageName = renamed(required.packageName, renames);
    add(std::move(object), into.bundles);
  }
  for (const auto& original : source.catalog.deprecations) {
    if (original.package != package) continue;
    Deprecation object = original;
    object.json = renameValues(object.json, "package", renames);
    object.package = renamed(object.package, renames);
    add(std::move(object), into.deprecations);
  }
  for (const auto& original : source.catalog.others) {
    if (original.package != package || original.package.empty()) continue;
    OtherObject object = original;
    object.json = renameValues(object.json, "package", renames);
    object.package = renamed(object.package, renames);
    add(std::move(object), into.others);
  }
  return bytes;
}

int assemble(const fs::path& destination, double sizeMB, const std::vector<fs::path>& sourcePaths) {
  std::vector<Source> sources;
  for (const auto& path : sourcePaths) {
    Source source;
    source.catalog = loadCatalog(path);
    std::set<std::string> names;
    for (const auto& package : source.catalog.packages) names.insert(package.name);
    source.packageNames.assign(names.begin(), names.end());
    source.writtenPerTextByte = static_cast<double>(bytesUnder(path)) / static_cast<double>(source.catalog.textBytes());
    std::cout << fmt::format("source {}: {}\n", path.string(), describe(source.catalog));
    sources.push_back(std::move(source));
  }
  Catalog catalog;
  std::set<std::string> used;  // package names taken so far, across sources and copies
  double target = sizeMB * kMB;
  double written = 0;
  for (size_t copy = 0; written < target; ++copy) {
    for (const auto& source : sources) {
      // One name per package for this copy of the source, so its packages keep referring to each other.
      Renames renames;
      for (const auto& name : source.packageNames) {
        std::string chosen = name;
        for (size_t n = copy; used.count(chosen) != 0 || (n > 0 && chosen == name); ++n) {
          chosen = fmt::format("{}-{}", name, n);
        }
        used.insert(chosen);
        renames[name] = chosen;
      }
      for (const auto& package : source.packageNames) {
        written += static_cast<double>(addPackage(source, package, renames, catalog)) * source.writtenPerTextByte;
        if (written >= target) break;
      }
      if (written >= target) break;
    }
  }
  for (const auto& source : sources) {  // catalog-level objects once
    for (const auto& other : source.catalog.others) {
      if (other.package.empty()) catalog.others.push_back(other);
    }
  }
  fs::remove_all(destination);
  writeCatalog(catalog, destination);
  std::cout << fmt::format("assembled {}: {}, {:.1f} MB in {} files\n", destination.string(), describe(catalog),
                           bytesUnder(destination) / kMB, filesUnder(destination));
  return 0;
}

// ---- run --------------------------------------------------------------------------------------

int run(const fs::path& source, const fs::path& output) {
  double size = static_cast<double>(bytesUnder(source));
  size_t files = filesUnder(source);
  fs::remove_all(output);
  double baseline = peakResidentBytes();

  Catalog catalog;
  FilterResult filtered;
  double load = secondsOf([&] { catalog = loadCatalog(source); });
  double validate = secondsOf([&] { validateCatalog(catalog, source.string()); });
  double filter = secondsOf([&] { filtered = filterCatalog(catalog, CatalogSelection{}); });
  double write = secondsOf([&] { writeCatalog(filtered.catalog, output); });
  double total = load + validate + filter + write;
  double peak = peakResidentBytes();

  auto line = [&](std::string_view phase, double seconds) {
    std::cout << fmt::format("  {:<9} {:7.3f} s  {:8.1f} MB/s\n", phase, seconds, size / kMB / seconds);
  };
  std::cout << fmt::format("catalog {}: {:.1f} MB in {} files; {}\n", source.string(), size / kMB, files,
                           describe(catalog));
  line("load", load);
  line("validate", validate);
  line("filter", filter);
  line("write", write);
  line("total", total);
  std::cout << fmt::format("  kept: {}; written {:.2f} MB\n", describe(filtered.catalog), bytesUnder(output) / kMB);
  std::cout << fmt::format("  peak RSS {:.0f} MB = {:.2f} x the catalog (process before loading: {:.0f} MB)\n",
                           peak / kMB, peak / size, baseline / kMB);
  std::cout << fmt::format(
      "RESULT size_mb={:.1f} files={} bundles={} load_s={:.3f} validate_s={:.3f} filter_s={:.3f} write_s={:.3f} "
      "total_s={:.3f} mb_per_s={:.1f} peak_rss_mb={:.0f} rss_ratio={:.2f}\n",
      size / kMB, files, catalog.bundles.size(), load, validate, filter, write, total, size / kMB / total, peak / kMB,
      peak / size);
  return 0;
}

int usage() {
  std::cerr << "usage: ferry-catalog-bench convert SRC DST\n"
               "       ferry-catalog-bench assemble DST SIZE_MB SRC...\n"
               "       ferry-catalog-bench run SRC OUT\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    if (args.size() == 3 && args[0] == "convert") return convert(args[1], args[2]);
    if (args.size() >= 4 && args[0] == "assemble") {
      return assemble(args[1], std::stod(args[2]), std::vector<fs::path>(args.begin() + 3, args.end()));
    }
    if (args.size() == 3 && args[0] == "run") return run(args[1], args[2]);
    return usage();
  } catch (const std::exception& error) {
    std::cerr << "ferry-catalog-bench: " << error.what() << "\n";
    return 1;
  }
}
