#include "support/catalog_images.h"

#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <memory>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry::testing {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kCreated = "2024-01-01T00:00:00Z";
constexpr int64_t kEntryTime = 1704067200;  // kCreated
constexpr const char* kConfigsLabel = "operators.operatorframework.io.index.configs.v1";

struct ArchiveDeleter {
  void operator()(struct archive* archive) const { archive_write_free(archive); }
};
struct EntryDeleter {
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};

la_ssize_t appendToString(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

void check(struct archive* archive, int result, const std::string& what) {
  if (result < ARCHIVE_WARN) fail("cannot write a test tar: {} failed: {}", what, archive_error_string(archive));
}

std::string tarOf(const std::vector<TarEntry>& entries) {
  std::string tar;
  std::unique_ptr<struct archive, ArchiveDeleter> owner(archive_write_new());
  struct archive* writer = owner.get();
  check(writer, archive_write_set_format_pax_restricted(writer), "choosing the PAX format");
  check(writer, archive_write_set_bytes_in_last_block(writer, 1), "setting the block size");
  check(writer, archive_write_open2(writer, &tar, nullptr, appendToString, nullptr, nullptr), "opening");
  for (const auto& item : entries) {
    std::unique_ptr<archive_entry, EntryDeleter> entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), item.path.c_str());
    archive_entry_set_mtime(entry.get(), kEntryTime, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    int64_t size = 0;
    switch (item.type) {
      case TarEntry::Type::File:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), item.mode < 0 ? 0644 : item.mode);
        size = static_cast<int64_t>(item.content.size());
        break;
      case TarEntry::Type::Directory:
        archive_entry_set_filetype(entry.get(), AE_IFDIR);
        archive_entry_set_perm(entry.get(), item.mode < 0 ? 0755 : item.mode);
        break;
      case TarEntry::Type::Symlink:
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_perm(entry.get(), 0777);
        archive_entry_set_symlink(entry.get(), item.content.c_str());
        break;
      case TarEntry::Type::Hardlink:
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_perm(entry.get(), 0644);
        archive_entry_set_hardlink(entry.get(), item.content.c_str());
        break;
      case TarEntry::Type::Fifo:
        archive_entry_set_filetype(entry.get(), AE_IFIFO);
        archive_entry_set_perm(entry.get(), 0644);
        break;
    }
    archive_entry_set_size(entry.get(), size);
    check(writer, archive_write_header(writer, entry.get()), "the header of '" + item.path + "'");
    if (size > 0 &&
        archive_write_data(writer, item.content.data(), item.content.size()) != static_cast<la_ssize_t>(size))
      check(writer, ARCHIVE_FATAL, "the data of '" + item.path + "'");
  }
  check(writer, archive_write_close(writer), "closing");
  return tar;
}

std::string gzip(const std::string& data) {
  z_stream stream{};
  // windowBits 15 + 16: a gzip wrapper with no name and time 0.
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) fail("cannot start gzip");
  std::string out(deflateBound(&stream, data.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  stream.avail_in = static_cast<uInt>(data.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  int result = deflate(&stream, Z_FINISH);
  deflateEnd(&stream);
  if (result != Z_STREAM_END) fail("gzip of a test layer failed");
  out.resize(stream.total_out);
  return out;
}

std::string zstd(const std::string& data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  size_t size = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(size)) fail("zstd of a test layer failed: {}", ZSTD_getErrorName(size));
  out.resize(size);
  return out;
}

std::string digestOf(const Json& descriptor) { return descriptor["digest"].get<std::string>(); }

}  // namespace

TarEntry TarEntry::file(std::string path, std::string content, int mode) {
  return TarEntry{Type::File, std::move(path), std::move(content), mode};
}
TarEntry TarEntry::directory(std::string path, int mode) { return TarEntry{Type::Directory, std::move(path), {}, mode}; }
TarEntry TarEntry::symlink(std::string path, std::string target) {
  return TarEntry{Type::Symlink, std::move(path), std::move(target), -1};
}
TarEntry TarEntry::hardlink(std::string path, std::string target) {
  return TarEntry{Type::Hardlink, std::move(path), std::move(target), -1};
}
TarEntry TarEntry::fifo(std::string path) { return TarEntry{Type::Fifo, std::move(path), {}, -1}; }
TarEntry TarEntry::whiteout(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return file(".wh." + path, "");
  return file(path.substr(0, slash + 1) + ".wh." + path.substr(slash + 1), "");
}
TarEntry TarEntry::opaqueWhiteout(const std::string& directory) { return file(directory + "/.wh..wh..opq", ""); }

