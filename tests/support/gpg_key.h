// A throw-away RSA signing key in a GNUPGHOME of its own, for the release
// signature and signedBy policy tests: it signs "atomic container signature"
// documents as the release signature store and lookaside servers hold them.
#pragma once

#include <string>
#include <vector>

#include "ferry/base/files.h"
#include "support/process.h"

namespace ferry::testing {

class GpgKey {
 public:
  explicit GpgKey(const std::string& email);
  // An atomic container signature of `digest` for `reference`.
  std::string sign(const std::string& digest, const std::string& reference);
  std::string armoredPublicKey();

 private:
  CommandResult gpg(std::vector<std::string> args, const std::string& input = "");
  TemporaryDirectory home_{"ferry-gpg"};
  std::string email_;
};

}  // namespace ferry::testing
