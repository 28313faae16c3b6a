// JSON parsed with the line of every value remembered, so that a policy file's
// errors can name file:line for a field that is wrong, not only for bad syntax.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ferry::policy {

struct JsonWithLines {
  nlohmann::json value;
  // The line (from 1) each value starts on, by its path (keys and array
  // indexes joined with '\x1f'; "" is the document).
  std::map<std::string, int> lines;

  int lineOf(const std::vector<std::string>& path) const;
};

// Throws Error (InvalidInput) "NAME:LINE: not valid JSON: ..." for bad syntax.
JsonWithLines parseJsonWithLines(std::string_view text, const std::string& name);

}  // namespace ferry::policy
