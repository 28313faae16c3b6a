#include "ferry/release/naming.h"

#include "ferry/base/error.h"

namespace ferry::release {

std::string payloadArchName(const std::string& arch) {
  if (arch == "amd64") return "x86_64";
  if (arch == "arm64") return "aarch64";
  return arch;
}

std::string releaseTag(const std::string& version, const std::string& arch, bool okd) {
  return okd ? version : version + "-" + payloadArchName(arch);
}

std::string componentTag(const std::string& releaseTag, const std::string& component) {
  auto tag = releaseTag + "-" + component;
  bool valid = !tag.empty() && tag.size() <= 128 && tag.front() != '.' && tag.front() != '-';
  for (char c : tag)
    valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                      c == '.' || c == '-');
  if (!valid)
    fail(ErrorKind::InvalidInput,
         "release component '{}' would be tagged '{}', which is not a valid tag (at most 128 characters of "
         "A-Z a-z 0-9 _ . -)",
         component, tag);
  return tag;
}

}  // namespace ferry::release
