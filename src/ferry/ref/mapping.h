// The mapping grammar: one `SOURCE=DESTINATION` pair of image references a
// line, as `oc image mirror -f` reads it and oc-mirror writes mapping.txt.
// '#' starts a comment, blank lines are skipped, blanks around a reference are
// ignored, and the first '=' separates source from destination. `ferry copy -f`
// (cli/mapping.h) and a mirror run's mapping.txt (mirror/mapping_file.h) both
// read and write it through here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/ref/reference.h"

namespace ferry {

struct ImageMapping {
  ImageReference source;
  ImageReference destination;

  bool operator==(const ImageMapping&) const = default;
};

// Every pair, as written (no tag defaults filled in); an empty text is an empty
// list. Throws Error naming `fileName` and the line of the first bad entry.
std::vector<ImageMapping> parseImageMappings(std::string_view text, const std::string& fileName);

// The line for one pair (no newline), as parseImageMappings reads it back.
// Throws Error when a reference cannot be written so: a '#' or a line break in
// either, an '=' in the source, blanks at either end.
std::string imageMappingLine(const std::string& source, const std::string& destination);

}  // namespace ferry
