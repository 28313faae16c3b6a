// `ferry mirror` with mirror.helm, end to end: a chart repository made by the
// test (index.yaml + .tgz served by the test HTTP server), an OCI chart and the
// chart images in a real source registry, a local chart folder; mirrored
// registry to registry, to an archive and from it; the charts pulled back as
// OCI charts; a chart whose digest does not match its index; a repository
// that is down; a fake `helm` that prints canned manifests.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <map>
#include <thread>
#include <nlohmann/json.hpp>

#include "ferry/base/base64.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/chart/chart_archive.h"
#include "ferry/chart/oci_chart.h"
#include "ferry/layout/oci_layout.h"
#include "integration/ferry_test_env.h"
#include "support/http_client.h"
#include "support/http_server.h"
#include "support/registry_push.h"
#include "support/test_keys.h"

namespace ferry::testing {
namespace {

using nlohmann::json;

// An image pushed to the source registry for a chart to name.
struct SourceImage {
  std::string repository;
  std::string tag;
  FixtureImage image;
};

class HelmMirror : public ::testing::Test {
 protected:
  void SetUp() override {
    auto layout = work_.path() / "images";
    FixtureBuilder builder(layout, 1500);
    ImageSpec small{.platforms = {}, .format = "oci", .sharedLayers = {}, .ownLayers = 1, .ownLayerMinSize = 2048,
                    .ownLayerMaxSize = 4096, .gzipLevel = 0};
    for (auto [repository, tag] : std::vector<std::pair<std::string, std::string>>{{"shop/api", "2.1"},
                                                                                  {"shop/cron", "1.0"},
                                                                                  {"shop/env", "3"},
                                                                                  {"shop/redis", "7.2"},
                                                                                  {"shop/web", "2.1"},
                                                                                  {"shop/pinned", "x"},
                                                                                  {"shop/local", "1"},
                                                                                  {"shop/oci", "5"}}) {
      auto image = builder.image(repository + "-" + tag, small);
      pushImage(source_, layout, image, repository, tag);
      images_.push_back({repository, tag, image});
    }
    pinned_ = source_.host() + "/shop/pinned@" + images_[5].image.digest.str();

    shopTgz_ = chart::packChartArchive(shopChart("1.0.0"), "shop");
    shopRcTgz_ = chart::packChartArchive(shopChart("1.1.0-rc.1"), "shop");
    commonTgz_ = chart::packChartArchive({{"Chart.yaml", "apiVersion: v2\nname: common\nversion: 2.0.0\ntype: library\n"}},
                                         "common");
    server_ = std::make_unique<HttpServer>([this](const ferry::testing::HttpRequest& request) { return serve(request); });

    // A local chart folder.
    localDir_ = work_.path() / "local" / "tool";
    std::filesystem::create_directories(localDir_ / "templates");
    writeFileAtomically(localDir_ / "Chart.yaml", "apiVersion: v2\nname: tool\nversion: 0.3.0\n");
    writeFileAtomically(localDir_ / "templates" / "job.yaml",
                        "kind: Job\nspec:\n  template:\n    spec:\n      containers:\n      - image: " + source_.host() +
                            "/shop/local:1\n");

    // An OCI chart in the source registry.
    auto ociTgz = chart::packChartArchive(
        {{"Chart.yaml", "apiVersion: v2\nname: ocichart\nversion: 5.0.0+build.1\n"},
         {"values.yaml", "image: " + source_.host() + "/shop/oci:5\n"}},
        "ocichart");
    auto ociLayoutDir = work_.path() / "oci-chart";
    auto layout2 = OciLayout::create(ociLayoutDir);
    auto loaded = chart::loadChart(chart::readChartArchive(ociTgz, "ocichart"), "ocichart");
    auto digest = chart::writeOciChart(*layout2, ociTgz, loaded);
    FixtureImage ociImage{.name = "5.0.0_build.1", .mediaType = "application/vnd.oci.image.manifest.v1+json",
                          .digest = digest, .size = 0, .blobs = {}, .manifests = {digest}};
    auto raw = layout2->getManifest(digest.str());
    ociImage.size = static_cast<int64_t>(raw.bytes.size());
    auto manifest = json::parse(raw.bytes);
    ociImage.blobs.push_back(Digest::parse(manifest["config"]["digest"].get<std::string>()));
    ociImage.blobs.push_back(Digest::parse(manifest["layers"][0]["digest"].get<std::string>()));
    pushImage(source_, ociLayoutDir, ociImage, "charts/ocichart", "5.0.0_build.1");
    // More tags: an older release and a newer pre-release.
    pushImage(source_, ociLayoutDir, ociImage, "charts/ocichart", "4.0.0");
    pushImage(source_, ociLayoutDir, ociImage, "charts/ocichart", "6.0.0-rc.1");
    ociTgz_ = ociTgz;
  }

