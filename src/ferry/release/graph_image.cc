#include "ferry/release/graph_image.h"

#include <zlib.h>

#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/http/http_client.h"
#include "ferry/imagefs/layer_writer.h"
#include "ferry/imagefs/tar_reader.h"
#include "ferry/oci/media_types.h"
#include "ferry/transport/graph_rebuild.h"
#include "ferry/transport/image_graph.h"

namespace ferry::release {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr const char* kEpoch = "1970-01-01T00:00:00Z";
constexpr const char* kCreatedBy = "ferry: graph data for the OpenShift Update Service";

// A gzip file's decompressed bytes, as the tar reader asks for them.
class GzipFileInput : public TarInput {
 public:
  GzipFileInput(const fs::path& file, std::string name) : name_(std::move(name)) {
    in_.open(file, std::ios::binary);
    if (!in_) fail("cannot read the graph data {} (saved as '{}')", name_, file.string());
    char magic[2] = {0, 0};
    in_.read(magic, 2);
    if (in_.gcount() != 2 || static_cast<unsigned char>(magic[0]) != 0x1f ||
        static_cast<unsigned char>(magic[1]) != 0x8b)
      fail(ErrorKind::InvalidInput,
           "the graph data {} is not a gzip tarball (cincinnati-graph-data as a .tar.gz); check --graph-data-url",
           name_);
    in_.seekg(0);
    if (inflateInit2(&zip_, 15 + 32) != Z_OK) fail("cannot start gzip decompression of the graph data {}", name_);
    open_ = true;
  }
  ~GzipFileInput() override {
    if (open_) inflateEnd(&zip_);
  }
  GzipFileInput(const GzipFileInput&) = delete;
  GzipFileInput& operator=(const GzipFileInput&) = delete;

  size_t read(char* buffer, size_t size) override {
    while (true) {
      if (ended_) {
        if (zip_.avail_in == 0 && !refill()) return 0;
        inflateReset(&zip_);  // concatenated gzip members
        ended_ = false;
      }
      if (zip_.avail_in == 0 && !refill()) {
        if (produced_ == 0) return 0;
        fail(ErrorKind::InvalidInput, "the graph data {} is cut short (the gzip stream does not end)", name_);
      }
      zip_.next_out = reinterpret_cast<Bytef*>(buffer);
      zip_.avail_out = static_cast<uInt>(size);
      int result = inflate(&zip_, Z_NO_FLUSH);
      if (result != Z_OK && result != Z_STREAM_END && result != Z_BUF_ERROR)
        fail(ErrorKind::InvalidInput, "the graph data {} is not a valid gzip stream: {}", name_,
             zip_.msg ? zip_.msg : "inflate failed");
      if (result == Z_STREAM_END) ended_ = true;
      size_t n = size - zip_.avail_out;
      produced_ += n;
      if (n > 0) return n;
    }
  }

 private:
  bool refill() {
    in_.read(chunk_, sizeof chunk_);
    auto got = in_.gcount();
    if (got <= 0) return false;
    zip_.next_in = reinterpret_cast<Bytef*>(chunk_);
    zip_.avail_in = static_cast<uInt>(got);
    return true;
  }

