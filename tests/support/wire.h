// Small text and socket helpers shared by the test HTTP server and the fault proxy.
#pragma once

#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <map>
#include <string>
#include <string_view>

namespace ferry::testing::wire {

// Largest request or response head (status line and headers) the test servers accept.
inline constexpr size_t kMaxHeadBytes = 64 * 1024;

inline std::string lowercase(std::string_view text) {
  std::string result(text);
  for (auto& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

inline std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

// Sends everything or returns false (peer gone, socket failed).
inline bool sendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    auto n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Appends what one recv() brings to `buffer`; false when the peer closed or the socket failed.
inline bool receiveSome(int fd, std::string& buffer) {
  char chunk[65536];
  while (true) {
    auto n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<size_t>(n));
    return true;
  }
}

// Adds one "Name: value" header line to `headers` (lower-case names, repeats
// joined with ", "); false when the line has no colon.
inline bool addHeaderLine(std::map<std::string, std::string>& headers, std::string_view line) {
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto value = std::string(trim(line.substr(colon + 1)));
  auto [it, inserted] = headers.emplace(lowercase(trim(line.substr(0, colon))), value);
  if (!inserted) it->second += ", " + value;
  return true;
}

}  // namespace ferry::testing::wire
