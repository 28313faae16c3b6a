#include "ferry/registry/challenge.h"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace ferry {

std::string AuthChallenge::parameter(const std::string& name) const {
  auto it = parameters.find(name);
  return it == parameters.end() ? std::string() : it->second;
}

std::optional<AuthChallenge> parseAuthChallenge(const std::string& header) {
  size_t position = header.find_first_not_of(' ');
  if (position == std::string::npos) return std::nullopt;
  size_t space = header.find(' ', position);
  AuthChallenge challenge;
  challenge.scheme = header.substr(position, space == std::string::npos ? std::string::npos : space - position);
  std::transform(challenge.scheme.begin(), challenge.scheme.end(), challenge.scheme.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (challenge.scheme.empty()) return std::nullopt;
  position = space;
  while (position != std::string::npos && position < header.size()) {
    position = header.find_first_not_of(" ,", position);
    if (position == std::string::npos) break;
    size_t equals = header.find('=', position);
    if (equals == std::string::npos) break;
    std::string name = header.substr(position, equals - position);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value;
    position = equals + 1;
    if (position < header.size() && header[position] == '"') {
      ++position;
      while (position < header.size() && header[position] != '"') {
        if (header[position] == '\\' && position + 1 < header.size()) ++position;
        value.push_back(header[position++]);
      }
      ++position;  // closing quote
    } else {
      size_t end = header.find(',', position);
      value = header.substr(position, end == std::string::npos ? std::string::npos : end - position);
      position = end;
    }
    challenge.parameters[name] = value;
  }
  return challenge;
}

std::optional<std::string> nextLink(const std::vector<std::string>& linkHeaders) {
  for (const auto& header : linkHeaders) {
    // A header may hold several comma-separated links.
    size_t position = 0;
    while ((position = header.find('<', position)) != std::string::npos) {
      size_t close = header.find('>', position);
      if (close == std::string::npos) break;
      std::string url = header.substr(position + 1, close - position - 1);
      size_t nextLinkStart = header.find('<', close);
      std::string parameters = header.substr(close, nextLinkStart == std::string::npos ? std::string::npos
                                                                                       : nextLinkStart - close);
      if (parameters.find("rel=\"next\"") != std::string::npos || parameters.find("rel=next") != std::string::npos)
        return url;
      position = close;
    }
  }
  return std::nullopt;
}

std::string registryErrorSummary(const std::string& body) {
  auto document = nlohmann::json::parse(body, nullptr, false);
  if (document.is_discarded() || !document.is_object()) return {};
  auto errors = document.find("errors");
  if (errors == document.end() || !errors->is_array() || errors->empty()) return {};
  std::string out;
  for (const auto& error : *errors) {
    if (!out.empty()) out += "; ";
    out += error.value("code", "");
    auto message = error.value("message", "");
    if (!message.empty()) out += (out.empty() ? "" : ": ") + message;
  }
  return out;
}

}  // namespace ferry
