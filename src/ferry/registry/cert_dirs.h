// Where a registry's TLS material comes from, as containers/image (skopeo,
// podman) finds it:
//
//   * an explicit --src-cert-dir / --dest-cert-dir is used instead of anything else;
//   * otherwise the first ROOT/HOST[:PORT] folder that exists, over the certs.d
//     roots $HOME/.config/containers/certs.d, /etc/containers/certs.d, then
//     /etc/docker/certs.d (containers/image's order). Only that one
//     folder is read; folders are not merged. $FERRY_CERTS_D (ROOT[:ROOT...])
//     replaces the list of roots, for tests and unusual set-ups; set but empty,
//     it turns the lookup off.
//
// In the folder: every *.crt is a CA certificate trusted in addition to the
// system's; NAME.cert with NAME.key is a client certificate (mutual TLS). A
// .cert without its .key, or a .key without its .cert, is an error, as in
// containers/image, so a misnamed CA ("ca.cert") does not go unnoticed.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ferry {

// $FERRY_CERTS_D split at ':' when set, else $HOME/.config/containers/certs.d,
// /etc/containers/certs.d and /etc/docker/certs.d.
std::vector<std::filesystem::path> defaultCertsDirectoryRoots();

// The folder to read for the registry `hostPort` ("quay.io", "127.0.0.1:5000"):
// `explicitDirectory` when given, else the first ROOT/hostPort that exists; empty when none.
std::filesystem::path selectCertDirectory(const std::filesystem::path& explicitDirectory,
                                          const std::vector<std::filesystem::path>& roots,
                                          const std::string& hostPort);

struct CertDirectoryContents {
  std::string caPem;                        // every *.crt, concatenated
  std::filesystem::path clientCertificate;  // the first NAME.cert by name, or empty
  std::filesystem::path clientKey;          // its NAME.key
};

// Reads a cert folder. Throws Error naming the file when a pair is incomplete or
// a file cannot be read, and when the folder itself is missing.
CertDirectoryContents readCertDirectory(const std::filesystem::path& directory);

}  // namespace ferry
