#include "ferry/registry/cert_dirs.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "ferry/base/error.h"
#include "ferry/base/files.h"

namespace ferry {
namespace {

TEST(CertDirs, AnExplicitFolderIsUsedInsteadOfCertsD) {
  TemporaryDirectory dir;
  std::filesystem::create_directories(dir.path() / "containers/quay.io");
  EXPECT_EQ(selectCertDirectory("/explicit", {dir.path() / "containers"}, "quay.io"), "/explicit");
}

TEST(CertDirs, TheFirstRootWithAFolderForTheHostWins) {
  TemporaryDirectory dir;
  auto containers = dir.path() / "containers";
  auto docker = dir.path() / "docker";
  std::filesystem::create_directories(containers / "quay.io");
  std::filesystem::create_directories(docker / "quay.io");
  std::filesystem::create_directories(docker / "127.0.0.1:5000");
  std::vector<std::filesystem::path> roots{dir.path() / "missing", containers, docker};
  EXPECT_EQ(selectCertDirectory("", roots, "quay.io"), containers / "quay.io");
  EXPECT_EQ(selectCertDirectory("", roots, "127.0.0.1:5000"), docker / "127.0.0.1:5000");
  EXPECT_EQ(selectCertDirectory("", roots, "127.0.0.1"), "") << "the port is part of the folder name";
  EXPECT_EQ(selectCertDirectory("", {}, "quay.io"), "");
}

TEST(CertDirs, RootsComeFromFerryCertsD) {
  unsetenv("FERRY_CERTS_D");
  std::string home = std::getenv("HOME") ? std::getenv("HOME") : "";
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(defaultCertsDirectoryRoots(),
            (std::vector<std::filesystem::path>{"/home/me/.config/containers/certs.d", "/etc/containers/certs.d",
                                                "/etc/docker/certs.d"}))
      << "the rootless user's folder first, as containers/image";
  unsetenv("HOME");
  EXPECT_EQ(defaultCertsDirectoryRoots(),
            (std::vector<std::filesystem::path>{"/etc/containers/certs.d", "/etc/docker/certs.d"}));
  if (!home.empty()) setenv("HOME", home.c_str(), 1);
  setenv("FERRY_CERTS_D", "/a::/b", 1);
  EXPECT_EQ(defaultCertsDirectoryRoots(), (std::vector<std::filesystem::path>{"/a", "/b"}));
  setenv("FERRY_CERTS_D", "", 1);
  EXPECT_TRUE(defaultCertsDirectoryRoots().empty()) << "set but empty turns certs.d off";
  unsetenv("FERRY_CERTS_D");
}

TEST(CertDirs, ReadsCasAndAClientCertificate) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "b.crt", "CA-B");
  writeFileAtomically(dir.path() / "a.crt", "CA-A");
  writeFileAtomically(dir.path() / "client.cert", "CERT");
  writeFileAtomically(dir.path() / "client.key", "KEY");
  writeFileAtomically(dir.path() / "README", "ignored");
  auto contents = readCertDirectory(dir.path());
  EXPECT_EQ(contents.caPem, "CA-A\nCA-B\n");
  EXPECT_EQ(contents.clientCertificate, dir.path() / "client.cert");
  EXPECT_EQ(contents.clientKey, dir.path() / "client.key");
}

TEST(CertDirs, IncompletePairsAndMissingFoldersAreErrors) {
  TemporaryDirectory dir;
  writeFileAtomically(dir.path() / "ca.cert", "a CA misnamed as a client certificate");
  EXPECT_THROW(readCertDirectory(dir.path()), Error);
  std::filesystem::remove(dir.path() / "ca.cert");
  writeFileAtomically(dir.path() / "lonely.key", "KEY");
  EXPECT_THROW(readCertDirectory(dir.path()), Error);
  EXPECT_THROW(readCertDirectory(dir.path() / "missing"), Error);
}

}  // namespace
}  // namespace ferry
