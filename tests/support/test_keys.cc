#include "support/test_keys.h"

#include "ferry/base/files.h"
#include "support/process.h"

namespace ferry::testing {
namespace {

HarnessKeys makeKeys(const std::filesystem::path& dir) {
  HarnessKeys keys{dir / "ca.crt", dir / "server.crt", dir / "server.key", dir / "token.crt", dir / "token.key"};
  auto selfSigned = [](const std::filesystem::path& key, const std::filesystem::path& cert, const std::string& subject,
                       std::vector<std::string> extra) {
    std::vector<std::string> argv = {"openssl",    "req",  "-x509",       "-newkey", "rsa:2048", "-nodes", "-keyout",
                                     key.string(), "-out", cert.string(), "-days",   "3650",     "-subj",  subject};
    argv.insert(argv.end(), extra.begin(), extra.end());
    runChecked(argv);
  };
  selfSigned(dir / "ca.key", keys.caCert, "/CN=ferry test CA",
             {"-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"});

  auto csr = dir / "server.csr";
  auto extensions = dir / "server.ext";
  writeFileAtomically(extensions,
                      "basicConstraints=CA:FALSE\n"
                      "keyUsage=critical,digitalSignature,keyEncipherment\n"
                      "extendedKeyUsage=serverAuth\n"
                      "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n"
                      "subjectKeyIdentifier=hash\n"
                      "authorityKeyIdentifier=keyid\n");
  runChecked({"openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", keys.serverKey.string(), "-out",
              csr.string(), "-subj", "/CN=127.0.0.1"});
  runChecked({"openssl", "x509", "-req", "-in", csr.string(), "-CA", keys.caCert.string(), "-CAkey",
              (dir / "ca.key").string(), "-set_serial", "2", "-days", "3650", "-out", keys.serverCert.string(),
              "-extfile", extensions.string()});

  selfSigned(keys.tokenKey, keys.tokenCert, "/CN=harness-token-signer", {});
  return keys;
}

}  // namespace

const HarnessKeys& harnessKeys() {
  static TemporaryDirectory directory("ferry-test-keys");
  static const HarnessKeys keys = makeKeys(directory.path());
  return keys;
}

}  // namespace ferry::testing
