// The fixed 512-byte header block of a ustar member, shared by the tar
// writer and reader: field offsets and the header checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ferry::tar {

inline constexpr size_t kBlock = 512;

struct Field {
  size_t offset;
  size_t length;
};
inline constexpr Field kName{0, 100};
inline constexpr Field kMode{100, 8};
inline constexpr Field kUid{108, 8};
inline constexpr Field kGid{116, 8};
inline constexpr Field kSize{124, 12};
inline constexpr Field kMtime{136, 12};
inline constexpr Field kChecksum{148, 8};
inline constexpr size_t kTypeFlag = 156;
inline constexpr Field kLinkName{157, 100};
inline constexpr Field kMagic{257, 6};
inline constexpr Field kVersion{263, 2};
inline constexpr Field kUname{265, 32};
inline constexpr Field kGname{297, 32};
inline constexpr Field kPrefix{345, 155};

// Sizes up to this fit the 11 octal digits of the size field.
inline constexpr int64_t kLargestOctalSize = 077777777777;

// The sum of the header's bytes, with the checksum field counted as spaces.
inline uint32_t headerChecksum(const unsigned char* block) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= kChecksum.offset && i < kChecksum.offset + kChecksum.length) ? ' ' : block[i];
  return sum;
}

// Old tar writers summed signed chars; readers accept either.
inline int32_t signedHeaderChecksum(const unsigned char* block) {
  int32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i)
    sum += (i >= kChecksum.offset && i < kChecksum.offset + kChecksum.length) ? ' '
                                                                               : static_cast<signed char>(block[i]);
  return sum;
}

inline int64_t paddedSize(int64_t size) { return (size + int64_t(kBlock) - 1) / int64_t(kBlock) * int64_t(kBlock); }

}  // namespace ferry::tar
