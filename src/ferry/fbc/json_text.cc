#include "ferry/fbc/json_text.h"

#include <cstring>

namespace ferry::catalog {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";

void appendUnicodeEscape(std::string& out, unsigned codePoint) {
  out += "\\u";
  out += kHexDigits[(codePoint >> 12) & 0xf];
  out += kHexDigits[(codePoint >> 8) & 0xf];
  out += kHexDigits[(codePoint >> 4) & 0xf];
  out += kHexDigits[codePoint & 0xf];
}

// Length of the valid UTF-8 sequence starting at text[i] (2 to 4), or 0 if it is not one.
size_t utf8SequenceLength(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = byte(i);
  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (length == 0 || lead > 0xf4 || i + length > text.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
  }
  unsigned second = byte(i + 1);
  if (lead == 0xe0 && second < 0xa0) return 0;  // overlong
  if (lead == 0xed && second > 0x9f) return 0;  // surrogate
  if (lead == 0xf0 && second < 0x90) return 0;  // overlong
  if (lead == 0xf4 && second > 0x8f) return 0;  // beyond U+10FFFF
  return length;
}

void appendIndent(std::string& out, int depth) {
  out += '\n';
  out.append(static_cast<size_t>(depth) * 4, ' ');
}

// Copies the string literal starting at json[i] (an opening quote) and returns the index after its closing quote.
size_t copyStringLiteral(std::string& out, std::string_view json, size_t i) {
  size_t start = i;
  size_t search = i + 1;
  for (;;) {
    const void* found = std::memchr(json.data() + search, '"', json.size() - search);
    if (found == nullptr) {  // unterminated: copy the rest, the caller's input was not JSON
      out.append(json.substr(start));
      return json.size();
    }
    size_t quote = static_cast<const char*>(found) - json.data();
    size_t backslashes = 0;
    while (quote - backslashes > start + 1 && json[quote - backslashes - 1] == '\\') ++backslashes;
    if (backslashes % 2 == 0) {
      out.append(json.substr(start, quote + 1 - start));
      return quote + 1;
    }
    search = quote + 1;
  }
}

bool isJsonSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  size_t i = 0;
  size_t plainStart = 0;
  auto flushPlain = [&] { out.append(text.substr(plainStart, i - plainStart)); };
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      size_t length = utf8SequenceLength(text, i);
      if (length == 0) {
        flushPlain();
        out += "\xef\xbf\xbd";  // U+FFFD, as Go's encoder writes for invalid UTF-8
        plainStart = ++i;
        continue;
      }
      // U+2028 and U+2029 are valid JSON but break JavaScript; Go escapes them.
      if (length == 3 && c == 0xe2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
          (static_cast<unsigned char>(text[i + 2]) & 0xfe) == 0xa8) {
        flushPlain();
        appendUnicodeEscape(out, 0x2028 + (static_cast<unsigned char>(text[i + 2]) & 1));
        plainStart = i += 3;
        continue;
      }
      i += length;
      continue;
    }
    flushPlain();
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default: appendUnicodeEscape(out, c); break;
    }
    plainStart = ++i;
  }
  flushPlain();
  out += '"';
}

void appendIndentedJson(std::string& out, std::string_view json) {
  int depth = 0;
  bool pendingOpen = false;  // just wrote `{` or `[`: the newline waits until we know it is not empty
  size_t i = 0;
  while (i < json.size()) {
    char c = json[i];
    if (isJsonSpace(c)) {
      ++i;
      continue;
    }
    if (pendingOpen && c != '}' && c != ']') {
      pendingOpen = false;
      appendIndent(out, ++depth);
    }
    switch (c) {
      case '"':
        i = copyStringLiteral(out, json, i);
        continue;
      case '{':
      case '[':
        out += c;
        pendingOpen = true;
        break;
      case '}':
      case ']':
        if (pendingOpen) {
          pendingOpen = false;
        } else {
          appendIndent(out, --depth);
        }
        out += c;
        break;
      case ',':
        out += ',';
        appendIndent(out, depth);
        break;
      case ':':
        out += ": ";
        break;
      default: {
        size_t end = i + 1;
        while (end < json.size()) {
          char d = json[end];
          if (d == ',' || d == '}' || d == ']' || d == ':' || d == '"' || isJsonSpace(d)) break;
          ++end;
        }
        out.append(json.substr(i, end - i));
        i = end;
        continue;
      }
    }
    ++i;
  }
}

bool keyMatches(std::string_view key, std::string_view name) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  size_t k = 0;
  for (char wanted : name) {
    wanted = lower(wanted);
    if (k >= key.size()) return false;
    char c = lower(key[k]);
    if (c == wanted) {
      ++k;
      continue;
    }
    if (wanted == 's' && key.substr(k, 2) == "\xc5\xbf") {  // U+017F LATIN SMALL LETTER LONG S
      k += 2;
      continue;
    }
    if (wanted == 'k' && key.substr(k, 3) == "\xe2\x84\xaa") {  // U+212A KELVIN SIGN
      k += 3;
      continue;
    }
    return false;
  }
  return k == key.size();
}

}  // namespace ferry::catalog
