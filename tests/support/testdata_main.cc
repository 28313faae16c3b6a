// ferry-testdata: writes fixture images as OCI layouts, for manual runs and benchmarks.
//
//   ferry-testdata shapes DIR [--seed S]
//       All test shapes in one layout; prints "tag mediaType digest" per image.
//   ferry-testdata bench DIR [--seed S] [--repos 10] [--images-per-repo 4]
//       [--base-layers 2] [--base-pool 2] [--base-size-mib 24] [--layers 2]
//       [--layer-min-mib 1] [--layer-max-mib 3] [--repo-layer-size-mib 6]
//       One layout per repository, DIR/app0 ... ; prints "DIR/<repo>:<tag>" per image.
//       Every second image is multi-arch (linux/amd64, arm64, s390x, ppc64le).
//       Layers, bottom up: a base from a pool shared by all repositories (per
//       architecture), one layer per repository (per architecture), then the
//       image's own layers. The defaults give about 1 GB of unique blobs.
//   ferry-testdata mirror-example DIR
//       The built-in `ferry mirror` example: DIR/images, an OCI layout holding a
//       two-platform operator catalog (packages foo and bar), its bundle and
//       operator images and an additional image, all named as if they lived at
//       registry.example.com/demo; and DIR/imageset-config.yaml.
//   ferry-testdata releases DIR [--versions 4.17.0,4.18.0] [--components 24] [--arches amd64,multi]
//                               [--per-arch-components yes]
//       OpenShift release payloads (support/release_images.h) and their components
//       in one layout, named as if they lived at registry.example.com; prints
//       "repository[:tag] digest" per image and the graph a server would answer.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "support/fixtures.h"
#include "support/mirror_scenario.h"
#include "support/random.h"
#include "support/release_images.h"

namespace {

using namespace ferry::testing;

constexpr uint64_t kMiB = 1024 * 1024;

struct Options {
  std::string command;
  std::filesystem::path dir;
  std::map<std::string, std::string> values;

  uint64_t seed() const {
    auto text = get("seed", "1");
    bool numeric = !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
    return numeric ? std::stoull(text) : deriveSeed(0, text);  // "bench1" works too
  }
  std::string get(const std::string& name, const std::string& fallback) const {
    auto it = values.find(name);
    return it == values.end() ? fallback : it->second;
  }
  uint64_t number(const std::string& name, uint64_t fallback) const {
    auto text = get(name, std::to_string(fallback));
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) {
      ferry::fail("--{} needs a whole number, got '{}'", name, text);
    }
    return std::stoull(text);
  }
};

Options parse(int argc, char** argv) {
  if (argc < 3) ferry::fail("usage: ferry-testdata shapes|bench|mirror-example|releases DIR [--option value ...]");
  Options options{argv[1], argv[2], {}};
  static const std::set<std::string> known = {
      "seed",          "repos",  "images-per-repo", "base-layers",   "base-pool",
      "base-size-mib", "layers", "layer-min-mib",   "layer-max-mib", "repo-layer-size-mib",
      "versions",      "components", "arches", "per-arch-components"};
  for (int i = 3; i < argc; i += 2) {
    std::string flag = argv[i];
    if (!flag.starts_with("--") || !known.contains(flag.substr(2))) ferry::fail("unknown option '{}'", flag);
    if (i + 1 >= argc) ferry::fail("option '{}' needs a value", flag);
    options.values[flag.substr(2)] = argv[i + 1];
  }
  return options;
}

void shapes(const Options& options) {
  FixtureBuilder builder(options.dir, options.seed());
  for (const auto& image : builder.allShapes()) {
    std::cout << image.name << ' ' << image.mediaType << ' ' << image.digest.str() << '\n';
  }
}

// Distinct manifests and blobs over all images, with their bytes, for the summary line.
struct Totals {
  std::map<ferry::Digest, uintmax_t> manifests, blobs;

  void add(const std::filesystem::path& layout, const FixtureImage& image) {
    auto size = [&](const ferry::Digest& digest) {
      return std::filesystem::file_size(layout / "blobs" / digest.blobPath());
    };
    for (const auto& digest : image.manifests) manifests.emplace(digest, size(digest));
    for (const auto& digest : image.blobs) blobs.emplace(digest, size(digest));
  }
  static uintmax_t sum(const std::map<ferry::Digest, uintmax_t>& sizes) {
    uintmax_t total = 0;
    for (const auto& [digest, size] : sizes) total += size;
    return total;
  }
};