  chart::ChartFiles shopChart(const std::string& version) {
    auto src = source_.host();
    chart::ChartFiles files;
    files["Chart.yaml"] = "apiVersion: v2\nname: shop\nversion: " + version +
                          "\nappVersion: \"2.1\"\ndependencies:\n- name: redis\n  version: 1.0.0\n"
                          "annotations:\n  artifacthub.io/images: |\n    - name: web\n      image: " +
                          src + "/shop/web:2.1\n";
    files["values.yaml"] = "image:\n  registry: " + src + "\n  repository: shop/api\n  tag: \"2.1\"\n" +
                           "pinned:\n  image: " + pinned_ + "\nuntagged:\n  image: " + src + "/shop/untagged\n" +
                           "redis:\n  image:\n    tag: \"7.2\"\n";
    files["templates/deploy.yaml"] =
        "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers:\n"
        "      - name: api\n        image: \"{{ .Values.image.registry }}/{{ .Values.image.repository }}:{{ "
        ".Values.image.tag }}\"\n        env:\n        - name: HELPER\n          value: " +
        src + "/shop/env:3\n";
    files["templates/cron.yaml"] =
        "kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          containers:\n"
        "          - image: " +
        src + "/shop/cron:1.0\n";
    files["charts/redis/Chart.yaml"] = "name: redis\nversion: 1.0.0\n";
    files["charts/redis/values.yaml"] = "image:\n  registry: " + src + "\n  repository: shop/redis\n  tag: \"7.0\"\n";
    return files;
  }

  std::string packedTgz() const {
    return chart::packChartArchive({{"Chart.yaml", "apiVersion: v2\nname: packed\nversion: 1.0.0\n"},
                                    {"values.yaml", "image: " + source_.host() + "/shop/local:1\n"}},
                                   "packed");
  }

  std::string indexYaml() const {
    auto entry = [](const std::string& name, const std::string& version, const std::string& url,
                    const std::string& digest, const std::string& type = "") {
      return "  - name: " + name + "\n    version: " + version + "\n    urls: [" + url + "]\n    digest: " + digest +
             "\n" + (type.empty() ? "" : "    type: " + type + "\n");
    };
    std::string text = "apiVersion: v1\nentries:\n  shop:\n";
    text += entry("shop", "1.1.0-rc.1", "shop-1.1.0-rc.1.tgz", std::string(Digest::sha256Of(shopRcTgz_).hex()));
    text += entry("shop", "1.0.0", "shop-1.0.0.tgz", std::string(Digest::sha256Of(shopTgz_).hex()));
    // Listed with the digest of another chart: never mirrored.
    text += entry("shop", "0.9.0", "shop-0.9.0.tgz", std::string(Digest::sha256Of(commonTgz_).hex()));
    text += "  common:\n" + entry("common", "2.0.0", "common-2.0.0.tgz",
                                  std::string(Digest::sha256Of(commonTgz_).hex()), "library");
    return text;
  }

  ferry::testing::HttpResponse serve(const ferry::testing::HttpRequest& request) {
    ++requests_;
    ferry::testing::HttpResponse response;
    if (!requiredAuthorization_.empty() && request.header("authorization") != requiredAuthorization_) {
      response.status = 401;
      response.with("WWW-Authenticate", "Basic realm=\"charts\"");
      return response;
    }
    if (request.path == "/charts/index.yaml") response.body = indexYaml();
    else if (request.path == "/charts/shop-1.0.0.tgz") response.body = shopTgz_;
    else if (request.path == "/charts/shop-1.1.0-rc.1.tgz") response.body = shopRcTgz_;
    else if (request.path == "/charts/shop-0.9.0.tgz") response.body = shopTgz_;  // not what the index says
    else if (request.path == "/charts/common-2.0.0.tgz") response.body = commonTgz_;
    else response.status = 404;
    return response;
  }

