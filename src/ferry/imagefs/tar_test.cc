#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>

#include "ferry/imagefs/tar_header.h"
#include "ferry/imagefs/tar_reader.h"
#include "ferry/imagefs/tar_room_writer.h"
#include "ferry/imagefs/tar_writer.h"
#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

struct OpenFile {
  explicit OpenFile(const std::filesystem::path& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~OpenFile() { ::close(fd); }
  int fd;
};

// A ustar header made by hand, for shapes TarWriter never writes.
std::string handMadeHeader(const std::string& name, int64_t size, char type) {
  std::string block(tar::kBlock, '\0');
  std::memcpy(block.data(), name.data(), std::min<size_t>(name.size(), 100));
  auto put = [&](tar::Field field, const std::string& text) { std::memcpy(block.data() + field.offset, text.data(), text.size()); };
  put(tar::kMode, "0000644");
  put(tar::kSize, fmt::format("{:011o}", size));
  put(tar::kMtime, "00000000000");
  block[tar::kTypeFlag] = type;
  put(tar::kMagic, std::string("ustar\0", 6));
  put(tar::kVersion, "00");
  auto sum = fmt::format("{:06o}", tar::headerChecksum(reinterpret_cast<const unsigned char*>(block.data())));
  put(tar::kChecksum, sum);
  block[tar::kChecksum.offset + 7] = ' ';
  return block;
}

std::string paxBlock(const std::string& records) {
  std::string data = handMadeHeader("PaxHeaders/x", static_cast<int64_t>(records.size()), 'x') + records;
  data.resize(static_cast<size_t>(tar::paddedSize(static_cast<int64_t>(data.size()))), '\0');
  return data;
}

TEST(Tar, WrittenMembersAreListedAtTheirOffsets) {
  TemporaryDirectory dir;
  auto path = dir.path() / "t.tar";
  std::string longName = "ferry/" + std::string(150, 'n') + ".json";
  auto source = dir.path() / "source";
  writeFileAtomically(source, std::string(1000, 'f'));
  int64_t first = 0, second = 0, third = 0;
  {
    TarWriter tar(path, 1700000000);
    first = tar.add("oci-layout", "{}");
    second = tar.add(longName, "long");
    third = tar.addFile("blobs/file", source, 1000);
    EXPECT_EQ(tar.size(), TarWriter::memberBytes("oci-layout", 2) + TarWriter::memberBytes(longName, 4) +
                              TarWriter::memberBytes("blobs/file", 1000));
    EXPECT_EQ(tar.readBack(second, 4), "long");
    tar.close();
  }
  OpenFile file(path);
  auto members = listTarMembers(file.fd, "t.tar");
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].path, "oci-layout");
  EXPECT_EQ(members[0].offset, first);
  EXPECT_EQ(members[1].path, longName);  // through a PAX header
  EXPECT_EQ(members[1].offset, second);
  EXPECT_EQ(members[2].path, "blobs/file");
  EXPECT_EQ(members[2].size, 1000);
  EXPECT_EQ(readAt(file.fd, third, 1000, "t.tar"), std::string(1000, 'f'));
  EXPECT_EQ(readAt(file.fd, first, 2, "t.tar"), "{}");
}

