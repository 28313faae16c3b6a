#include "ferry/imagefs/layer_extract.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <map>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/memory_limit_test_support.h"
#include "support/catalog_images.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;
using testing::TarCompression;
using testing::TarEntry;

// Every file and link under `root`: relative path → content, or "-> target" for links.
std::map<std::string, std::string> treeOf(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    auto relative = entry.path().lexically_relative(root).generic_string();
    if (entry.is_symlink()) {
      out[relative] = "-> " + fs::read_symlink(entry.path()).generic_string();
    } else if (entry.is_regular_file()) {
      out[relative] = readFile(entry.path());
    }
  }
  return out;
}

LayerCompression compressionOf(const testing::TarLayer& layer) { return layerCompression(layer.mediaType); }

class LayerExtractTest : public ::testing::Test {
 protected:
  void apply(DirectoryExtractor& extractor, const std::vector<TarEntry>& entries,
             TarCompression compression = TarCompression::Gzip) {
    auto layer = testing::buildTarLayer(entries, compression);
    StringLayerBytes bytes(layer.blob);
    extractor.apply(bytes, compressionOf(layer), "test-layer");
  }

  // The message of the Error applying `entries` to a fresh extraction throws.
  std::string refusal(const std::vector<TarEntry>& entries) {
    DirectoryExtractor extractor("configs", work.path() / ("refused" + std::to_string(++refusals)));
    try {
      apply(extractor, entries);
    } catch (const Error& e) {
      return e.what();
    }
    return "not refused";
  }

  TemporaryDirectory work;
  fs::path target = work.path() / "out";
  int refusals = 0;
};

TEST_F(LayerExtractTest, ReadsPlainGzipAndZstdLayersAndOnlyTheDirectory) {
  std::vector<TarEntry> entries{TarEntry::directory("bin/"), TarEntry::file("bin/opm", "binary"),
                                TarEntry::directory("configs/"), TarEntry::directory("configs/foo/"),
                                TarEntry::file("configs/foo/catalog.json", "{\"schema\":\"olm.package\"}"),
                                TarEntry::file("./configs/bar.yaml", "schema: olm.package")};
  for (auto compression : {TarCompression::None, TarCompression::Gzip, TarCompression::Zstd}) {
    auto out = work.path() / ("out" + std::to_string(static_cast<int>(compression)));
    DirectoryExtractor extractor("configs", out);
    apply(extractor, entries, compression);
    EXPECT_TRUE(extractor.directoryExists());
    EXPECT_EQ(treeOf(out), (std::map<std::string, std::string>{{"foo/catalog.json", "{\"schema\":\"olm.package\"}"},
                                                                {"bar.yaml", "schema: olm.package"}}));
  }
}

TEST_F(LayerExtractTest, MediaTypesNameTheirCompression) {
  EXPECT_EQ(layerCompression("application/vnd.oci.image.layer.v1.tar"), LayerCompression::None);
  EXPECT_EQ(layerCompression("application/vnd.oci.image.layer.v1.tar+gzip"), LayerCompression::Gzip);
  EXPECT_EQ(layerCompression("application/vnd.oci.image.layer.v1.tar+zstd"), LayerCompression::Zstd);
  EXPECT_EQ(layerCompression("application/vnd.docker.image.rootfs.diff.tar.gzip"), LayerCompression::Gzip);
  EXPECT_EQ(layerCompression("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"), LayerCompression::Gzip);
  EXPECT_THROW(layerCompression("application/vnd.in-toto+json"), Error);
  EXPECT_THROW(layerCompression("application/vnd.oci.image.layer.v1.tar+lz4"), Error);
}

TEST_F(LayerExtractTest, DirectoryPathsAreNormalisedAndCheckedForEscapes) {
  EXPECT_EQ(imageDirectoryPath("/configs"), "configs");
  EXPECT_EQ(imageDirectoryPath("/var//lib/catalog/"), "var/lib/catalog");
  EXPECT_EQ(imageDirectoryPath("configs"), "configs");
  EXPECT_THROW(imageDirectoryPath("/"), Error);
  EXPECT_THROW(imageDirectoryPath(""), Error);
  EXPECT_THROW(imageDirectoryPath("/configs/../etc"), Error);
}

