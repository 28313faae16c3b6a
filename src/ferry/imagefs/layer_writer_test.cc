#include "ferry/imagefs/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <vector>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

namespace fs = std::filesystem;

struct ReadEntry {
  std::string path;
  int type;
  int mode;
  int64_t uid, gid, mtime;
  std::string uname;
  std::string content;
};

// The entries of a gzip tar blob, with the metadata the writer promises to fix.
std::vector<ReadEntry> entriesOf(const std::string& blob) {
  struct archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  archive_read_support_filter_gzip(reader);
  EXPECT_EQ(archive_read_open_memory(reader, blob.data(), blob.size()), ARCHIVE_OK);
  std::vector<ReadEntry> out;
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
    ReadEntry item{archive_entry_pathname(entry),
                   static_cast<int>(archive_entry_filetype(entry)),
                   static_cast<int>(archive_entry_perm(entry)),
                   archive_entry_uid(entry),
                   archive_entry_gid(entry),
                   archive_entry_mtime(entry),
                   archive_entry_uname(entry) ? archive_entry_uname(entry) : "",
                   {}};
    char buffer[4096];
    la_ssize_t got;
    while ((got = archive_read_data(reader, buffer, sizeof buffer)) > 0) item.content.append(buffer, static_cast<size_t>(got));
    out.push_back(item);
  }
  archive_read_free(reader);
  return out;
}

class LayerWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(tree / "zeta");
    fs::create_directories(tree / "alpha" / "nested");
    writeFileAtomically(tree / "zeta" / "catalog.json", "{\"schema\":\"olm.package\",\"name\":\"zeta\"}\n");
    writeFileAtomically(tree / "alpha" / "catalog.json", "{\"schema\":\"olm.package\",\"name\":\"alpha\"}\n");
    writeFileAtomically(tree / "alpha" / "nested" / std::string(120, 'n'), "a name longer than ustar holds");
    fs::permissions(tree / "zeta" / "catalog.json", fs::perms(0600));
  }

  WrittenLayer write(const std::string& name) {
    LayerWriter writer(dir.path() / name);
    writer.addWhiteout("configs");
    writer.addWhiteout("tmp/cache");
    writer.addTree("configs", tree);
    return writer.finish();
  }

  TemporaryDirectory dir;
  fs::path tree = dir.path() / "tree";
};

TEST_F(LayerWriterTest, SameContentGivesTheSameBytes) {
  auto first = write("first.tgz");
  // Touch the files: times and modes on disk must not matter.
  fs::last_write_time(tree / "alpha" / "catalog.json", fs::file_time_type::clock::now());
  fs::permissions(tree / "zeta" / "catalog.json", fs::perms(0640));
  auto second = write("second.tgz");
  EXPECT_EQ(first.digest, second.digest);
  EXPECT_EQ(first.diffId, second.diffId);
  EXPECT_EQ(readFile(first.file), readFile(second.file));
  EXPECT_EQ(first.digest, Digest::sha256Of(readFile(first.file)));
  EXPECT_EQ(first.size, static_cast<int64_t>(fs::file_size(first.file)));
  // The process id (which some PAX writers put in extended header names) is not in the tar.
  auto entries = entriesOf(readFile(first.file));
  for (const auto& entry : entries) EXPECT_EQ(entry.path.find(std::to_string(getpid())), std::string::npos);

  writeFileAtomically(tree / "zeta" / "catalog.json", "changed");
  EXPECT_NE(write("third.tgz").digest, first.digest);
}

TEST_F(LayerWriterTest, EntriesAreSortedOwnedByRootWithFixedModesAndTime) {
  auto layer = write("layer.tgz");
  auto entries = entriesOf(readFile(layer.file));
  std::vector<std::string> paths;
  for (const auto& entry : entries) {
    paths.push_back(entry.path);
    EXPECT_EQ(entry.uid, 0);
    EXPECT_EQ(entry.gid, 0);
    EXPECT_EQ(entry.uname, "");
    EXPECT_EQ(entry.mtime, kLayerEntryTime);
    EXPECT_EQ(entry.mode, entry.type == AE_IFDIR ? 0755 : 0644) << entry.path;
  }
  std::string longName = "configs/alpha/nested/" + std::string(120, 'n');
  EXPECT_EQ(paths, (std::vector<std::string>{".wh.configs", "tmp/.wh.cache", "configs/", "configs/alpha/",
                                             "configs/alpha/catalog.json", "configs/alpha/nested/", longName,
                                             "configs/zeta/", "configs/zeta/catalog.json"}));
  EXPECT_EQ(entries[4].content, "{\"schema\":\"olm.package\",\"name\":\"alpha\"}\n");
  EXPECT_EQ(entries[6].content, "a name longer than ustar holds");

  // gzip header: no FNAME flag, mtime 0.
  auto blob = readFile(layer.file);
  ASSERT_GT(blob.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(blob[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(blob[3]), 0);
  EXPECT_EQ(blob.substr(4, 4), std::string(4, '\0'));
}

TEST_F(LayerWriterTest, RefusesLinksAndOddPathsAndCleansUp) {
  fs::create_symlink("zeta/catalog.json", tree / "link.json");
  auto file = dir.path() / "refused.tgz";
  {
    LayerWriter writer(file);
    EXPECT_THROW(writer.addTree("configs", tree), Error);
    EXPECT_THROW(writer.addFile("../x", "x"), Error);
    EXPECT_THROW(writer.addFile("/x", "x"), Error);
    EXPECT_THROW(writer.addDirectory("a//b"), Error);
  }
  EXPECT_FALSE(fs::exists(file));  // not finished: removed
}

}  // namespace
}  // namespace ferry
