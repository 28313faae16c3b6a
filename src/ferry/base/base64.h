// Base64 as auth files and HTTP Basic credentials use it (RFC 4648, with padding).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ferry {

std::string base64Encode(std::string_view bytes);
// Returns nullopt when `text` is not valid base64.
std::optional<std::string> base64Decode(std::string_view text);
// The URL-safe alphabet without padding, as JSON Web Tokens use it.
std::string base64UrlEncode(std::string_view bytes);

}  // namespace ferry
