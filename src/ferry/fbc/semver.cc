#include "ferry/fbc/semver.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlphanumericOrHyphen(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}
bool allDigits(std::string_view text) { return std::all_of(text.begin(), text.end(), isDigit); }
bool allAlphanumericOrHyphen(std::string_view text) {
  return std::all_of(text.begin(), text.end(), isAlphanumericOrHyphen);
}
bool hasLeadingZero(std::string_view text) { return text.size() > 1 && text.front() == '0'; }

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    auto end = text.find(separator, start);
    if (end == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

// Parses one of MAJOR, MINOR, PATCH with blang's checks, in blang's order.
// Returns what is wrong, or an empty string.
std::string parseNumber(std::string_view text, std::string_view what, uint64_t& out) {
  if (!allDigits(text)) return fmt::format("{} version \"{}\" is not a number", what, text);
  if (hasLeadingZero(text)) return fmt::format("{} version has a leading zero", what);
  if (text.empty()) return fmt::format("{} version is empty", what);
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size())
    return fmt::format("{} version \"{}\" is too large", what, text);
  return {};
}

// blang's NewPRVersion: a non-empty identifier, either a number without a
// leading zero that fits in 64 bits, or [0-9A-Za-z-]+.
std::string checkPreReleaseIdentifier(std::string_view identifier) {
  if (identifier.empty()) return "a pre-release identifier is empty";
  if (allDigits(identifier)) {
    if (hasLeadingZero(identifier))
      return fmt::format("numeric pre-release identifier \"{}\" has a leading zero", identifier);
    uint64_t value;
    auto [end, error] = std::from_chars(identifier.data(), identifier.data() + identifier.size(), value);
    if (error != std::errc() || end != identifier.data() + identifier.size())
      return fmt::format("numeric pre-release identifier \"{}\" is too large", identifier);
    return {};
  }
  if (!allAlphanumericOrHyphen(identifier))
    return fmt::format("pre-release identifier \"{}\" has characters other than [0-9A-Za-z-]", identifier);
  return {};
}

// The strict parse of blang/semver v4 `Parse`, check for check. Returns what
// is wrong (without the version itself), or an empty string.
std::string parseVersion(std::string_view text, Version& version) {
  if (text.empty()) return "it is empty; expected MAJOR.MINOR.PATCH";
  // Split into MAJOR, MINOR and the rest, like strings.SplitN(s, ".", 3).
  auto firstDot = text.find('.');
  auto secondDot = firstDot == std::string_view::npos ? firstDot : text.find('.', firstDot + 1);
  if (secondDot == std::string_view::npos) return "expected MAJOR.MINOR.PATCH";
  auto majorText = text.substr(0, firstDot);
  auto minorText = text.substr(firstDot + 1, secondDot - firstDot - 1);
  auto patchText = text.substr(secondDot + 1);

  if (majorText.starts_with('v') || majorText.starts_with('V'))
    if (allDigits(majorText.substr(1)) && !majorText.substr(1).empty())
      return "major version has a \"v\" prefix; write the version without it";
  if (auto problem = parseNumber(majorText, "major", version.major); !problem.empty()) return problem;
  if (auto problem = parseNumber(minorText, "minor", version.minor); !problem.empty()) return problem;

  std::string_view buildText, preReleaseText;
  bool hasBuild = false, hasPreRelease = false;
  if (auto plus = patchText.find('+'); plus != std::string_view::npos) {
    buildText = patchText.substr(plus + 1);
    patchText = patchText.substr(0, plus);
    hasBuild = true;
  }
  if (auto hyphen = patchText.find('-'); hyphen != std::string_view::npos) {
    preReleaseText = patchText.substr(hyphen + 1);
    patchText = patchText.substr(0, hyphen);
    hasPreRelease = true;
  }
  if (auto problem = parseNumber(patchText, "patch", version.patch); !problem.empty()) return problem;

  version.preRelease.clear();
  version.build.clear();
  if (hasPreRelease) {
    for (auto identifier : split(preReleaseText, '.')) {
      if (auto problem = checkPreReleaseIdentifier(identifier); !problem.empty()) return problem;
      version.preRelease.emplace_back(identifier);
    }
  }
  if (hasBuild) {
    for (auto identifier : split(buildText, '.')) {
      if (identifier.empty()) return "a build metadata identifier is empty";
      if (!allAlphanumericOrHyphen(identifier))
        return fmt::format("build metadata identifier \"{}\" has characters other than [0-9A-Za-z-]", identifier);
      version.build.emplace_back(identifier);
    }
  }
  return {};
}

// Numeric identifiers have no leading zeros, so a shorter one is smaller.
int compareNumericText(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int result = a.compare(b);
  return result < 0 ? -1 : result > 0 ? 1 : 0;
}