TarLayer buildTarLayer(const std::vector<TarEntry>& entries, TarCompression compression, bool docker) {
  std::string tar = tarOf(entries);
  auto diffId = Digest::sha256Of(tar);
  std::string blob;
  std::string mediaType;
  switch (compression) {
    case TarCompression::None:
      blob = std::move(tar);
      mediaType = "application/vnd.oci.image.layer.v1.tar";
      break;
    case TarCompression::Gzip:
      blob = gzip(tar);
      mediaType = docker ? std::string(media::kDockerLayerGzip) : std::string(media::kOciLayerGzip);
      break;
    case TarCompression::Zstd:
      blob = zstd(tar);
      mediaType = "application/vnd.oci.image.layer.v1.tar+zstd";
      break;
  }
  if (docker && compression != TarCompression::Gzip) fail("Docker schema 2 test layers are gzip only");
  auto digest = Digest::sha256Of(blob);
  return TarLayer{std::move(blob), digest, diffId, std::move(mediaType)};
}

std::vector<TarEntry> configsEntries(const FbcFiles& files, const std::string& configsDir) {
  std::vector<TarEntry> entries{TarEntry::directory(configsDir + "/")};
  std::set<std::string> directories;
  for (const auto& [path, content] : files) {
    for (auto slash = path.find('/'); slash != std::string::npos; slash = path.find('/', slash + 1)) {
      auto directory = configsDir + "/" + path.substr(0, slash) + "/";
      if (directories.insert(directory).second) entries.push_back(TarEntry::directory(directory));
    }
    entries.push_back(TarEntry::file(configsDir + "/" + path, content));
  }
  return entries;
}

std::string fbcPackage(const std::string& name, const std::vector<std::string>& versions, const std::string& channel) {
  std::string out = Json{{"schema", "olm.package"}, {"name", name}, {"defaultChannel", channel}}.dump() + "\n";
  Json entries = Json::array();
  for (size_t i = 0; i < versions.size(); ++i) {
    Json entry{{"name", name + ".v" + versions[i]}};
    if (i > 0) entry["replaces"] = name + ".v" + versions[i - 1];
    entries.push_back(entry);
  }
  out += Json{{"schema", "olm.channel"}, {"package", name}, {"name", channel}, {"entries", entries}}.dump() + "\n";
  for (const auto& version : versions) {
    Json bundle{
        {"schema", "olm.bundle"},
        {"package", name},
        {"name", name + ".v" + version},
        {"image", "quay.io/ferry-test/" + name + "-bundle:v" + version},
        {"properties", {{{"type", "olm.package"}, {"value", {{"packageName", name}, {"version", version}}}}}},
        {"relatedImages", {{{"name", "operator"}, {"image", "quay.io/ferry-test/" + name + ":v" + version}}}}};
    out += bundle.dump() + "\n";
  }
  return out;
}

