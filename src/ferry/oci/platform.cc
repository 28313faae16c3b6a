#include "ferry/oci/platform.h"

#include "ferry/base/error.h"
#include "ferry/base/strings.h"

namespace ferry {

Platform Platform::parse(std::string_view text) {
  Platform platform;
  auto parts = splitString(text, '/');
  if (parts.size() < 2 || parts.size() > 3)
    fail("invalid platform '{}': expected os/architecture[/variant], e.g. linux/arm64", text);
  for (const auto& part : parts)
    if (part.empty()) fail("invalid platform '{}': os, architecture and variant cannot be empty", text);
  platform.os = parts[0];
  platform.architecture = parts[1];
  if (parts.size() == 3) platform.variant = parts[2];
  return platform;
}

std::string Platform::str() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) out += "/" + variant;
  return out;
}

Platform Platform::normalized() const {
  Platform out = *this;
  if (out.os == "macos") out.os = "darwin";
  const std::string& arch = out.architecture;
  if (arch == "x86_64" || arch == "x86-64") {
    out.architecture = "amd64";
  } else if (arch == "aarch64") {
    out.architecture = "arm64";
  } else if (arch == "i386" || arch == "i686" || arch == "x86") {
    out.architecture = "386";
  } else if (arch == "armhf" || arch == "armel") {
    out.variant = arch == "armhf" ? "v7" : "v6";
    out.architecture = "arm";
  }
  if (out.architecture == "amd64" && out.variant == "v1") out.variant.clear();
  if (out.architecture == "arm64" && out.variant == "v8") out.variant.clear();
  if (out.architecture == "arm" && out.variant.empty()) out.variant = "v7";
  if (out.architecture == "arm" && (out.variant == "7" || out.variant == "8" || out.variant == "6" || out.variant == "5"))
    out.variant = "v" + out.variant;
  return out;
}

bool Platform::sameAs(const Platform& other) const {
  Platform a = normalized();
  Platform b = other.normalized();
  return a.os == b.os && a.architecture == b.architecture && a.variant == b.variant;
}

bool Platform::isReal() const {
  return !os.empty() && !architecture.empty() && os != "unknown" && architecture != "unknown";
}

}  // namespace ferry
