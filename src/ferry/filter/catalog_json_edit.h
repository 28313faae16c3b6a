// Rewriting the JSON text of a catalog object the filter changed.
//
// A filtered channel loses entries, a package may get another default channel,
// a deprecation loses references. Their `json` (fbc.h) must say the same as
// their typed fields, so these functions take the original text and change
// only that one field: every other field, known or not, stays as it was, and
// kept entries keep their own JSON (unknown fields included). The result is
// compact JSON, like the loader's. An object built in code with no `json` gets
// one made from its typed fields.
#pragma once

#include <functional>
#include <set>
#include <string>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

// `channel`'s text with only the entries named in `kept`, in their order.
std::string channelWithEntries(const Channel& channel, const std::set<std::string>& kept);

// `package`'s text with `defaultChannel` set.
std::string packageWithDefaultChannel(const Package& package, const std::string& defaultChannel);

// `deprecation`'s text with only the entries whose reference (schema, name)
// `keep` accepts (name is empty for an olm.package reference).
std::string deprecationWithEntries(const Deprecation& deprecation,
                                   const std::function<bool(const std::string& schema, const std::string& name)>& keep);

}  // namespace ferry::catalog