// A blob streamed into a reserved room in socket-sized pieces arrives whole, hashed on the way, while another
// member is appended after the room; too many bytes are refused, and a restart starts the room over.
TEST(Tar, ARoomWriterFillsItsRoomWhileMembersFollow) {
  TemporaryDirectory dir;
  auto path = dir.path() / "t.tar";
  const int64_t size = (3 << 20) + 12345;
  std::string data(static_cast<size_t>(size), '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i * 7919) >> 5);
  int64_t after = 0;
  TarWriter::Reserved room;
  {
    TarWriter tar(path, 1700000000);
    room = tar.reserve("blobs/room", size);
    after = tar.add("after", "next");
    Hasher hasher;
    TarRoomWriter out(tar, room, &hasher);
    ASSERT_TRUE(out.write(data.data(), 5000));
    out.restart();  // the producer starts over: what came before is forgotten
    for (size_t at = 0; at < data.size(); at += 16384)
      ASSERT_TRUE(out.write(data.data() + at, std::min<size_t>(16384, data.size() - at)));
    EXPECT_FALSE(out.write("x", 1)) << "a byte beyond the room";
    out.finish("the room");
    EXPECT_EQ(hasher.finish().str(), Digest::sha256Of(data).str());
    tar.close();
  }
  OpenFile file(path);
  auto members = listTarMembers(file.fd, "t.tar");
  ASSERT_EQ(members.size(), 2u);
  EXPECT_EQ(members[0].path, "blobs/room");
  EXPECT_EQ(members[0].size, size);
  EXPECT_TRUE(readAt(file.fd, room.dataOffset, static_cast<size_t>(size), "t.tar") == data);
  EXPECT_EQ(readAt(file.fd, after, 4, "t.tar"), "next");
}

TEST(Tar, ARoomWriterThatGotTooFewBytesDoesNotFinish) {
  TemporaryDirectory dir;
  TarWriter tar(dir.path() / "t.tar", 0);
  auto room = tar.reserve("blobs/short", 100);
  TarRoomWriter out(tar, room);
  ASSERT_TRUE(out.write("abc", 3));
  EXPECT_THROW(out.finish("blob x"), Error);
}

TEST(Tar, AddFileRefusesAFileOfTheWrongSize) {
  TemporaryDirectory dir;
  auto source = dir.path() / "source";
  writeFileAtomically(source, "12345");
  TarWriter tar(dir.path() / "t.tar", 0);
  EXPECT_THROW(tar.addFile("x", source, 6), Error);
  EXPECT_EQ(tar.size(), 0);  // nothing half-written
}

TEST(Tar, HugeSizesGetAPaxHeader) {
  int64_t huge = (int64_t(9) << 30) + 5;
  EXPECT_EQ(TarWriter::memberBytes("blobs/x", huge), 512 + 512 + 512 + tar::paddedSize(huge));  // PAX header and its records, header, data
  EXPECT_EQ(TarWriter::memberBytes("blobs/x", 5), 1024);
}

TEST(Tar, ReadsPaxSizesBeyondEightGiBWithoutReadingTheData) {
  TemporaryDirectory dir;
  auto path = dir.path() / "huge.tar";
  int64_t huge = (int64_t(9) << 30) + 5;
  std::string record = fmt::format(" size={}\n", huge);
  record = std::to_string(record.size() + 2) + record;  // the length counts its own two digits
  std::string head = paxBlock(record) + handMadeHeader("blobs/huge", 0, '0');
  ASSERT_EQ(head.size(), 3 * tar::kBlock);
  {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::write(fd, head.data(), head.size()), static_cast<ssize_t>(head.size()));
    // The data is a hole in a sparse file; then the end-of-archive blocks.
    std::string end(2 * tar::kBlock, '\0');
    ASSERT_EQ(::pwrite(fd, end.data(), end.size(), static_cast<off_t>(head.size() + tar::paddedSize(huge))),
              static_cast<ssize_t>(end.size()));
    ::close(fd);
  }
  OpenFile file(path);
  auto members = listTarMembers(file.fd, "huge.tar");
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(members[0].path, "blobs/huge");
  EXPECT_EQ(members[0].size, huge);
  EXPECT_EQ(members[0].offset, 3 * 512);
}

