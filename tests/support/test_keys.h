// Keys and certificates for TLS and bearer-token registries, made with the
// openssl CLI once per process: RSA key generation takes a noticeable part of
// a second, and every TLS or token registry in a test run can share them.
#pragma once

#include <filesystem>

namespace ferry::testing {

struct HarnessKeys {
  std::filesystem::path caCert;      // self-signed CA: basicConstraints=critical,CA:TRUE
  std::filesystem::path serverCert;  // signed by caCert: SAN IP:127.0.0.1, IP:::1, DNS:localhost; EKU serverAuth
  std::filesystem::path serverKey;
  std::filesystem::path tokenCert;  // self-signed; the registry's auth.token rootcertbundle
  std::filesystem::path tokenKey;   // RSA, signs the RS256 bearer tokens
};

// Made on first use in a temporary directory removed at exit. Thread-safe.
// Copy what a registry needs into its own directory rather than pointing at these.
const HarnessKeys& harnessKeys();

}  // namespace ferry::testing
