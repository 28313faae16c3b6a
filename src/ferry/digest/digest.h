// Content digests ("sha256:<64 hex>", "sha512:<128 hex>").
//
// A Digest can only be made by parsing and validating a string, so any Digest
// in the program is safe to put in a file path or a URL: the algorithm is one
// we know, and the hex part has exactly the right length and only lowercase
// hex digits. Anything else is refused before it reaches the file system.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ferry {

class Digest {
 public:
  // Throws Error quoting `text` and saying what is wrong with it.
  static Digest parse(std::string_view text);
  // Returns nullopt instead of throwing.
  static std::optional<Digest> tryParse(std::string_view text);
  // The sha256 digest of `bytes`.
  static Digest sha256Of(std::string_view bytes);

  const std::string& str() const { return text_; }
  std::string_view algorithm() const;
  std::string_view hex() const;
  // "sha256/<hex>", the relative path of the blob inside an OCI layout's blobs/.
  std::filesystem::path blobPath() const;

  bool operator==(const Digest&) const = default;
  auto operator<=>(const Digest&) const = default;

 private:
  explicit Digest(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Streaming hash for one digest algorithm (OpenSSL EVP).
class Hasher {
 public:
  explicit Hasher(std::string_view algorithm = "sha256");
  ~Hasher();
  Hasher(const Hasher&) = delete;
  Hasher& operator=(const Hasher&) = delete;

  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Finishes the hash; the Hasher can be reset() for reuse.
  Digest finish();
  void reset();
  uint64_t bytesHashed() const { return bytes_; }

 private:
  std::string algorithm_;
  struct Context;
  std::unique_ptr<Context> context_;
  uint64_t bytes_ = 0;
};

// Hashes a file with the algorithm of `expected` and says whether it matches.
bool fileMatchesDigest(const std::filesystem::path& file, const Digest& expected);

}  // namespace ferry

template <>
struct std::hash<ferry::Digest> {
  size_t operator()(const ferry::Digest& digest) const noexcept { return std::hash<std::string>()(digest.str()); }
};
