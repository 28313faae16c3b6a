#include "support/gpg_key.h"

#include <nlohmann/json.hpp>

#include "ferry/base/error.h"

namespace ferry::testing {

GpgKey::GpgKey(const std::string& email) : email_(email) {
  auto made = gpg({"--batch", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-generate-key",
                   "ferry test <" + email + ">", "rsa2048", "sign", "0"});
  if (made.exitCode != 0) ferry::fail("gpg could not make a key: {}", made.err);
}

std::string GpgKey::sign(const std::string& digest, const std::string& reference) {
  nlohmann::json message = {{"critical", {{"identity", {{"docker-reference", reference}}},
                                          {"image", {{"docker-manifest-digest", digest}}},
                                          {"type", "atomic container signature"}}},
                            {"optional", {{"creator", "ferry test"}}}};
  auto signed_ = gpg({"--batch", "--local-user", email_, "--digest-algo", "SHA256", "--sign"}, message.dump());
  if (signed_.exitCode != 0) ferry::fail("gpg could not sign: {}", signed_.err);
  return signed_.out;
}

std::string GpgKey::armoredPublicKey() { return gpg({"--armor", "--export", email_}).out; }

CommandResult GpgKey::gpg(std::vector<std::string> args, const std::string& input) {
  args.insert(args.begin(), "gpg");
  return runCommand(args, input, EnvironmentChanges{{"GNUPGHOME", home_.path().string()}});
}

}  // namespace ferry::testing
