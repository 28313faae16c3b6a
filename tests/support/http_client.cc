#include "support/http_client.h"

#include <curl/curl.h>

#include <cctype>
#include <memory>

#include "ferry/base/error.h"

namespace ferry::testing {
namespace {

std::string lowercase(std::string_view text) {
  std::string result(text);
  for (auto& c : result) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return result;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  return text;
}

void initializeCurlOnce() {
  // curl_global_init is not safe to race with other threads' first use.
  static const bool initialized = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  if (!initialized) fail("cannot initialise libcurl");
}

size_t collectBody(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t collectHeader(char* data, size_t size, size_t count, void* user) {
  auto& response = *static_cast<ClientResponse*>(user);
  std::string_view line(data, size * count);
  if (line.starts_with("HTTP/")) {
    response.headers.clear();  // a new response (after 100 Continue) starts over
    return line.size();
  }
  auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    auto name = lowercase(trim(line.substr(0, colon)));
    std::string value(trim(line.substr(colon + 1)));
    auto [it, inserted] = response.headers.emplace(name, value);
    if (!inserted) it->second += ", " + value;
  }
  return line.size();
}

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::string ClientResponse::header(std::string_view name) const {
  auto it = headers.find(lowercase(name));
  return it == headers.end() ? std::string() : it->second;
}

ClientResponse httpRequest(std::string_view method, const std::string& url, const std::vector<std::string>& headers,
                           std::string_view body, const ClientOptions& options) {
  initializeCurlOnce();
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (!curl) fail("cannot create a curl handle for {}", url);
  CURL* handle = curl.get();
  ClientResponse response;
  std::string methodText(method);

  curl_easy_setopt(handle, CURLOPT_URL, url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(options.connectTimeout.count()));
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, collectBody);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(handle, CURLOPT_HEADERFUNCTION, collectHeader);
  curl_easy_setopt(handle, CURLOPT_HEADERDATA, &response);

  bool sendsBody = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (method == "HEAD") {
    curl_easy_setopt(handle, CURLOPT_NOBODY, 1L);
  } else if (sendsBody) {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    if (method != "POST") curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, methodText.c_str());
  } else if (method != "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, methodText.c_str());
  }

  std::unique_ptr<curl_slist, SlistDeleter> headerList;
  auto addHeader = [&](const std::string& line) {
    headerList.reset(curl_slist_append(headerList.release(), line.c_str()));
  };
  bool hasContentType = false;
  for (const auto& line : headers) {
    addHeader(line);
    hasContentType = hasContentType || lowercase(line).starts_with("content-type:");
  }
  // With a body curl would otherwise claim a form ("application/x-www-form-urlencoded").
  if (sendsBody && !hasContentType) addHeader("Content-Type:");
  if (!options.bearerToken.empty()) addHeader("Authorization: Bearer " + options.bearerToken);
  if (headerList) curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headerList.get());

  if (!options.username.empty()) {
    curl_easy_setopt(handle, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(handle, CURLOPT_USERNAME, options.username.c_str());
    curl_easy_setopt(handle, CURLOPT_PASSWORD, options.password.c_str());
  }
  if (!options.caFile.empty()) curl_easy_setopt(handle, CURLOPT_CAINFO, options.caFile.c_str());
  if (!options.verifyTls) {
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 0L);
  }

  char errorBuffer[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, errorBuffer);
  CURLcode code = curl_easy_perform(handle);
  if (code != CURLE_OK) {
    fail("{} {} got no HTTP answer: {} ({})", method, url, errorBuffer[0] ? errorBuffer : curl_easy_strerror(code),
         static_cast<int>(code));
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  long version = 0;
  curl_easy_getinfo(handle, CURLINFO_HTTP_VERSION, &version);
  response.httpVersion = version == CURL_HTTP_VERSION_2_0 ? "2" : version == CURL_HTTP_VERSION_1_0 ? "1.0" : "1.1";
  return response;
}

AuthChallenge parseChallenge(std::string_view header) {
  AuthChallenge challenge;
  header = trim(header);
  auto space = header.find(' ');
  challenge.scheme = std::string(header.substr(0, space));
  if (space == std::string_view::npos) return challenge;
  std::string_view rest = header.substr(space + 1);
  while (!rest.empty()) {
    rest = trim(rest);
    auto equals = rest.find('=');
    if (equals == std::string_view::npos) break;
    auto key = lowercase(trim(rest.substr(0, equals)));
    rest.remove_prefix(equals + 1);
    std::string value;
    if (!rest.empty() && rest.front() == '"') {
      size_t i = 1;
      for (; i < rest.size() && rest[i] != '"'; ++i) {
        if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
        value += rest[i];
      }
      rest.remove_prefix(std::min(i + 1, rest.size()));
    } else {
      auto comma = rest.find(',');
      value = std::string(trim(rest.substr(0, comma)));
      rest.remove_prefix(comma == std::string_view::npos ? rest.size() : comma);
    }
    challenge.params[key] = value;
    rest = trim(rest);
    if (!rest.empty() && rest.front() == ',') rest.remove_prefix(1);
  }
  return challenge;
}

}  // namespace ferry::testing
