#include "ferry/fbc/indexignore.h"

#include <optional>

namespace ferry::catalog {
namespace {

std::string_view trimSpace(std::string_view text) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; };
  while (!text.empty() && isSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back())) text.remove_suffix(1);
  return text;
}

std::vector<std::string> splitOnSlash(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start));
    if (slash == std::string_view::npos) return parts;
    start = slash + 1;
  }
}

// Decodes one UTF-8 character at text[i] (a lone invalid byte counts as one
// character), returning it and advancing i, so `?` and classes see characters.
char32_t nextCharacter(std::string_view text, size_t& i) {
  auto lead = static_cast<unsigned char>(text[i]);
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  if (i + length > text.size()) length = 1;
  char32_t value = length == 1 ? lead : lead & (0x3f >> (length - 1));
  for (size_t k = 1; k < length; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xc0) != 0x80) {
      length = 1;
      value = lead;
      break;
    }
    value = (value << 6) | (next & 0x3f);
  }
  i += length;
  return value;
}

// Matches a `[...]` class at pattern[p] (just after `[`) against `c`; advances
// p past `]`. Returns nullopt for a malformed class.
std::optional<bool> matchClass(std::string_view pattern, size_t& p, char32_t c) {
  bool negated = false;
  if (p < pattern.size() && pattern[p] == '^') {
    negated = true;
    ++p;
  }
  bool matched = false;
  bool first = true;
  for (;;) {
    if (p >= pattern.size()) return std::nullopt;
    if (pattern[p] == ']' && !first) {
      ++p;
      return matched != negated;
    }
    first = false;
    auto readCharacter = [&]() -> std::optional<char32_t> {
      if (p >= pattern.size()) return std::nullopt;
      if (pattern[p] == '\\') {
        ++p;
        if (p >= pattern.size()) return std::nullopt;
      }
      return nextCharacter(pattern, p);
    };
    auto low = readCharacter();
    if (!low) return std::nullopt;
    char32_t high = *low;
    if (p < pattern.size() && pattern[p] == '-' && p + 1 < pattern.size() && pattern[p + 1] != ']') {
      ++p;
      auto end = readCharacter();
      if (!end) return std::nullopt;
      high = *end;
    }
    if (*low <= c && c <= high) matched = true;
  }
}

bool globFrom(std::string_view pattern, size_t p, std::string_view name, size_t n) {
  while (p < pattern.size()) {
    char token = pattern[p];
    if (token == '*') {
      while (p < pattern.size() && pattern[p] == '*') ++p;
      if (p == pattern.size()) return true;
      for (size_t start = n; start <= name.size();) {
        if (globFrom(pattern, p, name, start)) return true;
        if (start == name.size()) break;
        nextCharacter(name, start);
      }
      return false;
    }
    if (n >= name.size()) return false;
    if (token == '?') {
      ++p;
      nextCharacter(name, n);
      continue;
    }
    if (token == '[') {
      ++p;
      char32_t c = nextCharacter(name, n);
      auto matched = matchClass(pattern, p, c);
      if (!matched || !*matched) return false;
      continue;
    }
    if (token == '\\') {
      ++p;
      if (p >= pattern.size()) return false;
    }
    if (pattern[p] != name[n]) return false;
    ++p;
    ++n;
  }
  return n == name.size();
}

}  // namespace

bool globMatches(std::string_view pattern, std::string_view name) { return globFrom(pattern, 0, name, 0); }

void IndexIgnore::addFile(const std::vector<std::string>& directory, std::string_view text) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = trimSpace(text.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line.front() == '#') continue;
    Pattern pattern;
    pattern.directory = directory;
    if (line.front() == '!') {
      pattern.include = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      pattern.directoryOnly = true;
      line.remove_suffix(1);
    }
    pattern.anchored = line.find('/') != std::string_view::npos;
    pattern.elements = splitOnSlash(line);
    patterns_.push_back(std::move(pattern));
  }
}

bool IndexIgnore::matches(const Pattern& pattern, const std::vector<std::string>& path, bool isDirectory) const {
  if (path.size() <= pattern.directory.size()) return false;
  for (size_t i = 0; i < pattern.directory.size(); ++i) {
    if (path[i] != pattern.directory[i]) return false;
  }
  size_t base = pattern.directory.size();

  if (!pattern.anchored) {
    // A name without `/` matches any element below the pattern's directory; a
    // directory-only one must match a directory (an element that is not the last).
    for (size_t i = base; i < path.size(); ++i) {
      if (!globMatches(pattern.elements[0], path[i])) continue;
      bool last = i + 1 == path.size();
      return !(pattern.directoryOnly && !isDirectory && last);
    }
    return false;
  }

  // Anchored: elements match path elements in order from the directory; `**`
  // stands for any number of elements; what is left of the path afterwards is
  // below a matched directory.
  size_t next = base;
  bool matched = false;
  bool anyDepth = false;
  for (size_t e = 0; e < pattern.elements.size(); ++e) {
    const std::string& element = pattern.elements[e];
    if (element.empty()) {  // a leading `/` (or `//`)
      anyDepth = false;
      continue;
    }
    if (element == "**") {
      if (e + 1 == pattern.elements.size()) break;  // trailing `**`: everything below
      anyDepth = true;
      continue;
    }
    if (element.find("**") != std::string::npos) return false;
    if (next >= path.size()) return false;
    if (anyDepth) {
      anyDepth = false;
      matched = false;
      while (next < path.size()) {
        if (globMatches(element, path[next++])) {
          matched = true;
          break;
        }
      }
      if (!matched) return false;
    } else {
      if (!globMatches(element, path[next])) return false;
      ++next;
      matched = true;
    }
  }
  if (matched && pattern.directoryOnly && !isDirectory && next == path.size()) return false;
  return matched;
}

bool IndexIgnore::ignores(const std::vector<std::string>& path) const {
  for (auto pattern = patterns_.rbegin(); pattern != patterns_.rend(); ++pattern) {
    if (matches(*pattern, path, false)) return !pattern->include;
  }
  return false;
}

}  // namespace ferry::catalog