  std::filesystem::path writeConfig(const std::string& name, const std::string& repositories,
                                    bool withLocal = true, const std::string& mirrorExtra = "") {
    std::string text = "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n  helm:\n"
                       "    repositories:\n" + repositories;
    if (withLocal) {
      // A local folder and a local .tgz.
      auto tgz = work_.path() / "packed" / "packed-1.0.0.tgz";
      std::filesystem::create_directories(tgz.parent_path());
      writeFileAtomically(tgz, packedTgz());
      text += "    local:\n    - name: tools\n      path: " + localDir_.string() + "\n    - name: packed\n      path: " +
              tgz.string() + "\n";
    }
    text += mirrorExtra;
    auto path = work_.path() / name;
    writeFileAtomically(path, text);
    return path;
  }

  std::string shopRepository(const std::string& charts = "      charts:\n      - name: shop\n") const {
    // No trailing slash on the URL: chart URLs are still resolved under it.
    return "    - name: shop\n      url: " + server_->url() + "/charts\n" + charts;
  }

  std::string ociRepository() const {
    return "    - name: ocirepo\n      url: oci://" + source_.host() + "/charts\n      charts:\n      - name: ocichart\n"
           "        version: 5.0.0+build.1\n";
  }

  std::vector<std::string> flags(std::vector<std::string> args, const TestRegistry* destination) const {
    for (auto& flag : accessFlags(source_, "src")) args.push_back(flag);
    if (destination)
      for (auto& flag : accessFlags(*destination, "dest")) args.push_back(flag);
    args.push_back("--retry-times=2");
    args.push_back("--retry-delay=100ms");
    return args;
  }

  std::string digestAt(const TestRegistry& registry, const std::string& reference) const {
    std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
    for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
    argv.push_back("docker://" + registry.host() + "/" + reference);
    return Digest::sha256Of(runChecked(argv)).str();
  }

  // Every image the charts name, at the destination under mirror/, digest for digest.
  void expectImagesAt(const TestRegistry& destination) const {
    for (const auto& image : images_) {
      if (image.repository == "shop/pinned") continue;
      EXPECT_EQ(digestAt(destination, "mirror/" + image.repository + ":" + image.tag), image.image.digest.str())
          << image.repository;
    }
    EXPECT_EQ(digestAt(destination, "mirror/shop/pinned:" + std::string("sha256-") +
                                        std::string(images_[5].image.digest.hex())),
              images_[5].image.digest.str());
  }

  // The chart at the destination is an OCI chart whose content layer is the .tgz, byte for byte.
  void expectChartAt(const TestRegistry& destination, const std::string& repository, const std::string& tag,
                     const std::string& tgz) const {
    std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
    for (auto& flag : skopeoFlags(destination, "")) argv.push_back(flag);
    argv.push_back("docker://" + destination.host() + "/" + repository + ":" + tag);
    auto manifest = json::parse(runChecked(argv));
    EXPECT_EQ(manifest["config"]["mediaType"], std::string(chart::kHelmConfigMediaType));
    ASSERT_EQ(manifest["layers"].size(), 1u);
    EXPECT_EQ(manifest["layers"][0]["mediaType"], std::string(chart::kHelmChartContentMediaType));
    auto blob = httpGet(destination.url() + "/v2/" + repository + "/blobs/" +
                        manifest["layers"][0]["digest"].get<std::string>());
    ASSERT_EQ(blob.status, 200);
    EXPECT_EQ(blob.body, tgz);
  }

