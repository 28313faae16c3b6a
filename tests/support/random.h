// Deterministic pseudo-random data for fixtures: the same seed gives the same
// bytes on every run and machine, and it is fast enough to make a gigabyte of
// layer content in well under a second.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace ferry::testing {

// splitmix64: turns any seed, including 0 and small integers, into well-mixed state.
inline uint64_t splitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// A seed for one named part of a fixture ("app3/v2/linux/arm64/layer1"), so parts
// are independent of each other and of the order in which they are made.
inline uint64_t deriveSeed(uint64_t seed, std::string_view label) {
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : label) hash = (hash ^ c) * 0x100000001b3ULL;
  uint64_t state = seed ^ hash;
  return splitMix64(state);
}

// xoshiro256**.
class Random {
 public:
  explicit Random(uint64_t seed) {
    for (auto& word : state_) word = splitMix64(seed);
  }

  uint64_t next() {
    uint64_t result = rotl(state_[1] * 5, 7) * 9;
    uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform enough in [low, high] for picking sizes.
  uint64_t between(uint64_t low, uint64_t high) { return high <= low ? low : low + next() % (high - low + 1); }

  // Little-endian byte order whatever the host, so fixtures match across machines.
  void fill(void* data, size_t size) {
    auto* out = static_cast<unsigned char*>(data);
    while (size > 0) {
      uint64_t word = next();
      size_t count = size < 8 ? size : 8;
      for (size_t i = 0; i < count; ++i) out[i] = static_cast<unsigned char>(word >> (8 * i));
      out += count;
      size -= count;
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t state_[4];
};

}  // namespace ferry::testing