  std::ifstream in_;
  std::string name_;
  z_stream zip_{};
  bool open_ = false;
  bool ended_ = false;
  int64_t produced_ = 0;
  char chunk_[64 * 1024];
};

struct Unpacked {
  size_t files = 0;
  size_t skipped = 0;
};

// Unpacks the tarball into `target` (files 0644, directories 0755), streamed member by member.
Unpacked unpackGraphData(const GraphImageInput& input, const fs::path& target) {
  GzipFileInput gzip(input.tarball, input.tarballName);
  TarReader tar(gzip, "graph data " + input.tarballName);
  Unpacked unpacked;
  int64_t bytes = 0;
  size_t entries = 0;
  std::vector<char> buffer(64 * 1024);
  while (auto member = tar.next()) {
    if (++entries > kMaxGraphDataEntries)
      fail(ErrorKind::Limit, "the graph data {} has more than {} members, ferry's limit (kMaxGraphDataEntries, see "
           "docs/limits.md)", input.tarballName, kMaxGraphDataEntries);
    std::string path = member->path;
    while (path.starts_with("./")) path.erase(0, 2);
    if (path.empty() || path == ".") continue;
    path = checkedMemberPath(path, "graph data " + input.tarballName);
    auto destination = target / path;
    if (member->isDirectory()) {
      fs::create_directories(destination);
      continue;
    }
    if (!member->isFile()) {
      ++unpacked.skipped;  // links, devices: the graph data is plain files
      continue;
    }
    bytes += member->size;
    if (bytes > kMaxGraphDataFileBytes)
      fail(ErrorKind::Limit, "the graph data {} unpacks to more than {} MiB, ferry's limit (kMaxGraphDataFileBytes, "
           "see docs/limits.md)", input.tarballName, kMaxGraphDataFileBytes >> 20);
    fs::create_directories(destination.parent_path());
    if (fs::is_directory(destination)) fail("the graph data {} has both a directory and a file '{}'", input.tarballName, path);
    std::ofstream out(destination, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot write '{}' while unpacking the graph data {}", destination.string(), input.tarballName);
    while (size_t n = tar.readData(buffer.data(), buffer.size())) out.write(buffer.data(), static_cast<std::streamsize>(n));
    out.close();
    if (!out) fail("cannot write '{}' while unpacking the graph data {}", destination.string(), input.tarballName);
    ++unpacked.files;
  }
  if (unpacked.files == 0)
    fail(ErrorKind::InvalidInput, "the graph data {} holds no file; check --graph-data-url", input.tarballName);
  return unpacked;
}

struct Layer {
  Descriptor descriptor;  // media type set per manifest
  Digest diffId;
};

class GraphImageBuilder {
 public:
  GraphImageBuilder(OciLayout& out, std::string baseName, Layer layer)
      : out_(out), baseName_(std::move(baseName)), layer_(std::move(layer)) {}

  // nullopt: the base has no platform image.
  std::optional<RawManifest> rebuild(const ImageGraph& base) {
    return rebuildGraph(
        base,
        {.image = [this](const ImageGraph& image, const std::optional<Platform>& described) -> std::optional<RawManifest> {
           if (described && !described->isReal()) return std::nullopt;  // not a platform image (an attestation)
           return rebuildImage(image);
         },
         // Annotations may describe the base (e.g. its attestation's subject).
         .entry = [](ordered_json& entry, const ImageGraph&, const std::optional<Platform>&) { entry.erase("annotations"); },
         .nothingKept =
             [this](const ImageGraph& index) {
               fail("the graph image's base {} has no platform image (index {})", baseName_, index.raw.digest.str());
             },
         .stored = [this](const RawManifest& manifest) { out_.putManifest(manifest, std::nullopt, false); }});
  }

  std::vector<std::string> platforms;

 private:
  RawManifest rebuildImage(const ImageGraph& node) {
    if (!node.manifest.config)
      fail("the graph image's base {} ({}) is not an image manifest with a config", baseName_, node.raw.digest.str());
    bool docker = node.manifest.mediaType == media::kDockerManifest;
    auto config = ordered_json::parse(readSmallBlob(out_, *node.manifest.config), nullptr, false);
    if (config.is_discarded() || !config.is_object() || !config.contains("rootfs") || !config["rootfs"].is_object() ||
        !config["rootfs"]["diff_ids"].is_array())
      fail("the graph image's base {} ({}): its config is not an image config with rootfs.diff_ids", baseName_,
           node.raw.digest.str());
    config["rootfs"]["diff_ids"].push_back(layer_.diffId.str());
    std::string created = config.contains("created") && config["created"].is_string()
                              ? config["created"].get<std::string>()
                              : std::string(kEpoch);
    if (!config.contains("history") || !config["history"].is_array()) config["history"] = ordered_json::array();
    config["history"].push_back({{"created", created}, {"created_by", kCreatedBy}});
    ordered_json& section = config["config"];
    if (!section.is_object()) section = ordered_json::object();
    section["Cmd"] = {"/bin/bash", "-c", kGraphImageCommand};
    std::string os = config.value("os", "linux"), architecture = config.value("architecture", "amd64");
    platforms.push_back(os + "/" + architecture +
                        (config.contains("variant") && config["variant"].is_string()
                             ? "/" + config["variant"].get<std::string>()
                             : std::string()));
    std::string configBytes = config.dump();
    Descriptor configDescriptor{.mediaType = node.manifest.config->mediaType,
                                .digest = Digest::sha256Of(configBytes),
                                .size = static_cast<int64_t>(configBytes.size())};
    out_.putBlobBytes(configDescriptor, std::move(configBytes));
    auto manifest = ordered_json::parse(node.raw.bytes);
    manifest["config"]["digest"] = configDescriptor.digest.str();
    manifest["config"]["size"] = configDescriptor.size;
    if (!manifest["layers"].is_array()) manifest["layers"] = ordered_json::array();
    manifest["layers"].push_back({{"mediaType", docker ? media::kDockerLayerGzip : media::kOciLayerGzip},
                                  {"digest", layer_.descriptor.digest.str()},
                                  {"size", layer_.descriptor.size}});
    manifest.erase("annotations");
    return RawManifest::of(manifest.dump(), node.raw.mediaType);
  }

  OciLayout& out_;
  std::string baseName_;
  Layer layer_;
};

}  // namespace

void downloadGraphData(RetryingHttpClient& http, const std::string& url, const fs::path& file) {
  auto shown = urlForMessages(url);
  fs::create_directories(file.parent_path());
  auto partial = file;
  partial += ".partial";
  std::ofstream out;
  int64_t received = 0;
  bool tooLarge = false, writeFailed = false;
  HttpRequest request;
  request.url = url;
  request.headers = {"Accept: application/gzip, application/octet-stream, */*"};
  request.expectedBytes = kMaxGraphDataBytes / 8;
  request.onHead = [&](const HttpResponse& head) {
    if (head.status / 100 != 2) return true;  // the body is collected for the message
    auto length = head.header("content-length");
    if (!length.empty() && std::strtoll(length.c_str(), nullptr, 10) > kMaxGraphDataBytes) {
      tooLarge = true;
      return false;
    }
    out.close();
    out.clear();
    out.open(partial, std::ios::binary | std::ios::trunc);  // a retried attempt starts again
    received = 0;
    return static_cast<bool>(out);
  };
  request.onBody = [&](const char* data, size_t size) {
    received += static_cast<int64_t>(size);
    if (received > kMaxGraphDataBytes) {
      tooLarge = true;
      return false;
    }
    out.write(data, static_cast<std::streamsize>(size));
    if (!out) writeFailed = true;
    return !writeFailed;
  };
  HttpResponse response;
  try {
    response = http.send(request);
  } catch (const Error& e) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    fail(e.kind(), "cannot download the graph data {}: {}; check --graph-data-url and the network", shown, e.what());
  }
  out.close();
  auto cleanUp = [&] {
    std::error_code ignored;
    fs::remove(partial, ignored);
  };
  if (tooLarge) {
    cleanUp();
    fail(ErrorKind::Limit, "the graph data {} is larger than {} MiB, ferry's limit (kMaxGraphDataBytes, see "
         "docs/limits.md)", shown, kMaxGraphDataBytes >> 20);
  }
  if (writeFailed) {
    cleanUp();
    fail("cannot write the graph data {} to '{}'", shown, partial.string());
  }
  if (response.status != 200) {
    cleanUp();
    std::string body = response.body.substr(0, 200);
    for (auto& c : body)
      if (c == '\n' || c == '\r') c = ' ';
    fail(response.status == 404 ? ErrorKind::NotFound : ErrorKind::Other,
         "cannot download the graph data {}: HTTP {}{}{}; check --graph-data-url", shown, response.status,
         body.empty() ? "" : ": ", body);
  }
  if (response.failure != TransportFailure::None || response.abandoned) {
    cleanUp();
    fail("cannot download the graph data {}: {}", shown,
         response.failureDetail.empty() ? std::string("the transfer stopped") : response.failureDetail);
  }
  fs::rename(partial, file);
}