int comparePreReleaseIdentifier(const std::string& a, const std::string& b) {
  bool aNumeric = allDigits(a), bNumeric = allDigits(b);
  if (aNumeric && bNumeric) return compareNumericText(a, b);
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  int result = a.compare(b);
  return result < 0 ? -1 : result > 0 ? 1 : 0;
}

template <typename T>
int compareValues(T a, T b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

}  // namespace

Version Version::parse(std::string_view text) {
  Version version;
  if (auto problem = parseVersion(text, version); !problem.empty()) fail("version \"{}\": {}", text, problem);
  return version;
}

std::optional<Version> Version::tryParse(std::string_view text) {
  Version version;
  if (!parseVersion(text, version).empty()) return std::nullopt;
  return version;
}

std::string Version::str() const {
  std::string text = fmt::format("{}.{}.{}", major, minor, patch);
  for (size_t i = 0; i < preRelease.size(); ++i) {
    text += i == 0 ? '-' : '.';
    text += preRelease[i];
  }
  for (size_t i = 0; i < build.size(); ++i) {
    text += i == 0 ? '+' : '.';
    text += build[i];
  }
  return text;
}

int Version::compare(const Version& other) const {
  if (int c = compareValues(major, other.major)) return c;
  if (int c = compareValues(minor, other.minor)) return c;
  if (int c = compareValues(patch, other.patch)) return c;
  // A version without pre-release identifiers has the higher precedence.
  if (preRelease.empty() || other.preRelease.empty())
    return compareValues(preRelease.empty(), other.preRelease.empty());
  size_t common = std::min(preRelease.size(), other.preRelease.size());
  for (size_t i = 0; i < common; ++i)
    if (int c = comparePreReleaseIdentifier(preRelease[i], other.preRelease[i])) return c;
  return compareValues(preRelease.size(), other.preRelease.size());
}

// --- Ranges -----------------------------------------------------------------
//
// The steps below follow blang/semver v4's ParseRange one for one, including
// its quirks, so that a skipRange means here what it means to opm and OLM:
//  - the text is split on spaces, except after '<', '>' or '=' (so ">= 1.0.0"
//    is one comparator); a one-character token is dropped;
//  - any comparator containing an 'x' goes through wildcard expansion.

namespace {

// blang's splitAndTrim.
std::vector<std::string> splitRangeTokens(std::string_view text) {
  std::vector<std::string> tokens;
  size_t last = 0;
  char lastChar = 0;
  auto keepsSpace = [](char c) { return c == '>' || c == '<' || c == '='; };
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ' && !keepsSpace(lastChar)) {
      if (i >= 1 && last < i - 1) tokens.emplace_back(text.substr(last, i - last));
      last = i + 1;
    } else if (text[i] != ' ') {
      lastChar = text[i];
    }
  }
  if (!text.empty() && last < text.size() - 1) tokens.emplace_back(text.substr(last));
  for (auto& token : tokens) std::erase(token, ' ');
  return tokens;
}

bool isGoSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

std::string_view trimSpace(std::string_view text) {
  while (!text.empty() && isGoSpace(text.front())) text.remove_prefix(1);
  while (!text.empty() && isGoSpace(text.back())) text.remove_suffix(1);
  return text;
}

// blang's splitComparatorVersion: the operator is everything before the first digit.
bool splitComparator(std::string_view token, std::string& op, std::string& version) {
  auto firstDigit = std::find_if(token.begin(), token.end(), isDigit);
  if (firstDigit == token.end()) return false;
  auto index = static_cast<size_t>(firstDigit - token.begin());
  op = std::string(trimSpace(token.substr(0, index)));
  version = std::string(token.substr(index));
  return true;
}

void replaceFirst(std::string& text, std::string_view from, std::string_view to) {
  if (auto at = text.find(from); at != std::string::npos) text.replace(at, from.size(), to);
}

// Go's strconv.Atoi on a 64-bit platform; nullopt where Atoi fails.
std::optional<int64_t> goAtoi(std::string_view text) {
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty() || !allDigits(digits)) return std::nullopt;
  uint64_t magnitude;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  if (error != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  constexpr auto maxPositive = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!negative && magnitude > maxPositive) return std::nullopt;
  if (negative && magnitude > maxPositive + 1) return std::nullopt;
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

// blang's incrementMajorVersion / incrementMinorVersion: "" when the part is not a number.
std::string incrementPart(const std::string& version, size_t index) {
  auto parts = split(version, '.');
  if (index >= parts.size()) return {};
  auto value = goAtoi(parts[index]);
  if (!value) return {};
  // Go's int addition wraps around.
  std::string incremented = std::to_string(static_cast<int64_t>(static_cast<uint64_t>(*value) + 1));
  std::string result;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) result += '.';
    result += i == index ? std::string_view(incremented) : parts[i];
  }
  return result;
}

