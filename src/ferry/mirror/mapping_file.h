// mapping.txt: the list of copies a mirror run makes, one `SOURCE=DESTINATION`
// pair a line, as oc-mirror v2 writes it in working-dir/dry-run/mapping.txt:
//
//   docker://quay.io/org/app@sha256:<hex>=docker://mirror:5000/ocp/org/app:sha256-<hex>
//   docker://quay.io/org/app:v1=docker://mirror:5000/ocp/org/app:v1
//
// Sources are written as they are pulled (by digest when they have one), with
// the docker:// prefix; layouts as oci:DIR[:TAG]. The grammar is ref/mapping.h's,
// so the same file is loadable by `ferry copy -f`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ferry/ref/mapping.h"

namespace ferry::mirror {

using MappingEntry = ImageMapping;

// One line without the newline. The source is written in its pull form (see
// pullReferenceFor). Throws Error when a reference cannot be written so that it
// reads back the same (a '#', '=' in the source, or a line break).
std::string mappingLine(const MappingEntry& entry);
// Every entry's line, each ending in '\n', in the order given.
std::string formatMappingTxt(const std::vector<MappingEntry>& entries);
void writeMappingTxt(const std::filesystem::path& path, const std::vector<MappingEntry>& entries);

// Reads pairs back exactly as written (no defaults are filled in). An empty
// file is an empty list. Throws Error naming the file and line of a bad entry.
std::vector<MappingEntry> parseMappingTxt(const std::string& text, const std::string& fileName);
std::vector<MappingEntry> readMappingTxt(const std::filesystem::path& path);

}  // namespace ferry::mirror