  TemporaryDirectory work_{"ferry-helm-test"};
  TestRegistry source_;
  std::vector<SourceImage> images_;
  std::string pinned_;
  std::string shopTgz_, shopRcTgz_, commonTgz_, ociTgz_;
  std::filesystem::path localDir_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> requests_{0};
  std::string requiredAuthorization_;  // set before the server serves a request
};

TEST_F(HelmMirror, MirrorToMirrorCarriesEveryImageAndTheChartsThenMovesNothingAgain) {
  TestRegistry destination;
  auto config = writeConfig("isc.yaml", shopRepository("      charts:\n      - name: shop\n        imagePaths: "
                                                       "[\"{.spec.template.spec.containers[*].env[*].value}\"]\n") +
                                            ociRepository());
  auto workspace = work_.path() / "ws";
  auto args = flags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                     "docker://" + destination.host() + "/mirror"},
                    &destination);
  auto run = runFerry(args);
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  // The untagged reference is reported.
  EXPECT_NE((run.out + run.err).find("shop/untagged"), std::string::npos) << run.out << run.err;
  expectImagesAt(destination);
  // 1.0.0: the newest version that is not a pre-release.
  expectChartAt(destination, "mirror/shop/shop", "1.0.0", shopTgz_);
  expectChartAt(destination, "mirror/tools/tool", "0.3.0", chart::packChartArchive(chart::readChartDirectory(localDir_), "tool"));
  expectChartAt(destination, "mirror/charts/ocichart", "5.0.0_build.1", ociTgz_);
  expectChartAt(destination, "mirror/packed/packed", "1.0.0", packedTgz());
  auto list = readFile(workspace / "working-dir" / "cluster-resources" / "ferry-helm-charts.yaml");
  EXPECT_NE(list.find("oci://" + destination.host() + "/mirror/shop/shop"), std::string::npos) << list;
  EXPECT_NE(list.find("helm install shop"), std::string::npos) << list;
  // Charts are not in the mirror sets (helm pulls them, not the cluster's runtime); their images are.
  std::string sets;
  for (const auto& entry : std::filesystem::directory_iterator(workspace / "working-dir" / "cluster-resources"))
    if (entry.path().filename().string().starts_with("idms") || entry.path().filename().string().starts_with("itms"))
      sets += readFile(entry.path());
  EXPECT_NE(sets.find("source: \"" + source_.host() + "/shop\""), std::string::npos) << sets;
  EXPECT_EQ(sets.find("/charts"), std::string::npos) << sets;
  EXPECT_EQ(run.err.find("have no registry name"), std::string::npos) << run.err;
  // Where each image was found.
  auto found = readFile(workspace / "working-dir" / "helm" / "images.txt");
  EXPECT_NE(found.find("shop/cron:1.0\tchart shop 1.0.0: templates/cron.yaml"), std::string::npos) << found;
  EXPECT_NE(found.find("redis:7.2\tchart shop 1.0.0: charts/redis/values.yaml"), std::string::npos) << found;

  // Again: nothing new is uploaded.
  auto before = destination.accessLogCount("PUT") + destination.accessLogCount("POST");
  auto again = runFerry(args);
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_EQ(destination.accessLogCount("PUT") + destination.accessLogCount("POST"), before);
}

TEST_F(HelmMirror, MirrorToDiskThenDiskToMirror) {
  TestRegistry destination;
  auto config = writeConfig("isc.yaml", shopRepository() + ociRepository());
  auto archive = work_.path() / "archive";
  auto m2d = runFerry(flags({"mirror", "-c", config.string(), "file://" + archive.string()}, nullptr));
  ASSERT_EQ(m2d.exitCode, 0) << m2d.out << m2d.err;
  server_->stop();  // the disconnected side has no chart repository
  // Nor the connected side's working files: what d2m pushes comes from the archive.
  std::filesystem::remove_all(archive / "working-dir" / "helm");
  auto d2m = runFerry(flags({"mirror", "-c", config.string(), "--from", "file://" + archive.string(),
                             "docker://" + destination.host() + "/mirror"},
                            &destination));
  ASSERT_EQ(d2m.exitCode, 0) << d2m.out << d2m.err;
  for (const auto& image : images_) {
    if (image.repository == "shop/pinned" || image.repository == "shop/env") continue;  // env: only with imagePaths
    EXPECT_EQ(digestAt(destination, "mirror/" + image.repository + ":" + image.tag), image.image.digest.str())
        << image.repository;
  }
  EXPECT_EQ(digestAt(destination, "mirror/shop/pinned:sha256-" + std::string(images_[5].image.digest.hex())),
            images_[5].image.digest.str());
  expectChartAt(destination, "mirror/shop/shop", "1.0.0", shopTgz_);
  expectChartAt(destination, "mirror/charts/ocichart", "5.0.0_build.1", ociTgz_);
  EXPECT_TRUE(std::filesystem::exists(archive / "working-dir" / "cluster-resources" / "ferry-helm-charts.yaml"));

  // A configuration that asks for the shop chart only: the OCI chart and its image stay in the archive.
  TestRegistry narrowDestination;
  auto onlyShop = writeConfig("only-shop.yaml", shopRepository(), false);
  auto narrow = runFerry(flags({"mirror", "-c", onlyShop.string(), "--from", "file://" + archive.string(),
                                "docker://" + narrowDestination.host() + "/mirror"},
                               &narrowDestination));
  ASSERT_EQ(narrow.exitCode, 0) << narrow.out << narrow.err;
  expectChartAt(narrowDestination, "mirror/shop/shop", "1.0.0", shopTgz_);
  EXPECT_EQ(digestAt(narrowDestination, "mirror/shop/api:2.1"), images_[0].image.digest.str());
  EXPECT_EQ(getManifest(narrowDestination, "mirror/charts/ocichart", "5.0.0_build.1").status, 404);
  EXPECT_EQ(getManifest(narrowDestination, "mirror/shop/oci", "5").status, 404);
  EXPECT_EQ(getManifest(narrowDestination, "mirror/tools/tool", "0.3.0").status, 404);

  // A second mirror-to-disk with the repository back: the same charts and images, nothing new to ship.
  server_ = std::make_unique<HttpServer>([this](const ferry::testing::HttpRequest& request) { return serve(request); });
  config = writeConfig("isc2.yaml", shopRepository() + ociRepository());
  auto again = runFerry(flags({"mirror", "-c", config.string(), "file://" + archive.string()}, nullptr));
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("nothing new to ship"), std::string::npos) << again.out << again.err;
}