// Found by fuzz_tar_reader (fuzz/corpus/tar_reader/base256-size-overflow.tar):
// a GNU base-256 size of INT64_MAX overflowed the bounds check.
TEST(Tar, ABase256SizeBeyondTheFileIsRefusedAsTruncated) {
  TemporaryDirectory dir;
  auto path = dir.path() / "overflow.tar";
  auto header = handMadeHeader("a", 0, '0');
  std::string size = {'\x80', 0, 0, 0, '\x7f'};
  size += std::string(7, '\xff');
  std::memcpy(header.data() + tar::kSize.offset, size.data(), size.size());
  std::memset(header.data() + tar::kChecksum.offset, ' ', tar::kChecksum.length);
  auto sum = fmt::format("{:06o}", tar::headerChecksum(reinterpret_cast<const unsigned char*>(header.data())));
  std::memcpy(header.data() + tar::kChecksum.offset, sum.data(), sum.size());
  header[tar::kChecksum.offset + 6] = '\0';
  writeFileAtomically(path, header + std::string(2 * tar::kBlock, '\0'));
  OpenFile file(path);
  try {
    listTarMembers(file.fd, "overflow.tar");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("needs 9223372036854775807 bytes, the file ends first"), std::string::npos)
        << e.what();
  }
}

TEST(Tar, MemberPathsAreNormalisedAndUnsafeOnesRefused) {
  EXPECT_EQ(checkedMemberPath("./blobs//sha256/abc/", "p"), "blobs/sha256/abc");
  EXPECT_EQ(checkedMemberPath("index.json", "p"), "index.json");
  for (const char* bad : {"../evil", "/etc/passwd", "blobs/../../evil", "a/..", "", "./", "a\\b"}) {
    EXPECT_THROW(checkedMemberPath(bad, "p"), Error) << bad;
  }
  try {
    checkedMemberPath("blobs/../../evil", "mirror_000001.tar");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mirror_000001.tar"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("'..'"), std::string::npos) << e.what();
  }
}

TEST(Tar, LinksAndDamagedHeadersAreRefused) {
  TemporaryDirectory dir;
  auto write = [&](const std::string& name, const std::string& bytes) {
    auto path = dir.path() / name;
    writeFileAtomically(path, bytes + std::string(2 * tar::kBlock, '\0'));
    return path;
  };
  auto link = write("link.tar", handMadeHeader("blobs/link", 0, '2'));
  OpenFile linkFile(link);
  try {
    listTarMembers(linkFile.fd, "link.tar");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("symbolic link"), std::string::npos) << e.what();
  }

  auto header = handMadeHeader("index.json", 0, '0');
  header[10] = 'X';  // the checksum no longer matches
  auto damaged = write("damaged.tar", header);
  OpenFile damagedFile(damaged);
  try {
    listTarMembers(damagedFile.fd, "damaged.tar");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("wrong checksum"), std::string::npos) << e.what();
  }

  auto truncated = dir.path() / "truncated.tar";
  writeFileAtomically(truncated, handMadeHeader("blobs/x", 4096, '0') + std::string(100, 'x'));
  OpenFile truncatedFile(truncated);
  try {
    listTarMembers(truncatedFile.fd, "truncated.tar");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}

// A tar held in memory, handed out in small pieces as a decompressor would.
class StringTarInput : public TarInput {
 public:
  explicit StringTarInput(std::string bytes, size_t piece = 7) : bytes_(std::move(bytes)), piece_(piece) {}
  size_t read(char* buffer, size_t size) override {
    size_t n = std::min({size, piece_, bytes_.size() - at_});
    std::memcpy(buffer, bytes_.data() + at_, n);
    at_ += n;
    return n;
  }

 private:
  std::string bytes_;
  size_t piece_;
  size_t at_ = 0;
};

std::string dataOf(TarReader& reader) {
  std::string out;
  char buffer[5];
  while (size_t got = reader.readData(buffer, sizeof buffer)) out.append(buffer, got);
  return out;
}

