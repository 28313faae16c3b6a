#include "ferry/base/base64.h"

#include <openssl/evp.h>

namespace ferry {

std::string base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(written));
  return out;
}

std::optional<std::string> base64Decode(std::string_view text) {
  std::string input(text);
  while (!input.empty() && (input.back() == '\n' || input.back() == '\r' || input.back() == ' ')) input.pop_back();
  // EVP_DecodeBlock needs padded input; auth files sometimes omit the padding.
  while (input.size() % 4 != 0) input.push_back('=');
  if (input.empty()) return std::string();
  std::string out(3 * input.size() / 4, '\0');
  int written = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(input.data()),
                                static_cast<int>(input.size()));
  if (written < 0) return std::nullopt;
  // EVP_DecodeBlock counts padding bytes as zeros; drop them.
  size_t padding = 0;
  for (size_t i = input.size(); i > 0 && input[i - 1] == '='; --i) ++padding;
  out.resize(static_cast<size_t>(written) - padding);
  return out;
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out = base64Encode(bytes);
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
  }
  return out;
}

}  // namespace ferry