// blang's expandWildcardVersion for one comparator that contains an 'x'.
// Appends the comparators it becomes to `out`; returns false when the token has no version at all.
bool expandWildcard(const std::string& token, std::vector<std::string>& out) {
  std::string op, version;
  if (!splitComparator(token, op, version)) return false;

  auto parts = split(version, '.');
  enum class Wildcard { None, Minor, Patch } wildcard = Wildcard::None;
  if (parts.back() == "x") {
    if (parts.size() == 2) wildcard = Wildcard::Minor;
    if (parts.size() == 3) wildcard = Wildcard::Patch;
  }
  std::string flat = version;
  replaceFirst(flat, ".x.x", ".x");
  replaceFirst(flat, ".x", ".0");
  if (split(flat, '.').size() == 2) flat += ".0";

  std::string resultOp;
  bool increment = false;
  if (op == ">") {
    resultOp = ">=";
    increment = true;
  } else if (op == ">=") {
    resultOp = ">=";
  } else if (op == "<") {
    resultOp = "<";
  } else if (op == "<=") {
    resultOp = "<";
    increment = true;
  } else if (op.empty() || op == "=" || op == "==") {
    out.push_back(">=" + flat);
    resultOp = "<";
    increment = true;
  } else if (op == "!=" || op == "!") {
    out.push_back("<" + flat);
    resultOp = ">=";
    increment = true;
  }
  std::string resultVersion;
  if (!increment) {
    resultVersion = flat;
  } else if (wildcard == Wildcard::Patch) {
    resultVersion = incrementPart(flat, 1);
  } else if (wildcard == Wildcard::Minor) {
    resultVersion = incrementPart(flat, 0);
  }
  out.push_back(resultOp + resultVersion);
  return true;
}

std::optional<VersionRange::Comparator::Op> parseOperator(std::string_view op) {
  using Op = VersionRange::Comparator::Op;
  if (op.empty() || op == "=" || op == "==") return Op::Equal;
  if (op == "!" || op == "!=") return Op::NotEqual;
  if (op == "<") return Op::Less;
  if (op == "<=") return Op::LessOrEqual;
  if (op == ">") return Op::Greater;
  if (op == ">=") return Op::GreaterOrEqual;
  return std::nullopt;
}

bool holds(const VersionRange::Comparator& comparator, const Version& version) {
  using Op = VersionRange::Comparator::Op;
  int c = version.compare(comparator.version);
  switch (comparator.op) {
    case Op::Equal: return c == 0;
    case Op::NotEqual: return c != 0;
    case Op::Less: return c < 0;
    case Op::LessOrEqual: return c <= 0;
    case Op::Greater: return c > 0;
    case Op::GreaterOrEqual: return c >= 0;
  }
  return false;
}

}  // namespace

VersionRange VersionRange::parse(std::string_view text) {
  auto invalid = [&](const std::string& why) -> VersionRange { fail("version range \"{}\": {}", text, why); };

  auto tokens = splitRangeTokens(text);
  if (tokens.empty()) return invalid("it is empty");
  if (tokens.front() == "||") return invalid("it starts with \"||\"");
  if (tokens.back() == "||") return invalid("it ends with \"||\"");

  std::vector<std::vector<std::string>> alternatives(1);
  for (auto& token : tokens) {
    if (token == "||") {
      // blang accepts "a || || b" but then crashes when it evaluates the empty
      // alternative; refuse it up front.
      if (alternatives.back().empty()) return invalid("it has nothing between two \"||\"");
      alternatives.emplace_back();
      continue;
    }
    if (token.find('x') == std::string::npos) {
      alternatives.back().push_back(token);
    } else if (!expandWildcard(token, alternatives.back())) {
      return invalid(fmt::format("\"{}\" has no version", token));
    }
  }

  VersionRange range;
  range.text_ = std::string(text);
  for (const auto& alternative : alternatives) {
    std::vector<Comparator> comparators;
    for (const auto& token : alternative) {
      std::string op, versionText;
      if (!splitComparator(token, op, versionText)) return invalid(fmt::format("\"{}\" has no version", token));
      auto parsedOp = parseOperator(op);
      if (!parsedOp)
        return invalid(fmt::format("\"{}\" has an unknown operator \"{}\"; use <, <=, >, >=, = or != (there are no "
                                   "~, ^ or hyphen ranges)",
                                   token, op));
      Version version;
      if (auto problem = parseVersion(versionText, version); !problem.empty())
        return invalid(fmt::format("\"{}\" is not a full version (version \"{}\": {})", token, versionText, problem));
      comparators.push_back({*parsedOp, std::move(version)});
    }
    range.alternatives_.push_back(std::move(comparators));
  }
  return range;
}

bool VersionRange::contains(const Version& version) const {
  for (const auto& alternative : alternatives_) {
    bool all = true;
    for (const auto& comparator : alternative) {
      if (!holds(comparator, version)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

}  // namespace ferry::catalog