TEST(Tar, AStreamWrittenIsReadBackMemberByMember) {
  TemporaryDirectory dir;
  auto source = dir.path() / "source";
  writeFileAtomically(source, std::string(700, 's'));
  std::string longName = "configs/" + std::string(120, 'n') + ".json";
  std::string bytes;
  TarWriter writer([&](const char* data, size_t size) { bytes.append(data, size); },
                   TarStyle{.modificationTime = 0, .ownerName = ""}, "layer 'test'");
  writer.addDirectory("configs");
  writer.add(longName, "long");
  int64_t fileOffset = writer.addFile("configs/file.json", source, 700);
  writer.add("configs/.wh.gone", "");
  writer.close();
  EXPECT_EQ(writer.size(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(bytes.size() % tar::kBlock, 0u);
  EXPECT_THROW(writer.readBack(0, 1), Error);  // a stream cannot be read back
  // Owner names left out: the uname field of the first header is empty.
  EXPECT_EQ(bytes[tar::kUname.offset], '\0');

  StringTarInput input(bytes);
  TarReader reader(input, "layer 'test'");
  auto directory = reader.next();
  ASSERT_TRUE(directory);
  EXPECT_EQ(directory->path, "configs/");
  EXPECT_TRUE(directory->isDirectory());
  auto named = reader.next();  // the data of the directory and of this member are skipped or read
  ASSERT_TRUE(named);
  EXPECT_EQ(named->path, longName);  // from the PAX header
  EXPECT_EQ(dataOf(reader), "long");
  auto file = reader.next();
  ASSERT_TRUE(file);
  EXPECT_TRUE(file->isFile());
  EXPECT_EQ(file->offset, fileOffset);
  EXPECT_EQ(file->size, 700);
  auto whiteout = reader.next();  // file's data skipped unread
  ASSERT_TRUE(whiteout);
  EXPECT_EQ(whiteout->path, "configs/.wh.gone");
  EXPECT_FALSE(reader.next());
  EXPECT_TRUE(reader.sawEndMarker());
}

TEST(Tar, LinkTargetsComeFromTheLinkFieldPaxAndGnuHeaders) {
  auto symlink = handMadeHeader("configs/short", 0, '2');
  std::memcpy(symlink.data() + tar::kLinkName.offset, "pkg/a.json", 10);
  // Recompute the checksum after the edit.
  std::memset(symlink.data() + tar::kChecksum.offset, ' ', tar::kChecksum.length);
  auto sum = fmt::format("{:06o}", tar::headerChecksum(reinterpret_cast<const unsigned char*>(symlink.data())));
  std::memcpy(symlink.data() + tar::kChecksum.offset, sum.data(), 6);
  symlink[tar::kChecksum.offset + 6] = '\0';

  std::string longTarget = std::string(150, 't');
  std::string gnuLink = handMadeHeader("././@LongLink", static_cast<int64_t>(longTarget.size() + 1), 'K') + longTarget;
  gnuLink.resize(static_cast<size_t>(tar::paddedSize(static_cast<int64_t>(gnuLink.size()))), '\0');

  std::string tar = symlink + paxBlock("20 linkpath=a/b/c.d\n") + handMadeHeader("configs/pax", 0, '1') + gnuLink +
                    handMadeHeader("configs/gnu", 0, '2');  // input ends with no end marker
  StringTarInput input(tar, 512);
  TarReader reader(input, "layer 'links'");
  auto first = reader.next();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->isSymlink());
  EXPECT_EQ(first->linkTarget, "pkg/a.json");
  auto second = reader.next();
  ASSERT_TRUE(second);
  EXPECT_TRUE(second->isHardLink());
  EXPECT_EQ(second->linkTarget, "a/b/c.d");
  auto third = reader.next();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->path, "configs/gnu");
  EXPECT_EQ(third->linkTarget, longTarget);
  EXPECT_FALSE(reader.next());
  EXPECT_FALSE(reader.sawEndMarker());
}

TEST(Tar, AStreamEndingInsideAMemberIsTruncated) {
  std::string tar = handMadeHeader("configs/x.json", 1000, '0') + std::string(600, 'x');
  StringTarInput input(tar);
  TarReader reader(input, "layer 'short'");
  ASSERT_TRUE(reader.next());
  try {
    reader.next();  // skipping the data finds the end
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'short' is truncated"), std::string::npos) << e.what();
  }
  StringTarInput again(tar);
  TarReader reading(again, "layer 'short'");
  ASSERT_TRUE(reading.next());
  EXPECT_THROW(dataOf(reading), Error);
}

}  // namespace
}  // namespace ferry
