// Checks a catalog with opm's rules (`opm validate`): package names (DNS-1123
// labels), exactly one olm.package property per bundle and matching its
// package, strict semver versions, unique versions per package, every channel
// entry backed by a bundle and every bundle in a channel, exactly one head
// per channel, no replaces cycle, no stranded bundle, a default channel that
// exists and is not empty, valid skipRanges and deprecation references.
//
// Each problem is one line naming the package, channel and bundle and saying
// what is wrong; all problems are collected, not just the first.
#pragma once

#include <string>
#include <vector>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

std::vector<std::string> validationProblems(const Catalog& catalog);

// Throws ferry::Error listing every problem (prefixed with `what`, e.g. the catalog's name) if there are any.
void validateCatalog(const Catalog& catalog, const std::string& what);

}  // namespace ferry::catalog
