#include "ferry/policy/json_lines.h"

#include <iterator>

#include "ferry/base/error.h"

namespace ferry::policy {
namespace {

using Json = nlohmann::json;

// Reads the text a byte at a time and counts the lines read so far: the SAX
// events below happen as the parser reads, so the count is the event's line.
struct CountingIterator {
  using iterator_category = std::input_iterator_tag;
  using value_type = char;
  using difference_type = std::ptrdiff_t;
  using pointer = const char*;
  using reference = const char&;

  const char* at = nullptr;
  int* line = nullptr;

  reference operator*() const { return *at; }
  CountingIterator& operator++() {
    if (*at == '\n') ++*line;
    ++at;
    return *this;
  }
  CountingIterator operator++(int) {
    auto before = *this;
    ++*this;
    return before;
  }
  bool operator==(const CountingIterator& other) const { return at == other.at; }
  bool operator!=(const CountingIterator& other) const { return at != other.at; }
};

std::string joined(const std::vector<std::string>& path) {
  std::string text;
  for (size_t i = 0; i < path.size(); ++i) text += (i ? "\x1f" : "") + path[i];
  return text;
}

class LineSax : public nlohmann::json_sax<Json> {
 public:
  LineSax(JsonWithLines& out, const int& line) : out_(out), line_(line), dom_(out.value, false) {}

  bool null() override { return value() && dom_.null(); }
  bool boolean(bool v) override { return value() && dom_.boolean(v); }
  bool number_integer(number_integer_t v) override { return value() && dom_.number_integer(v); }
  bool number_unsigned(number_unsigned_t v) override { return value() && dom_.number_unsigned(v); }
  bool number_float(number_float_t v, const string_t& s) override { return value() && dom_.number_float(v, s); }
  bool string(string_t& v) override { return value() && dom_.string(v); }
  bool binary(binary_t& v) override { return value() && dom_.binary(v); }
  bool start_object(std::size_t n) override {
    value();
    frames_.push_back({false, 0, path_.size()});
    return dom_.start_object(n);
  }
  bool key(string_t& k) override {
    path_.resize(frames_.back().depth);
    path_.push_back(k);
    out_.lines.emplace(joined(path_), line_);
    return dom_.key(k);
  }
  bool end_object() override {
    path_.resize(frames_.back().depth);
    frames_.pop_back();
    return dom_.end_object();
  }
  bool start_array(std::size_t n) override {
    value();
    frames_.push_back({true, 0, path_.size()});
    return dom_.start_array(n);
  }
  bool end_array() override {
    path_.resize(frames_.back().depth);
    frames_.pop_back();
    return dom_.end_array();
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    error = e.what();
    errorLine = line_;
    return false;
  }

  std::string error;
  int errorLine = 0;

 private:
  struct Frame {
    bool array;
    size_t index;
    size_t depth;  // path_ length of the container itself
  };
  // Records the line of the value about to start.
  bool value() {
    if (!frames_.empty() && frames_.back().array) {
      path_.resize(frames_.back().depth);
      path_.push_back(std::to_string(frames_.back().index++));
    }
    out_.lines.emplace(joined(path_), line_);
    return true;
  }

  JsonWithLines& out_;
  const int& line_;
  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  std::vector<Frame> frames_;
  std::vector<std::string> path_;
};

}  // namespace

int JsonWithLines::lineOf(const std::vector<std::string>& path) const {
  // The value itself, else the nearest enclosing one that was seen.
  for (size_t n = path.size() + 1; n-- > 0;) {
    auto found = lines.find(joined(std::vector<std::string>(path.begin(), path.begin() + static_cast<long>(n))));
    if (found != lines.end()) return found->second;
  }
  return 1;
}

JsonWithLines parseJsonWithLines(std::string_view text, const std::string& name) {
  JsonWithLines out;
  int line = 1;
  LineSax sax(out, line);
  CountingIterator first{text.data(), &line}, last{text.data() + text.size(), &line};
  bool ok = Json::sax_parse(first, last, &sax);
  if (!ok || !sax.error.empty()) {
    std::string what = sax.error;
    // "[json.exception.parse_error.101] parse error at line 3, column 5: ..." → the part after the position.
    if (auto colon = what.find(": "); what.starts_with("[json.exception") && colon != std::string::npos)
      what = what.substr(colon + 2);
    fail(ErrorKind::InvalidInput, "{}:{}: not valid JSON: {}", name, sax.errorLine ? sax.errorLine : line, what);
  }
  return out;
}

}  // namespace ferry::policy