TEST_F(LayerExtractTest, WhiteoutsAndOpaqueWhiteoutsApplyToLowerLayers) {
  DirectoryExtractor extractor("configs", target);
  apply(extractor, {TarEntry::directory("configs/"), TarEntry::file("configs/a.json", "a"),
                    TarEntry::directory("configs/b/"), TarEntry::file("configs/b/x.json", "x"),
                    TarEntry::directory("configs/b/deep/"), TarEntry::file("configs/b/deep/z.json", "z"),
                    TarEntry::file("configs/c.json", "c")});
  apply(extractor, {TarEntry::whiteout("configs/a.json"),
                    // the same layer's entry before the opaque marker stays; the lower ones go
                    TarEntry::file("configs/b/y.json", "y"), TarEntry::opaqueWhiteout("configs/b"),
                    TarEntry::file("configs/d.json", "d")});
  EXPECT_EQ(treeOf(target),
            (std::map<std::string, std::string>{{"b/y.json", "y"}, {"c.json", "c"}, {"d.json", "d"}}));
  EXPECT_FALSE(fs::exists(target / "b" / "deep"));
}

TEST_F(LayerExtractTest, AWhiteoutOfTheDirectoryEmptiesItAndALaterLayerRefillsIt) {
  DirectoryExtractor extractor("configs", target);
  apply(extractor, {TarEntry::directory("configs/"), TarEntry::file("configs/old.json", "old")});
  apply(extractor, {TarEntry::whiteout("configs"), TarEntry::directory("tmp/")});
  EXPECT_FALSE(extractor.directoryExists());
  EXPECT_TRUE(treeOf(target).empty());
  apply(extractor, {TarEntry::directory("configs/"), TarEntry::file("configs/new.json", "new")});
  EXPECT_TRUE(extractor.directoryExists());
  EXPECT_EQ(treeOf(target), (std::map<std::string, std::string>{{"new.json", "new"}}));
}

TEST_F(LayerExtractTest, AnOpaqueRootOrParentHidesTheLowerDirectory) {
  DirectoryExtractor extractor("var/lib/catalog", target);
  apply(extractor, {TarEntry::directory("var/lib/catalog/"), TarEntry::file("var/lib/catalog/old.json", "old")});
  apply(extractor, {TarEntry::opaqueWhiteout("var"), TarEntry::file("var/lib/catalog/new.json", "new")});
  EXPECT_EQ(treeOf(target), (std::map<std::string, std::string>{{"new.json", "new"}}));
}

TEST_F(LayerExtractTest, LinksInsideAreKeptSafely) {
  DirectoryExtractor extractor("configs", target);
  apply(extractor, {TarEntry::directory("configs/"), TarEntry::directory("configs/pkg/"),
                    TarEntry::file("configs/pkg/catalog.json", "fbc"),
                    TarEntry::hardlink("configs/copy.json", "configs/pkg/catalog.json"),
                    TarEntry::symlink("configs/alias.json", "pkg/catalog.json"),
                    TarEntry::symlink("configs/pkg/absolute.json", "/configs/pkg/catalog.json")});
  auto tree = treeOf(target);
  EXPECT_EQ(tree["copy.json"], "fbc");
  EXPECT_FALSE(fs::is_symlink(target / "copy.json"));
  EXPECT_EQ(tree["alias.json"], "-> pkg/catalog.json");
  EXPECT_EQ(tree["pkg/absolute.json"], "-> catalog.json");  // made relative to stay inside
  EXPECT_EQ(readFile(target / "alias.json"), "fbc");
}

TEST_F(LayerExtractTest, EscapeAttemptsAreRefusedAndSaySo) {
  auto dotDot = refusal({TarEntry::file("configs/../x", "evil")});
  EXPECT_NE(dotDot.find("refused entry 'configs/../x'"), std::string::npos) << dotDot;
  EXPECT_NE(dotDot.find("test-layer"), std::string::npos) << dotDot;
  auto leadingDotDot = refusal({TarEntry::file("../x", "evil")});
  EXPECT_NE(leadingDotDot.find("refused entry '../x'"), std::string::npos) << leadingDotDot;
  auto absolute = refusal({TarEntry::file("/configs/x", "evil")});
  EXPECT_NE(absolute.find("absolute"), std::string::npos) << absolute;

  auto symlinkOut = refusal({TarEntry::directory("configs/"), TarEntry::symlink("configs/etc", "../etc")});
  EXPECT_NE(symlinkOut.find("refused symbolic link 'configs/etc' -> '../etc'"), std::string::npos) << symlinkOut;
  auto symlinkAbsolute = refusal({TarEntry::directory("configs/"), TarEntry::symlink("configs/etc", "/etc")});
  EXPECT_NE(symlinkAbsolute.find("points outside /configs"), std::string::npos) << symlinkAbsolute;
  auto throughLink = refusal({TarEntry::directory("configs/"), TarEntry::directory("configs/sub/"),
                              TarEntry::symlink("configs/link", "sub"), TarEntry::file("configs/link/x.json", "x")});
  EXPECT_NE(throughLink.find("through the symbolic link"), std::string::npos) << throughLink;
  auto directoryIsLink = refusal({TarEntry::symlink("configs", "/etc")});
  EXPECT_NE(directoryIsLink.find("symbolic link"), std::string::npos) << directoryIsLink;

  auto hardlinkOut = refusal({TarEntry::file("etc/passwd", "root"), TarEntry::directory("configs/"),
                              TarEntry::hardlink("configs/passwd", "etc/passwd")});
  EXPECT_NE(hardlinkOut.find("refused hard link 'configs/passwd' -> 'etc/passwd'"), std::string::npos) << hardlinkOut;
  auto fifo = refusal({TarEntry::directory("configs/"), TarEntry::fifo("configs/pipe")});
  EXPECT_NE(fifo.find("only regular files, directories and links"), std::string::npos) << fifo;

  // Nothing was written outside the extraction directories.
  EXPECT_FALSE(fs::exists(work.path() / "x"));
  EXPECT_FALSE(fs::exists(work.path() / "etc"));
}

