// `.indexignore` files: which files under a catalog root are not catalog files.
//
// opm builds one matcher from every `.indexignore` anywhere under the root
// (github.com/joelanford/ignore on go-git's gitignore patterns). Each line is
// trimmed; blank lines and `#` comments are skipped; a pattern only applies
// inside the directory that holds its `.indexignore`. Patterns follow
// gitignore: `*` and `?` within one path element, `[a-z]` classes, `**` for
// any number of directories, a leading `/` anchors the pattern to its
// directory (as does any `/` inside it), a trailing `/` matches directories
// only, and `!` re-includes. The last pattern that matches a path decides.
// As in opm, a file is matched by its own path; a pattern that names a
// directory excludes everything below it, and a later `!` pattern can
// re-include a file there (go-git's rule, unlike git's).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ferry::catalog {

class IndexIgnore {
 public:
  // Adds the patterns of one `.indexignore`. `directory` is the directory
  // that holds it, relative to the root, split into elements (empty: the root).
  void addFile(const std::vector<std::string>& directory, std::string_view text);

  // True when the file at `path` (relative to the root, split into elements) is ignored.
  bool ignores(const std::vector<std::string>& path) const;

  bool empty() const { return patterns_.empty(); }

 private:
  struct Pattern {
    std::vector<std::string> directory;
    std::vector<std::string> elements;  // the pattern split on `/`
    bool include = false;               // `!pattern`
    bool directoryOnly = false;         // `pattern/`
    bool anchored = false;              // contains a `/`: matched from `directory` down
  };
  bool matches(const Pattern& pattern, const std::vector<std::string>& path, bool isDirectory) const;
  std::vector<Pattern> patterns_;
};

// Matches one path element against one glob element (`*`, `?`, `[...]`, `\`
// escapes), as Go's path/filepath.Match does. A malformed pattern matches nothing.
bool globMatches(std::string_view pattern, std::string_view name);

}  // namespace ferry::catalog
