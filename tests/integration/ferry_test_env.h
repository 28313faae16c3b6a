// Helpers shared by the integration tests: run the real ferry binary, build
// fixture layouts, and check what landed at a destination.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ferry/base/files.h"
#include "ferry/ref/reference.h"
#include "support/fixtures.h"
#include "support/process.h"
#include "support/test_registry.h"

namespace ferry::testing {

// Runs the ferry binary built with the tests.
inline CommandResult runFerry(std::vector<std::string> args) {
  args.insert(args.begin(), FERRY_BINARY);
  return runCommand(args);
}

// "docker://127.0.0.1:PORT/REPO:TAG"
inline std::string dockerRef(const TestRegistry& registry, const std::string& repository, const std::string& tag) {
  return "docker://" + registry.host() + "/" + repository + ":" + tag;
}

// Flags that let ferry reach `registry` as the given side ("src" or "dest").
inline std::vector<std::string> accessFlags(const TestRegistry& registry, const std::string& side) {
  std::vector<std::string> flags;
  if (registry.tls()) {
    flags.push_back("--" + side + "-cert-dir=" + registry.certDir().string());
  } else {
    flags.push_back(side == "src" ? "--source-use-http" : "--dest-use-http");
  }
  if (registry.needsCredentials())
    flags.push_back("--" + side + "-creds=" + registry.username() + ":" + registry.password());
  return flags;
}

// `args` with the flags that let ferry reach `source` (when given) and `destination` (when given).
inline std::vector<std::string> withFlags(std::vector<std::string> args, const TestRegistry* source,
                                          const TestRegistry* destination) {
  if (source)
    for (auto& flag : accessFlags(*source, "src")) args.push_back(flag);
  if (destination)
    for (auto& flag : accessFlags(*destination, "dest")) args.push_back(flag);
  return args;
}
inline std::vector<std::string> withFlags(std::vector<std::string> args, const TestRegistry& source,
                                          const TestRegistry* destination) {
  return withFlags(std::move(args), &source, destination);
}

// "docker://127.0.0.1:PORT/NS": a mirror's destination root.
inline std::string dockerRoot(const TestRegistry& registry, const std::string& ns = "mirror") {
  return "docker://" + registry.host() + "/" + ns;
}

// skopeo's flags for reading from `registry`.
inline std::vector<std::string> skopeoFlags(const TestRegistry& registry, const std::string& prefix) {
  std::vector<std::string> flags;
  if (registry.tls()) {
    flags.push_back("--" + prefix + "cert-dir=" + registry.certDir().string());
  } else {
    flags.push_back("--" + prefix + "tls-verify=false");
  }
  if (registry.needsCredentials()) flags.push_back("--" + prefix + "creds=" + registry.username() + ":" + registry.password());
  return flags;
}

// "docker://host/repo:tag" → the digest the registry holds there, read with skopeo.
inline std::string digestAt(const TestRegistry& registry, const ImageReference& reference) {
  std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
  for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
  argv.push_back(reference.str());
  return Digest::sha256Of(runChecked(argv)).str();
}

// How many times each blob's upload completed (PUT …/blobs/uploads/…?digest=…, answered 201:
// a PUT cut off by a kill mid-stream stored nothing), by digest.
inline std::map<std::string, int> uploadCounts(const std::vector<AccessLogEntry>& log) {
  std::map<std::string, int> counts;
  for (const auto& entry : log) {
    if (entry.method != "PUT" || entry.status != 201 || entry.target.find("/blobs/uploads/") == std::string::npos) continue;
    auto at = entry.target.find("digest=");
    if (at == std::string::npos) continue;
    auto value = entry.target.substr(at + 7);
    value = value.substr(0, value.find('&'));
    if (auto colon = value.find("%3A"); colon != std::string::npos) value.replace(colon, 3, ":");
    ++counts[value];
  }
  return counts;
}

// The digests of blobs whose upload completed.
inline std::set<std::string> uploadedDigests(const std::vector<AccessLogEntry>& log) {
  std::set<std::string> digests;
  for (const auto& [digest, count] : uploadCounts(log)) digests.insert(digest);
  return digests;
}

// `skopeo inspect --raw` of an image: the stored bytes as an independent client sees them.
inline std::string skopeoRaw(const TestRegistry& registry, const std::string& repository, const std::string& reference) {
  std::vector<std::string> argv{"skopeo", "inspect", "--raw"};
  for (auto& flag : skopeoFlags(registry, "")) argv.push_back(flag);
  std::string separator = reference.starts_with("sha256:") ? "@" : ":";
  argv.push_back("docker://" + registry.host() + "/" + repository + separator + reference);
  return runChecked(argv);
}

// Asserts that a layout holds every manifest and blob of `image`, byte-exact.
inline void expectLayoutHolds(const std::filesystem::path& layout, const FixtureImage& image,
                              const std::filesystem::path& sourceLayout) {
  for (const auto& digest : image.manifests) {
    auto path = layout / "blobs" / digest.blobPath();
    ASSERT_TRUE(std::filesystem::exists(path)) << "missing manifest " << digest.str();
    EXPECT_EQ(readFile(path), readBlob(sourceLayout, digest)) << digest.str();
  }
  for (const auto& digest : image.blobs) {
    auto path = layout / "blobs" / digest.blobPath();
    ASSERT_TRUE(std::filesystem::exists(path)) << "missing blob " << digest.str();
    EXPECT_TRUE(fileMatchesDigest(path, digest)) << digest.str();
  }
}

}  // namespace ferry::testing