TEST_F(LayerExtractTest, TouchTellsWhichLayersMatter) {
  auto touches = [](const std::vector<TarEntry>& entries, const std::string& directory) {
    auto layer = testing::buildTarLayer(entries);
    StringLayerBytes bytes(layer.blob);
    return layerTouchesDirectory(bytes, compressionOf(layer), directory, "test-layer");
  };
  EXPECT_FALSE(touches({TarEntry::directory("bin/"), TarEntry::file("bin/opm", "x")}, "configs"));
  EXPECT_FALSE(touches({TarEntry::directory("tmp/cache/"), TarEntry::file("tmp/cache/digest", "x")}, "configs"));
  EXPECT_FALSE(touches({TarEntry::file("configsx/a", "x"), TarEntry::directory("var/")}, "var/lib/catalog"));
  EXPECT_TRUE(touches({TarEntry::directory("configs/")}, "configs"));
  EXPECT_TRUE(touches({TarEntry::whiteout("configs")}, "configs"));
  EXPECT_TRUE(touches({TarEntry::opaqueWhiteout("var")}, "var/lib/catalog"));
  EXPECT_TRUE(touches({TarEntry::file("var/lib", "a file replacing the parent")}, "var/lib/catalog"));
  EXPECT_THROW(touches({TarEntry::file("../x", "evil")}, "configs"), Error);
}

TEST_F(LayerExtractTest, ContentKeyDependsOnContentOnly) {
  DirectoryExtractor first("configs", work.path() / "first");
  DirectoryExtractor second("catalog", work.path() / "second");
  apply(first, {TarEntry::directory("configs/"), TarEntry::file("configs/a.json", "a"), TarEntry::directory("configs/empty/")});
  apply(second, {TarEntry::file("catalog/a.json", "a")});
  EXPECT_EQ(directoryContentKey(work.path() / "first"), directoryContentKey(work.path() / "second"));
  writeFileAtomically(work.path() / "second" / "a.json", "b");
  EXPECT_NE(directoryContentKey(work.path() / "first"), directoryContentKey(work.path() / "second"));
}

// A source that sends a blob in small chunks, optionally starting over once halfway.
class ChunkedSource : public ImageSource {
 public:
  std::string bytes;
  bool restartHalfway = false;
  std::string describe() const override { return "test source"; }
  RawManifest getManifest(const std::string&) override { fail("no manifests here"); }
  void readBlob(const Descriptor&, BlobWriter& out) override {
    size_t stop = restartHalfway ? bytes.size() / 2 : bytes.size();
    for (size_t at = 0; at < stop; at += 100) out.write(bytes.data() + at, std::min<size_t>(100, stop - at));
    if (!restartHalfway) return;
    out.restart();
    for (size_t at = 0; at < bytes.size(); at += 100) out.write(bytes.data() + at, std::min<size_t>(100, bytes.size() - at));
  }
};

