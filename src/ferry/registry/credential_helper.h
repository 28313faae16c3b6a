// The docker credential-helper protocol, as docker, podman and skopeo speak it:
//
//   echo SERVER | docker-credential-NAME get
//
// prints {"ServerURL": "...", "Username": "...", "Secret": "..."} and exits 0, or
// exits non-zero saying "credentials not found in native keychain" when it has
// nothing for SERVER. Username "<token>" means Secret is an identity token (an
// OAuth2 refresh token) rather than a password.
//
// This file only runs helpers and reads their answers; which helper to ask, and
// what an answer means for the lookup, is decided in credentials.cc.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace ferry {

struct HelperResult {
  enum class Outcome {
    Found,         // username and secret hold the answer
    NotFound,      // the helper has nothing for that server
    NotInstalled,  // docker-credential-NAME is not in PATH
    Failed,        // it could not run, exited non-zero, timed out, or printed something else than the JSON
  };
  Outcome outcome = Outcome::NotFound;
  // For Found, as the helper printed them. A username of "<token>" marks the
  // secret as an identity token (see isIdentityToken()).
  std::string username;
  std::string secret;
  // For Failed: what went wrong, with the helper's first line of output when it
  // exited non-zero. Never the output of a helper that exited 0 (it may hold a secret).
  std::string detail;

  bool isIdentityToken() const { return username == "<token>"; }
};

// Runs `docker-credential-<name> get` with `serverUrl` on its stdin.
HelperResult runCredentialHelper(const std::string& name, const std::string& serverUrl,
                                 std::chrono::seconds timeout = std::chrono::seconds(60));

// Reads what a helper printed when it exited 0. An answer without a secret
// counts as NotFound; output that is not the JSON object is Failed.
HelperResult parseHelperOutput(std::string_view output);

// True when a helper that exited non-zero said it simply has no credential.
bool helperSaysNotFound(std::string_view output);

}  // namespace ferry
