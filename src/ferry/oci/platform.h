// Platforms (os/architecture/variant) and how they compare.
//
// Registries and build tools spell the same platform in several ways:
// "arm64" and "arm64/v8" are one platform, as are "arm" and "arm/v7",
// "amd64" and "x86_64". Comparison normalises those aliases first, as
// containerd's platform matcher does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry {

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
  std::string osVersion;
  std::vector<std::string> osFeatures;

  // "linux/amd64", "linux/arm/v7"; throws Error quoting the text when malformed.
  static Platform parse(std::string_view text);
  // "os/arch[/variant]".
  std::string str() const;
  // The canonical spelling of this platform (aliases resolved, default variants dropped).
  Platform normalized() const;
  // Same os, architecture and variant once normalised (osVersion is not compared).
  bool sameAs(const Platform& other) const;
  // A platform with an os and an architecture other than "unknown".
  bool isReal() const;
};

}  // namespace ferry