TEST_F(HelmMirror, ARepositoryWithoutChartsTakesEveryVersionButLibraryChartsAndBlockedImagesStayOut) {
  auto config = writeConfig("isc.yaml", "    - name: shop\n      url: " + server_->url() + "/charts/\n", false,
                            "  blockedImages:\n  - name: .*/shop/web.*\n");
  auto workspace = work_.path() / "ws";
  auto run = runFerry(flags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                             "--dry-run", "docker://127.0.0.1:1/mirror"},
                            nullptr));
  // shop 0.9.0 does not match its index digest: bit 16; the two other versions are planned.
  EXPECT_EQ(run.exitCode, 16) << run.out << run.err;
  EXPECT_NE(run.err.find("every version of every chart but library charts is mirrored, as oc-mirror does: 3 chart "
                         "versions"),
            std::string::npos)
      << run.err;
  auto mapping = readFile(workspace / "working-dir" / "dry-run" / "mapping.txt");
  EXPECT_NE(mapping.find("/mirror/shop/shop:1.0.0"), std::string::npos) << mapping;
  EXPECT_NE(mapping.find("/mirror/shop/shop:1.1.0-rc.1"), std::string::npos) << mapping;
  EXPECT_EQ(mapping.find("common"), std::string::npos) << mapping;
  EXPECT_EQ(mapping.find("shop/web"), std::string::npos) << mapping;
  EXPECT_NE(mapping.find("shop/api:2.1"), std::string::npos) << mapping;
}

TEST_F(HelmMirror, AnOciChartWithoutVersionTakesTheNewestReleaseTag) {
  auto config = writeConfig("isc.yaml", "    - name: ocirepo\n      url: oci://" + source_.host() +
                                            "/charts\n      charts:\n      - name: ocichart\n", false);
  auto workspace = work_.path() / "ws";
  auto run = runFerry(flags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                             "--dry-run", "docker://127.0.0.1:1/mirror"},
                            nullptr));
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  auto mapping = readFile(workspace / "working-dir" / "dry-run" / "mapping.txt");
  EXPECT_NE(mapping.find("/mirror/charts/ocichart:5.0.0_build.1"), std::string::npos) << mapping;
  EXPECT_EQ(mapping.find("6.0.0-rc.1"), std::string::npos) << mapping;
  EXPECT_NE(mapping.find("/shop/oci:5"), std::string::npos) << mapping;
}

TEST_F(HelmMirror, AChartWhoseDigestDoesNotMatchItsIndexFailsWithBit16) {
  TestRegistry destination;
  auto config = writeConfig("isc.yaml", shopRepository("      charts:\n      - name: shop\n        version: 0.9.0\n"),
                            /*withLocal=*/true);
  auto run = runFerry(flags({"mirror", "-c", config.string(), "--workspace", "file://" + (work_.path() / "ws").string(),
                             "docker://" + destination.host() + "/mirror"},
                            &destination));
  EXPECT_EQ(run.exitCode, 16) << run.out << run.err;
  EXPECT_NE(run.err.find("the repository index says"), std::string::npos) << run.err;
  // The other chart still went.
  expectChartAt(destination, "mirror/tools/tool", "0.3.0",
                chart::packChartArchive(chart::readChartDirectory(localDir_), "tool"));
}