TEST_F(LayerExtractTest, BlobStreamsAreCheckedAgainstTheirDigestAndSurviveARestart) {
  auto layer = testing::buildTarLayer({TarEntry::directory("configs/"), TarEntry::file("configs/a.json", std::string(5000, 'a'))});
  Descriptor descriptor{.mediaType = layer.mediaType, .digest = layer.digest, .size = static_cast<int64_t>(layer.blob.size())};

  ChunkedSource source;
  source.bytes = layer.blob;
  source.restartHalfway = true;
  {
    BlobStream stream(source, descriptor, "image");
    BlobLayerBytes bytes(stream);
    DirectoryExtractor extractor("configs", target);
    extractor.apply(bytes, LayerCompression::Gzip, "layer");
    EXPECT_EQ(readFile(target / "a.json"), std::string(5000, 'a'));
  }

  // The bytes read well, but they are not what the descriptor names.
  source.restartHalfway = false;
  Descriptor other = descriptor;
  other.digest = Digest::sha256Of("something else");
  BlobStream stream(source, other, "image");
  BlobLayerBytes bytes(stream);
  DirectoryExtractor extractor("configs", work.path() / "tampered");
  try {
    extractor.apply(bytes, LayerCompression::Gzip, "layer");
    FAIL() << "a layer that does not match its digest was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not match its descriptor"), std::string::npos) << e.what();
  }
}


// ---- bounds ----------------------------------------------------------------------------------

// One gzip member holding `bytes`.
std::string gzipMember(std::string_view bytes) {
  z_stream stream{};
  deflateInit2(&stream, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&stream, bytes.size()), '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  deflate(&stream, Z_FINISH);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

// A ustar header for a regular file of `size` bytes.
std::string ustarHeader(const std::string& name, uint64_t size) {
  std::string header(512, '\0');
  std::copy(name.begin(), name.end(), header.begin());
  auto field = [&](size_t offset, size_t width, uint64_t value) {
    std::string octal = fmt::format("{:0{}o}", value, width - 1);
    std::copy(octal.begin(), octal.end(), header.begin() + static_cast<long>(offset));
  };
  field(100, 8, 0644);
  field(108, 8, 0);
  field(116, 8, 0);
  field(124, 12, size);
  field(136, 12, 0);
  header[156] = '0';
  std::copy_n("ustar\00000", 8, header.begin() + 257);
  std::fill(header.begin() + 148, header.begin() + 156, ' ');
  unsigned sum = 0;
  for (unsigned char c : header) sum += c;
  std::string checksum = fmt::format("{:06o}", sum);
  std::copy(checksum.begin(), checksum.end(), header.begin() + 148);
  header[154] = '\0';
  return header;
}

TEST_F(LayerExtractTest, AHugeFileInASmallLayerIsRefusedFromItsHeaderInBoundedMemory) {
  // configs/catalog.json: one 3 GiB JSON string, as 48 gzip members of 64 MiB of 'a' each (3 MB on disk).
  constexpr uint64_t kChunk = uint64_t{64} << 20;
  constexpr uint64_t kChunks = 48;
  std::string prefix = "{\"schema\":\"olm.bundle\",\"name\":\"";
  uint64_t size = prefix.size() + kChunk * kChunks + 2;
  std::string layer = gzipMember(ustarHeader("configs/catalog.json", size) + prefix);
  std::string chunk = gzipMember(std::string(kChunk, 'a'));
  for (uint64_t i = 0; i < kChunks; ++i) layer += chunk;
  layer += gzipMember(std::string("\"}") + std::string(512 - (size % 512), '\0') + std::string(1024, '\0'));
  ASSERT_LT(layer.size(), size_t{8} << 20);

  auto out = target;
  auto run = test_support::runWithLimits(size_t{1} << 30, 60, [&] {
    DirectoryExtractor extractor("configs", out);
    StringLayerBytes bytes(layer);
    extractor.apply(bytes, LayerCompression::Gzip, "sha256:hostile of quay.io/x/catalog:v1");
  });
  ASSERT_TRUE(run.returned) << run.message;
  EXPECT_TRUE(run.threw);
  EXPECT_EQ(run.message, fmt::format("refused 'configs/catalog.json' in layer sha256:hostile of quay.io/x/catalog:v1: "
                                     "{} bytes would take the catalog directory /configs past 2 GiB, ferry's limit "
                                     "for an extracted catalog (see docs/limits.md)",
                                     size));
  EXPECT_LT(run.seconds, 30);
  EXPECT_FALSE(fs::exists(out / "catalog.json"));
}

TEST_F(LayerExtractTest, TheLimitCountsEveryFileOfEveryLayer) {
  DirectoryExtractor extractor("configs", target, 10);
  apply(extractor, {TarEntry::directory("configs/"), TarEntry::file("configs/a.json", "12345")});
  apply(extractor, {TarEntry::file("configs/b.json", "1234")});
  try {
    apply(extractor, {TarEntry::file("configs/c.json", "12")});
    FAIL() << "expected the limit";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("refused 'configs/c.json' in layer test-layer: 2 bytes would take the "
                                         "catalog directory /configs past 10 bytes"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ferry
