#include "ferry/cli/list_operators.h"

#include <array>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/catalog/catalog_image.h"
#include "ferry/catalog/listing.h"
#include "ferry/copy/endpoints.h"

namespace ferry {
namespace {

using catalog::PackageListing;

std::string platformsOf(const catalog::CatalogImage& image, const catalog::CatalogVariant& variant) {
  std::string text;
  for (auto index : variant.platforms) text += (text.empty() ? "" : ", ") + image.platforms[index].platform.str();
  return text;
}

const PackageListing* findPackage(const std::vector<PackageListing>& packages, const std::string& name) {
  for (const auto& package : packages)
    if (package.name == name) return &package;
  return nullptr;
}

// The listing narrowed to --package and --channel; errors say what exists instead.
std::vector<PackageListing> narrowed(std::vector<PackageListing> packages, const ListOperatorsFlags& flags) {
  if (flags.package.empty()) {
    if (!flags.channel.empty()) fail("--channel goes with --package");
    return packages;
  }
  const auto* package = findPackage(packages, flags.package);
  if (!package) fail("the catalog has no package '{}'; run without --package to list them", flags.package);
  PackageListing one = *package;
  if (!flags.channel.empty()) {
    std::vector<catalog::ChannelListing> kept;
    std::string names;
    for (const auto& channel : one.channels) {
      names += (names.empty() ? "" : ", ") + channel.name;
      if (channel.name == flags.channel) kept.push_back(channel);
    }
    if (kept.empty()) fail("package '{}' has no channel '{}'; its channels: {}", flags.package, flags.channel, names);
    one.channels = std::move(kept);
  }
  return {one};
}

void printText(const std::vector<PackageListing>& packages, const ListOperatorsFlags& flags) {
  if (flags.package.empty()) {
    std::printf("%-50s %s\n", "NAME", "DEFAULT CHANNEL");
    for (const auto& package : packages) std::printf("%-50s %s\n", package.name.c_str(), package.defaultChannel.c_str());
    return;
  }
  const auto& package = packages.front();
  if (flags.channel.empty()) {
    std::printf("PACKAGE %s (default channel %s)\n", package.name.c_str(), package.defaultChannel.c_str());
    std::printf("%-40s %s\n", "CHANNEL", "HEAD");
    for (const auto& channel : package.channels)
      std::printf("%-40s %s\n", channel.name.c_str(), channel.head.empty() ? "(no single head)" : channel.head.c_str());
    return;
  }
  const auto& channel = package.channels.front();
  std::printf("PACKAGE %s CHANNEL %s (head %s)\n", package.name.c_str(), channel.name.c_str(), channel.head.c_str());
  std::printf("%-20s %s\n", "VERSION", "BUNDLE");
  for (const auto& bundle : channel.bundles) std::printf("%-20s %s\n", bundle.version.c_str(), bundle.name.c_str());
}

nlohmann::ordered_json toJson(const std::vector<PackageListing>& packages) {
  auto json = nlohmann::ordered_json::array();
  for (const auto& package : packages) {
    nlohmann::ordered_json entry{{"name", package.name}, {"defaultChannel", package.defaultChannel}};
    entry["channels"] = nlohmann::ordered_json::array();
    for (const auto& channel : package.channels) {
      nlohmann::ordered_json c{{"name", channel.name}, {"head", channel.head}};
      c["bundles"] = nlohmann::ordered_json::array();
      for (const auto& bundle : channel.bundles) c["bundles"].push_back({{"name", bundle.name}, {"version", bundle.version}});
      entry["channels"].push_back(c);
    }
    json.push_back(entry);
  }
  return json;
}

}  // namespace

CLI::App* addListCommand(CLI::App& app, ListOperatorsFlags& flags) {
  auto* list = app.add_subcommand("list", "List what a source offers");
  list->require_subcommand(1);
  auto* operators = list->add_subcommand(
      "operators", "Packages of an operator catalog image (every platform): default channels, channel heads, versions");
  auto* catalog =
      operators->add_option("--catalog", flags.catalog, "The catalog image: docker://HOST/PATH:TAG or oci:DIR[:TAG]");
  auto* catalogs = operators->add_flag("--catalogs", flags.catalogs,
                                       "List which of Red Hat's default catalogs of --version exist at the source");
  operators->add_option("--version", flags.version, "With --catalogs: the OpenShift version (4.18)");
  catalog->excludes(catalogs);
  addSourceMirrorFlag(operators, flags.sourceMirrors);
  operators->add_option("--package", flags.package, "Show this package's channels and their heads");
  operators->add_option("--channel", flags.channel, "With --package: show the channel's bundles and versions");
  operators->add_option("-o,--output", flags.output, "text or json")->default_val("text");
  operators->add_option("--authfile", flags.authFile, "Auth file to read credentials from");
  operators->add_option("--tls-verify", flags.access.tlsVerify, "Verify TLS (=false to skip)")->default_str("true");
  operators->add_flag("--skip-tls", flags.access.skipTls, "Do not verify TLS");
  operators->add_flag("--use-http", flags.access.useHttp, "Talk plain HTTP");
  operators->add_option("--cert-dir", flags.access.certDir, "Folder with *.crt CA files");
  operators->add_option("--creds", flags.access.creds, "USER:PASSWORD");
  addRetryFlags(operators, flags.retries);
  return list;
}

namespace {

// oc-mirror's `list operators --catalogs --version X`: the four catalogs Red Hat publishes per OpenShift release.
constexpr std::array<std::string_view, 4> kDefaultCatalogs = {
    "registry.redhat.io/redhat/redhat-operator-index", "registry.redhat.io/redhat/certified-operator-index",
    "registry.redhat.io/redhat/community-operator-index", "registry.redhat.io/redhat/redhat-marketplace-index"};

int listDefaultCatalogs(Endpoints& endpoints, const ListOperatorsFlags& flags) {
  static const std::regex kVersion(R"(4\.[0-9]{1,3})");
  if (!std::regex_match(flags.version, kVersion))
    fail(ErrorKind::InvalidInput, "--version must be an OpenShift minor version such as 4.18, not '{}'", flags.version);
  nlohmann::ordered_json found = nlohmann::ordered_json::array();
  for (auto name : kDefaultCatalogs) {
    auto reference = ImageReference::parse(fmt::format("docker://{}:v{}", name, flags.version));
    std::optional<Digest> digest;
    try {
      digest = endpoints.source(reference)->getManifest(*reference.tag).digest;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
    }
    if (flags.output == "json") {
      found.push_back({{"catalog", reference.str()}, {"digest", digest ? nlohmann::ordered_json(digest->str()) : nullptr}});
    } else {
      std::printf("%-70s %s\n", reference.str().c_str(), digest ? digest->str().c_str() : "(not found)");
    }
  }
  if (flags.output == "json") std::cout << found.dump(2) << "\n";
  return 0;
}

}  // namespace

int runListOperators(const ListOperatorsFlags& flags) {
  if (flags.output != "text" && flags.output != "json") fail("--output must be 'text' or 'json', not '{}'", flags.output);
  if (!flags.catalogs && flags.catalog.empty())
    fail(ErrorKind::InvalidInput, "list operators needs --catalog IMAGE, or --catalogs --version X");
  if (flags.catalogs && flags.version.empty()) fail(ErrorKind::InvalidInput, "--catalogs needs --version (4.18)");
  if (!flags.catalogs && !flags.version.empty()) fail(ErrorKind::InvalidInput, "--version goes with --catalogs");
  EndpointOptions options{flags.access.options(flags.authFile, 8), {}};
  flags.retries.apply(options.source, /*quiet=*/false, nullptr);
  options.sourceMirrors = parseSourceMirrors(flags.sourceMirrors);
  options.registriesConf = registriesConf();
  Endpoints endpoints(std::move(options));
  if (flags.catalogs) return listDefaultCatalogs(endpoints, flags);
  auto reference = ImageReference::parse(flags.catalog);
  auto source = endpoints.source(reference);
  TemporaryDirectory work("ferry-list");
  auto image = catalog::readCatalogImage(*source, reference, work.path());
  for (const auto& warning : image.warnings) printWarning(warning);

  std::vector<std::vector<PackageListing>> listings;
  for (const auto& variant : image.variants) listings.push_back(catalog::listPackages(variant.catalog));
  std::vector<std::string> differences;
  for (size_t v = 1; v < image.variants.size(); ++v) {
    auto lines = catalog::catalogDifferences(listings[0], platformsOf(image, image.variants[0]), listings[v],
                                             platformsOf(image, image.variants[v]));
    differences.insert(differences.end(), lines.begin(), lines.end());
  }

  if (flags.output == "json") {
    nlohmann::ordered_json json;
    json["catalog"] = reference.str();
    json["digest"] = image.graph.raw.digest.str();
    json["platforms"] = nlohmann::ordered_json::array();
    for (const auto& platform : image.platforms)
      json["platforms"].push_back({{"platform", platform.platform.str()}, {"variant", platform.variant}});
    json["variants"] = nlohmann::ordered_json::array();
    for (size_t v = 0; v < image.variants.size(); ++v)
      json["variants"].push_back({{"platforms", platformsOf(image, image.variants[v])},
                                  {"packages", toJson(narrowed(listings[v], flags))}});
    json["differences"] = differences;
    std::cout << json.dump(2) << "\n";
    return 0;
  }

  std::printf("catalog %s (%s)\n", reference.str().c_str(), image.graph.raw.digest.str().c_str());
  if (image.variants.size() == 1) {
    std::printf("platforms: %s (one catalog content)\n\n", platformsOf(image, image.variants[0]).c_str());
  } else {
    std::printf("platforms carry %zu different catalogs:\n", image.variants.size());
    for (size_t v = 0; v < image.variants.size(); ++v)
      std::printf("  catalog %zu: %s\n", v + 1, platformsOf(image, image.variants[v]).c_str());
    std::printf("differences:\n");
    for (const auto& line : differences) std::printf("  %s\n", line.c_str());
    std::printf("\n");
  }
  for (size_t v = 0; v < image.variants.size(); ++v) {
    if (image.variants.size() > 1) std::printf("== catalog %zu (%s)\n", v + 1, platformsOf(image, image.variants[v]).c_str());
    printText(narrowed(listings[v], flags), flags);
    if (v + 1 < image.variants.size()) std::printf("\n");
  }
  return 0;
}

}  // namespace ferry