TEST_F(HelmMirror, AChartRepositoryGetsTheAuthFileEntryOfItsHost) {
  requiredAuthorization_ = "Basic " + base64Encode("chartuser:chartpass");
  auto config = writeConfig("isc.yaml", shopRepository(), false);
  auto workspace = work_.path() / "ws";
  auto dryRun = [&](std::vector<std::string> extra) {
    std::vector<std::string> args{"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                  "--dry-run", "docker://127.0.0.1:1/mirror"};
    args.insert(args.end(), extra.begin(), extra.end());
    return runFerry(flags(args, nullptr));
  };
  auto refused = dryRun({});
  EXPECT_EQ(refused.exitCode, 16) << refused.err;
  EXPECT_NE(refused.err.find("HTTP 401; give credentials for " + server_->host()), std::string::npos) << refused.err;
  auto authFile = work_.path() / "auth.json";
  writeFileAtomically(authFile, "{\"auths\": {\"" + server_->host() + "\": {\"auth\": \"" +
                                    base64Encode("chartuser:chartpass") + "\"}}}");
  auto run = dryRun({"--authfile", authFile.string()});
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  EXPECT_NE(readFile(workspace / "working-dir" / "dry-run" / "mapping.txt").find("/mirror/shop/shop:1.0.0"),
            std::string::npos);
}

// An HTTPS chart repository (openssl s_server serving the files), trusted through --src-cert-dir as a registry would be.
TEST_F(HelmMirror, AnHttpsChartRepositoryIsTrustedLikeASourceRegistry) {
  auto files = work_.path() / "https";
  std::filesystem::create_directories(files / "charts");
  writeFileAtomically(files / "charts" / "index.yaml", indexYaml());
  writeFileAtomically(files / "charts" / "shop-1.0.0.tgz", shopTgz_);
  int port = 0;
  {
    HttpServer probe([](const ferry::testing::HttpRequest&) { return ferry::testing::HttpResponse{}; });
    port = probe.port();
  }
  const auto& keys = harnessKeys();
  ChildProcess server({"sh", "-c",
                       "cd '" + files.string() + "' && exec openssl s_server -quiet -WWW -accept " +
                           std::to_string(port) + " -cert '" + keys.serverCert.string() + "' -key '" +
                           keys.serverKey.string() + "'"},
                      work_.path() / "s_server.log");
  auto url = "https://127.0.0.1:" + std::to_string(port) + "/charts";
  ClientOptions trust;
  trust.caFile = keys.caCert;
  bool ready = false;
  for (int i = 0; i < 100 && !ready; ++i) {
    try {
      ready = httpGet(url + "/index.yaml", trust).status == 200;
    } catch (const ferry::Error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  ASSERT_TRUE(ready) << readFile(work_.path() / "s_server.log");
  auto certDir = work_.path() / "certs";
  std::filesystem::create_directories(certDir);
  std::filesystem::copy_file(keys.caCert, certDir / "ca.crt");
  auto config = writeConfig("isc.yaml", "    - name: shop\n      url: " + url + "\n      charts:\n      - name: shop\n",
                            false);
  auto workspace = work_.path() / "ws";
  std::vector<std::string> base{"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                                "--dry-run", "docker://127.0.0.1:1/mirror"};
  auto untrusted = runFerry(flags(base, nullptr));
  EXPECT_EQ(untrusted.exitCode, 16) << untrusted.err;
  EXPECT_NE(untrusted.err.find(url + "/index.yaml"), std::string::npos) << untrusted.err;
  base.push_back("--src-cert-dir=" + certDir.string());
  auto trusted = runFerry(flags(base, nullptr));
  ASSERT_EQ(trusted.exitCode, 0) << trusted.out << trusted.err;
  EXPECT_NE(readFile(workspace / "working-dir" / "dry-run" / "mapping.txt").find("/mirror/shop/shop:1.0.0"),
            std::string::npos);
  server.stop();
}

TEST_F(HelmMirror, ARepositoryThatIsDownIsRetriedThenNamed) {
  TestRegistry destination;
  auto url = server_->url();
  server_->stop();
  auto config = writeConfig("isc.yaml", "    - name: down\n      url: " + url + "/charts/\n", false);
  auto run = runFerry(flags({"mirror", "-c", config.string(), "--workspace", "file://" + (work_.path() / "ws").string(),
                             "docker://" + destination.host() + "/mirror"},
                            &destination));
  EXPECT_EQ(run.exitCode, 16) << run.out << run.err;
  EXPECT_NE(run.err.find(url + "/charts/index.yaml"), std::string::npos) << run.err;
  EXPECT_NE((run.out + run.err).find("retry 2/2"), std::string::npos) << run.out << run.err;
}

TEST_F(HelmMirror, AFakeHelmBinaryAddsWhatItRenders) {
  auto helm = work_.path() / "helm";
  writeFileAtomically(helm, "#!/bin/sh\n[ \"$1\" = template ] || exit 3\ncat <<'EOF'\n---\nkind: Deployment\nspec:\n"
                            "  template:\n    spec:\n      containers:\n      - image: " +
                                source_.host() + "/shop/rendered:9\n"
                                "EOF\n");
  std::filesystem::permissions(helm, std::filesystem::perms::owner_all);
  auto config = writeConfig("isc.yaml", shopRepository(), false);
  auto workspace = work_.path() / "ws";
  auto run = runFerry(flags({"mirror", "-c", config.string(), "--workspace", "file://" + workspace.string(),
                             "--dry-run", "--helm", helm.string(), "docker://127.0.0.1:1/mirror"},
                            nullptr));
  ASSERT_EQ(run.exitCode, 0) << run.out << run.err;
  auto found = readFile(workspace / "working-dir" / "dry-run" / "helm-images.txt");
  EXPECT_NE(found.find(source_.host() + "/shop/rendered:9\t"), std::string::npos) << found;
  EXPECT_NE(found.find("helm template Deployment/"), std::string::npos) << found;
  EXPECT_NE(found.find("values.yaml image.{registry,repository,tag,digest}"), std::string::npos) << found;
}

// A chart's `platforms` narrow the images found in it as additionalImages[].platforms does: a tag-referenced
// image becomes a filtered index, a digest-referenced one sparse (docs/platforms.md); the chart itself is no index.
TEST(HelmPlatforms, AChartsPlatformsNarrowItsImagesInThePlan) {
  TemporaryDirectory work{"ferry-helm-platforms"};
  auto chart = work.path() / "chart";
  std::filesystem::create_directories(chart / "templates");
  writeFileAtomically(chart / "Chart.yaml", "apiVersion: v2\nname: tool\nversion: 0.3.0\n");
  auto pinned = "quay.io/org/pinned@" + Digest::sha256Of("x").str();
  writeFileAtomically(chart / "values.yaml", "image: quay.io/org/app:v1\nsidecar:\n  image: " + pinned + "\n");
  auto config = work.path() / "isc.yaml";
  writeFileAtomically(config, "apiVersion: mirror.openshift.io/v2alpha1\nkind: ImageSetConfiguration\nmirror:\n"
                              "  helm:\n    local:\n    - name: tools\n      path: " + chart.string() + "\n"
                              "      platforms:\n      - os: linux\n        architecture: arm64\n");
  auto planned = runFerry({"mirror", "-c", config.string(), "--dry-run", "--workspace",
                           "file://" + (work.path() / "ws").string(), "docker://127.0.0.1:1/mirror", "-o", "json"});
  ASSERT_EQ(planned.exitCode, 0) << planned.err;
  std::map<std::string, std::pair<std::string, nlohmann::json>> bySource;
  auto plan = nlohmann::json::parse(planned.out);
  for (const auto& image : plan["images"])
    bySource[image["source"].get<std::string>()] = {image.value("platformMode", ""), image.value("platforms", nlohmann::json())};
  ASSERT_EQ(bySource.count("docker://quay.io/org/app:v1"), 1u) << planned.out;
  EXPECT_EQ(bySource["docker://quay.io/org/app:v1"].first, "filtered");
  EXPECT_EQ(bySource["docker://quay.io/org/app:v1"].second, nlohmann::json::array({"linux/arm64"}));
  ASSERT_EQ(bySource.count("docker://" + pinned), 1u) << planned.out;
  EXPECT_EQ(bySource["docker://" + pinned].first, "sparse");
  for (const auto& [source, choice] : bySource)
    if (source.starts_with("oci:")) EXPECT_EQ(choice.first, "") << "the chart itself is copied as it is";
}

}  // namespace
}  // namespace ferry::testing
