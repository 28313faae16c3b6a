// Loading a File-Based Catalog the way opm does.
//
// A catalog root is a directory walked in lexical order at any depth. Every
// file is parsed whatever its name, unless a `.indexignore` (gitignore
// patterns, scoped to its directory) excludes it. A file is a JSON stream
// (first non-blank byte `{`) or YAML documents separated by `---` lines.
// The keys `schema`, `package` and `name` are matched case-insensitively, as
// opm does. JSON is parsed with simdjson; YAML with yaml-cpp, converted to
// JSON text with go-yaml v2's scalar rules (timestamps stay strings).
//
// Errors name the file, the object (and line for YAML) and what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

// Input limits (docs/limits.md), each named in the error that enforces it.
// One catalog object (a JSON object, a YAML document): a bundle with large
// olm.bundle.object properties is a few MiB; a string is part of its object.
constexpr size_t kMaxCatalogObjectBytes = size_t{64} << 20;
// All catalog files under a root together (checked before any is read): the
// largest public catalogs are a few hundred MiB.
constexpr uint64_t kMaxCatalogBytes = uint64_t{2} << 30;

// Loads every catalog file under `root`. Throws ferry::Error.
Catalog loadCatalog(const std::filesystem::path& root);

// Adds the objects of one file's text to `catalog`; `fileName` is used in origins and errors.
void loadCatalogText(std::string_view text, const std::string& fileName, Catalog& catalog);

}  // namespace ferry::catalog