FixtureImage buildCatalogImage(FixtureBuilder& builder, const std::string& tag, const CatalogImageSpec& spec) {
  if (spec.platforms.empty()) fail("a test catalog image needs at least one platform");
  if (!spec.index && spec.platforms.size() != 1) fail("a test catalog image without an index has one platform");
  bool docker = spec.docker;
  auto configType = docker ? media::kDockerConfig : media::kOciConfig;
  auto manifestType = docker ? media::kDockerManifest : media::kOciManifest;

  FixtureImage image{tag, "", Digest::sha256Of(""), 0, {}, {}};
  auto addBlob = [&](const std::string& digest) {
    auto parsed = Digest::parse(digest);
    if (std::find(image.blobs.begin(), image.blobs.end(), parsed) == image.blobs.end()) image.blobs.push_back(parsed);
  };

  Json children = Json::array();
  std::vector<Digest> childManifests;
  for (const auto& item : spec.platforms) {
    std::string name = item.platform.str();
    std::vector<TarLayer> layers;
    layers.push_back(buildTarLayer({TarEntry::directory("bin/"), TarEntry::file("bin/opm", "opm for " + name + "\n", 0755),
                                    TarEntry::directory("etc/"), TarEntry::file("etc/os-release", "ID=ferry-test\n")},
                                   TarCompression::Gzip, docker));
    for (const auto& entries : item.configsLayers) layers.push_back(buildTarLayer(entries, TarCompression::Gzip, docker));
    layers.push_back(buildTarLayer({TarEntry::directory("tmp/", 01777), TarEntry::directory("tmp/cache/"),
                                    TarEntry::directory("tmp/cache/pogreb.v1/"),
                                    TarEntry::file("tmp/cache/pogreb.v1/digest", "cache built for " + name + "\n")},
                                   TarCompression::Gzip, docker));

    Json diffIds = Json::array();
    Json history = Json::array();
    Json layerDescriptors = Json::array();
    for (size_t i = 0; i < layers.size(); ++i) {
      auto descriptor = builder.writeBlob(layers[i].blob, layers[i].mediaType);
      layerDescriptors.push_back(descriptor);
      diffIds.push_back(layers[i].diffId.str());
      history.push_back({{"created", kCreated}, {"created_by", "test catalog layer " + std::to_string(i)}});
      addBlob(digestOf(descriptor));
    }
    Json config = {{"architecture", item.platform.architecture}, {"os", item.platform.os}};
    if (!item.platform.variant.empty()) config["variant"] = item.platform.variant;
    config["created"] = kCreated;
    Json section = Json::object();
    if (!spec.entrypoint.empty()) section["Entrypoint"] = spec.entrypoint;
    if (!spec.cmd.empty()) section["Cmd"] = spec.cmd;
    section["WorkingDir"] = "/";
    section["Labels"] = {{kConfigsLabel, spec.configsLabel}};
    if (!spec.labels.empty()) section["Labels"] = spec.labels;
    config["config"] = section;
    config["rootfs"] = {{"type", "layers"}, {"diff_ids", diffIds}};
    config["history"] = history;
    auto configDescriptor = builder.writeBlob(config.dump(), configType);
    addBlob(digestOf(configDescriptor));

    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", manifestType},
                     {"config", configDescriptor},
                     {"layers", layerDescriptors}};
    auto manifestDescriptor = builder.writeBlob(manifest.dump(3), manifestType);
    childManifests.push_back(Digest::parse(digestOf(manifestDescriptor)));
    manifestDescriptor["platform"] = item.platform.toJson();
    children.push_back(manifestDescriptor);
  }

  if (spec.attestation) {
    // What buildx attaches: an in-toto statement about the first image, platform unknown/unknown.
    auto subject = digestOf(children[0]);
    std::string statement = Json{{"_type", "https://in-toto.io/Statement/v0.1"},
                                 {"subject", {{{"name", "catalog"}, {"digest", {{"sha256", subject.substr(7)}}}}}}}
                                .dump();
    auto layer = builder.writeBlob(statement, media::kInTotoLayer);
    Json config = {{"architecture", "unknown"},
                   {"os", "unknown"},
                   {"config", Json::object()},
                   {"rootfs", {{"type", "layers"}, {"diff_ids", {Digest::sha256Of(statement).str()}}}}};
    auto configDescriptor = builder.writeBlob(config.dump(), media::kOciConfig);
    Json manifest = {{"schemaVersion", 2},
                     {"mediaType", media::kOciManifest},
                     {"config", configDescriptor},
                     {"layers", {layer}}};
    auto descriptor = builder.writeBlob(manifest.dump(3), media::kOciManifest);
    childManifests.push_back(Digest::parse(digestOf(descriptor)));
    addBlob(digestOf(configDescriptor));
    addBlob(digestOf(layer));
    descriptor["platform"] = {{"architecture", "unknown"}, {"os", "unknown"}};
    descriptor["annotations"] = {{"vnd.docker.reference.digest", subject},
                                 {"vnd.docker.reference.type", "attestation-manifest"}};
    children.push_back(descriptor);
  }

  Json top;
  if (spec.index) {
    auto indexType = docker ? media::kDockerManifestList : media::kOciIndex;
    Json index = {{"schemaVersion", 2}, {"mediaType", indexType}, {"manifests", children}};
    top = builder.writeBlob(index.dump(3), indexType);
    image.manifests.push_back(Digest::parse(digestOf(top)));
  } else {
    top = children[0];
    top.erase("platform");
  }
  for (const auto& digest : childManifests) image.manifests.push_back(digest);
  builder.setTag(tag, top);
  image.mediaType = top["mediaType"].get<std::string>();
  image.digest = Digest::parse(digestOf(top));
  image.size = top["size"].get<int64_t>();
  return image;
}

CatalogImageSpec identicalCatalog(const FbcFiles& fbc, const std::vector<Platform>& platforms) {
  CatalogImageSpec spec;
  for (const auto& platform : platforms) spec.platforms.push_back(CatalogPlatform{platform, {configsEntries(fbc)}});
  return spec;
}

CatalogImageSpec divergentCatalog(const std::vector<std::pair<Platform, FbcFiles>>& perPlatform) {
  CatalogImageSpec spec;
  for (const auto& [platform, fbc] : perPlatform)
    spec.platforms.push_back(CatalogPlatform{platform, {configsEntries(fbc)}});
  return spec;
}

CatalogImageSpec splitCatalog(const FbcFiles& first, const std::vector<TarEntry>& second,
                              const std::vector<Platform>& platforms) {
  CatalogImageSpec spec;
  for (const auto& platform : platforms)
    spec.platforms.push_back(CatalogPlatform{platform, {configsEntries(first), second}});
  return spec;
}

std::map<std::string, std::string> filesUnder(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root))
    if (entry.is_regular_file()) out[entry.path().lexically_relative(root).generic_string()] = readFile(entry.path());
  return out;
}

}  // namespace ferry::testing
