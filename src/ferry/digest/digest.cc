#include "ferry/digest/digest.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include "ferry/base/error.h"

namespace ferry {
namespace {

// Hex length of each supported algorithm.
std::optional<size_t> hexLengthOf(std::string_view algorithm) {
  if (algorithm == "sha256") return 64;
  if (algorithm == "sha512") return 128;
  return std::nullopt;
}

const EVP_MD* evpFor(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha512") return EVP_sha512();
  fail(ErrorKind::Unsupported, "unsupported digest algorithm '{}': ferry supports sha256 and sha512", algorithm);
}

std::string validationProblem(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return "it has no 'algorithm:' prefix (expected sha256:<64 hex digits>)";
  auto algorithm = text.substr(0, colon);
  auto hex = text.substr(colon + 1);
  auto length = hexLengthOf(algorithm);
  if (!length) return fmt::format("algorithm '{}' is not supported (use sha256 or sha512)", algorithm);
  if (hex.size() != *length)
    return fmt::format("a {} digest has {} hex digits, this one has {}", algorithm, *length, hex.size());
  for (char c : hex) {
    bool lowerHex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
    if (!lowerHex) return fmt::format("'{}' is not a lowercase hex digit", c);
  }
  return {};
}

}  // namespace

std::optional<Digest> Digest::tryParse(std::string_view text) {
  if (!validationProblem(text).empty()) return std::nullopt;
  return Digest(std::string(text));
}

Digest Digest::parse(std::string_view text) {
  auto problem = validationProblem(text);
  if (!problem.empty()) fail(ErrorKind::InvalidInput, "invalid digest '{}': {}", text, problem);
  return Digest(std::string(text));
}

Digest Digest::sha256Of(std::string_view bytes) {
  Hasher hasher;
  hasher.update(bytes);
  return hasher.finish();
}

std::string_view Digest::algorithm() const { return std::string_view(text_).substr(0, text_.find(':')); }
std::string_view Digest::hex() const { return std::string_view(text_).substr(text_.find(':') + 1); }
std::filesystem::path Digest::blobPath() const {
  return std::filesystem::path(std::string(algorithm())) / std::string(hex());
}

struct Hasher::Context {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Context() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(std::string_view algorithm) : algorithm_(algorithm), context_(std::make_unique<Context>()) {
  reset();
}

Hasher::~Hasher() = default;

void Hasher::reset() {
  if (EVP_DigestInit_ex(context_->ctx, evpFor(algorithm_), nullptr) != 1) fail("cannot start a {} hash", algorithm_);
  bytes_ = 0;
}

void Hasher::update(const void* data, size_t size) {
  EVP_DigestUpdate(context_->ctx, data, size);
  bytes_ += size;
}

Digest Hasher::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(context_->ctx, raw, &length);
  static const char* digits = "0123456789abcdef";
  std::string text = algorithm_ + ":";
  for (unsigned int i = 0; i < length; ++i) {
    text.push_back(digits[raw[i] >> 4]);
    text.push_back(digits[raw[i] & 15]);
  }
  return Digest::parse(text);
}

bool fileMatchesDigest(const std::filesystem::path& file, const Digest& expected) {
  std::ifstream in(file, std::ios::binary);
  if (!in) fail("cannot read '{}': {}", file.string(), std::strerror(errno));
  Hasher hasher(expected.algorithm());
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    hasher.update(buffer.data(), static_cast<size_t>(in.gcount()));
  }
  return hasher.finish() == expected;
}

}  // namespace ferry