void bench(const Options& options) {
  auto started = std::chrono::steady_clock::now();
  auto seed = options.seed();
  auto repos = options.number("repos", 10);
  auto imagesPerRepo = options.number("images-per-repo", 4);
  auto baseLayers = options.number("base-layers", 2);
  auto basePool = std::max<uint64_t>(1, options.number("base-pool", 2));
  auto baseSize = options.number("base-size-mib", 24) * kMiB;
  auto ownLayers = options.number("layers", 2);
  auto layerMin = options.number("layer-min-mib", 1) * kMiB;
  auto layerMax = options.number("layer-max-mib", 3) * kMiB;
  auto repoLayerSize = options.number("repo-layer-size-mib", 6) * kMiB;
  if (layerMax < layerMin) ferry::fail("--layer-max-mib must not be less than --layer-min-mib");

  const std::vector<Platform> multiArch = {
      {"linux", "amd64", ""}, {"linux", "arm64", ""}, {"linux", "s390x", ""}, {"linux", "ppc64le", ""}};
  std::vector<std::vector<SharedLayer>> pool(basePool);
  for (uint64_t p = 0; p < basePool; ++p) {
    for (uint64_t l = 0; l < baseLayers; ++l) {
      pool[p].push_back(SharedLayer{deriveSeed(seed, fmt::format("base{}/layer{}", p, l)), baseSize, true});
    }
  }

  auto cache = std::make_shared<LayerCache>();
  Totals totals;
  std::filesystem::create_directories(options.dir);
  for (uint64_t r = 0; r < repos; ++r) {
    auto repo = fmt::format("app{}", r);
    FixtureBuilder builder(options.dir / repo, deriveSeed(seed, repo), cache);
    SharedLayer repoLayer{deriveSeed(seed, repo + "/repo-layer"), repoLayerSize, true};
    for (uint64_t i = 0; i < imagesPerRepo; ++i) {
      ImageSpec spec;
      if (i % 2 == 1) spec.platforms = multiArch;
      // Rotate through the pool per repository so every base is used on every architecture.
      spec.sharedLayers = pool[(r + i / 2) % basePool];
      if (repoLayerSize > 0) spec.sharedLayers.push_back(repoLayer);
      spec.ownLayers = static_cast<int>(ownLayers);
      spec.ownLayerMinSize = layerMin;
      spec.ownLayerMaxSize = layerMax;
      auto tag = fmt::format("v{}", i + 1);
      totals.add(builder.layoutDir(), builder.image(tag, spec));
      std::cout << (options.dir / repo).string() << ':' << tag << '\n' << std::flush;
    }
  }
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto blobBytes = Totals::sum(totals.blobs);
  std::cerr << fmt::format("{} manifests ({} bytes); {} unique blobs, {} bytes ({:.0f} MiB); written in {:.1f} s\n",
                           totals.manifests.size(), Totals::sum(totals.manifests), totals.blobs.size(), blobBytes,
                           static_cast<double>(blobBytes) / kMiB, seconds);
}

void mirrorExample(const Options& options) {
  auto layout = buildScenarioLayout(options.dir / "images", "registry.example.com/demo",
                                    {{"foo", {"1.0.0", "1.1.0"}}, {"bar", {"2.0.0"}}}, {}, 16 << 10);
  ferry::writeFileAtomically(options.dir / "imageset-config.yaml", R"(# The built-in example of `ferry mirror` (see the README).
# Every image is named registry.example.com/demo/...; the README's command reads
# them from the OCI layout examples/mirror/images with --source-mirror.
apiVersion: mirror.openshift.io/v2alpha1
kind: ImageSetConfiguration
archiveSize: 1
mirror:
  operators:
    - catalog: registry.example.com/demo/ferry-test/catalog:v1
      packages:
        - name: foo          # the head of each channel of foo: foo.v1.1.0
  additionalImages:
    - name: registry.example.com/demo/ferry-test/extra:stable
)");
  for (const auto& image : layout.images)
    std::cout << "registry.example.com/demo/" << image.repository << ':' << image.tag << ' ' << image.image.digest.str()
              << '\n';
}

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> items;
  std::string item;
  for (char c : text + ",") {
    if (c != ',') {
      item += c;
    } else if (!item.empty()) {
      items.push_back(item);
      item.clear();
    }
  }
  return items;
}

void releases(const Options& options) {
  ReleaseWorldSpec spec{.versions = commaList(options.get("versions", "4.17.0,4.17.1,4.18.0")),
                        .components = static_cast<int>(options.number("components", 24)),
                        .arches = commaList(options.get("arches", "amd64,multi")),
                        .perArchComponents = options.get("per-arch-components", "no") == "yes"};
  auto layout = buildReleaseLayout(options.dir, "registry.example.com", spec);
  for (const auto& image : layout.images)
    std::cout << "registry.example.com/" << image.repository << (image.tag.empty() ? "" : ":" + image.tag) << ' '
              << image.image.digest.str() << '\n';
  FakeGraph graph;
  for (const auto& release : layout.releases)
    graph.releases.push_back({.version = release.version, .payload = release.payload,
                              .channels = {"stable-" + release.version.substr(0, release.version.rfind('.'))},
                              .arch = release.arch});
  for (size_t i = 1; i < spec.versions.size(); ++i) graph.edges.emplace_back(spec.versions[i - 1], spec.versions[i]);
  std::cerr << "graph of " << graph.releases.front().channels.front() << " (amd64): "
            << fakeGraphJson(graph, graph.releases.front().channels.front(), "amd64") << '\n';
}

}  // namespace

int main(int argc, char** argv) {
  try {
    auto options = parse(argc, argv);
    if (options.command == "shapes") {
      shapes(options);
    } else if (options.command == "bench") {
      bench(options);
    } else if (options.command == "mirror-example") {
      mirrorExample(options);
    } else if (options.command == "releases") {
      releases(options);
    } else {
      ferry::fail("unknown command '{}': use shapes, bench, mirror-example or releases", options.command);
    }
    return 0;
  } catch (const std::exception& error) {
    std::cerr << "ferry-testdata: " << error.what() << '\n';
    return 1;
  }
}
