// OpenPGP signatures checked with Debian's gpgv, for every caller that verifies
// GPG "atomic container signatures": release signatures (release/signature.h)
// and policy.json's signedBy (policy/policy.h).
//
//   gpgv --homedir TMP --keyring KEYRING.gpg --status-fd 1 --output MESSAGE SIGNATURE
//
// Only exit 0 with a VALIDSIG status line counts (gpgv writes --output even for
// a bad signature); EXPSIG / EXPKEYSIG mean expired. gpgv reads binary keyrings
// only, so an armored key is dearmored first. gpgv is killed after 60 s.
#pragma once

#include <string>

namespace ferry {

// Keyrings larger than this are refused (docs/limits.md).
inline constexpr size_t kMaxKeyringBytes = 16 << 20;

// The binary OpenPGP packets of `text`: an armored block ("-----BEGIN PGP
// PUBLIC KEY BLOCK-----", one or several) decoded, binary bytes as they are.
// Throws Error (InvalidInput) naming `what` when an armored block is not base64
// or nothing is left.
std::string binaryKeyring(const std::string& text, const std::string& what);

struct GpgvVerified {
  std::string message;      // the signed message's literal data
  std::string fingerprint;  // of the key that signed it (VALIDSIG)
};

// Verifies the OpenPGP signed message `signature` against `keyring` (binary
// packets, see binaryKeyring). Throws Error of kind Integrity starting with
// `where` when the signature is bad, expired, or by a key not in the keyring
// (named `keyringName` in the message), and of kind Unsupported when gpgv cannot
// be run (the message ends with `missingHint`, what to do without gpgv).
GpgvVerified gpgvVerify(const std::string& signature, const std::string& keyring, const std::string& where,
                        const std::string& keyringName, const std::string& missingHint);

}  // namespace ferry