BuiltGraphImage buildGraphImage(OciLayout& out, const RawManifest& base, const std::string& baseName,
                                const GraphImageInput& input, const std::string& tag) {
  // 1. The graph data, unpacked, and the signatures beside it.
  auto tree = input.workDirectory / "graph-data";
  fs::remove_all(input.workDirectory);
  fs::create_directories(tree);
  auto unpacked = unpackGraphData(input, tree);
  for (const auto& signature : input.signatures) {
    auto directory = tree / "signatures" / std::string(signature.payload.algorithm()) / std::string(signature.payload.hex());
    fs::create_directories(directory);
    fs::copy_file(signature.file, directory / fmt::format("signature-{}", signature.number),
                  fs::copy_options::overwrite_existing);
    ++unpacked.files;
  }

  // 2. One layer: var/, var/lib/, then the tree, sorted; hashed as it is written.
  auto staging = out.stagingDirectory().value_or(out.directory() / "blobs");
  fs::create_directories(staging);
  LayerWriter writer(uniqueTemporaryPath(staging, "ferry-graph-layer"));
  writer.addDirectory("var");
  writer.addDirectory("var/lib");
  writer.addTree(kGraphDataDirectory, tree);
  auto written = writer.finish();
  Descriptor layerDescriptor{.mediaType = std::string(media::kOciLayerGzip), .digest = written.digest, .size = written.size};
  try {
    out.putBlob(layerDescriptor, written.file);
  } catch (...) {
    std::error_code ignored;
    fs::remove(written.file, ignored);
    throw;
  }
  std::error_code ignored;
  fs::remove(written.file, ignored);  // when putBlob copied it
  fs::remove_all(input.workDirectory, ignored);

  // 3. The base's platform images with the layer on top.
  auto graph = fetchImageGraph(out, base);
  GraphImageBuilder builder(out, baseName, {layerDescriptor, written.diffId});
  auto top = builder.rebuild(graph);
  if (!top) fail("the graph image's base {} has no platform image", baseName);
  out.putManifest(*top, tag, true);
  return BuiltGraphImage{.top = std::move(*top),
                         .layer = written.digest,
                         .files = unpacked.files,
                         .skipped = unpacked.skipped,
                         .platforms = std::move(builder.platforms)};
}

}  // namespace ferry::release
