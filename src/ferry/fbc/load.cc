#include "ferry/fbc/load.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <thread>

#include "ferry/base/error.h"
#include "ferry/base/strings.h"
#include "ferry/fbc/indexignore.h"
#include "ferry/fbc/read_object.h"
#include "ferry/fbc/yaml_to_json.h"

namespace ferry::catalog {
namespace fs = std::filesystem;
namespace {

constexpr std::string_view kIndexIgnore = ".indexignore";

// ---- finding the files ------------------------------------------------------------------------

struct CatalogFile {
  fs::path path;                      // to open
  std::string name;                   // relative to the root, `/`-separated: for messages
  std::vector<std::string> elements;  // `name` split, for .indexignore matching
};

std::string joinElements(const std::vector<std::string>& elements) {
  std::string joined;
  for (const auto& element : elements) {
    if (!joined.empty()) joined += '/';
    joined += element;
  }
  return joined;
}

bool isInside(const fs::path& path, const fs::path& directory) {
  auto [directoryEnd, pathIt] = std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
  return directoryEnd == directory.end();
}

class Walker {
 public:
  explicit Walker(const fs::path& root) : canonicalRoot_(fs::canonical(root)) {}

  // Every file under the root, in opm's order (fs.WalkDir: names sorted byte-wise within each
  // directory, depth first), `.indexignore` files collected on the way.
  void walk(const fs::path& directory, std::vector<std::string>& elements) {
    std::vector<fs::directory_entry> entries;
    std::error_code error;
    for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
      entries.push_back(*it);
    }
    if (error) fail("cannot list catalog directory '{}': {}", directory.string(), error.message());
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
      return a.path().filename().native() < b.path().filename().native();
    });
    for (const auto& entry : entries) {
      elements.push_back(entry.path().filename().native());
      visit(entry, elements);
      elements.pop_back();
    }
  }

  std::vector<CatalogFile> files;
  IndexIgnore ignore;
  uint64_t totalBytes = 0;

 private:
  void visit(const fs::directory_entry& entry, std::vector<std::string>& elements) {
    std::string name = joinElements(elements);
    auto status = entry.symlink_status();
    if (fs::is_directory(status)) {
      walk(entry.path(), elements);
      return;
    }
    if (fs::is_symlink(status)) {
      std::error_code error;
      fs::path target = fs::canonical(entry.path(), error);
      if (error) fail("{}: the symbolic link cannot be followed: {}", name, error.message());
      if (!isInside(target, canonicalRoot_)) {
        fail("{}: the symbolic link points outside the catalog root (to '{}'); copy the file into the catalog instead",
             name, target.string());
      }
      if (fs::is_directory(target)) {
        fail("{}: the symbolic link points to a directory; only links to files are followed", name);
      }
      status = fs::status(target);
    }
    if (!fs::is_regular_file(status)) fail("{}: not a regular file; a catalog holds only files and directories", name);
    std::error_code sizeError;
    auto size = fs::file_size(entry.path(), sizeError);
    if (!sizeError) {
      totalBytes += size;
      if (totalBytes > kMaxCatalogBytes)
        fail("{}: the catalog's files add up to more than {}, ferry's limit for one catalog (see docs/limits.md)",
             name, limitText(kMaxCatalogBytes));
    }
    if (elements.back() == kIndexIgnore) {
      std::vector<std::string> directory(elements.begin(), elements.end() - 1);
      ignore.addFile(directory, readWhole(entry.path(), name));
      return;
    }
    files.push_back({entry.path(), std::move(name), elements});
  }

  static std::string readWhole(const fs::path& path, const std::string& name) {
    std::string text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail("{}: cannot read: {}", name, std::strerror(errno));
    char buffer[4096];
    for (;;) {
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int saved = errno;
        ::close(fd);
        fail("{}: cannot read: {}", name, std::strerror(saved));
      }
      if (n == 0) break;
      text.append(buffer, static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
  }

  fs::path canonicalRoot_;
};

// ---- parsing one file -------------------------------------------------------------------------

// A file's bytes followed by the zeroed padding simdjson reads past the end.
std::string readPadded(const fs::path& path, const std::string& name) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot read: {}", name, std::strerror(errno));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    int saved = errno;
    ::close(fd);
    fail("{}: cannot read: {}", name, std::strerror(saved));
  }
  std::string text;
  size_t size = static_cast<size_t>(info.st_size);
  text.reserve(size + simdjson::SIMDJSON_PADDING);
  text.resize(size);
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::read(fd, text.data() + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int saved = errno;
      ::close(fd);
      fail("{}: cannot read: {}", name, std::strerror(saved));
    }
    if (n == 0) break;  // the file shrank while we read it
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
}

size_t lineAt(std::string_view text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n'));
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Reusable buffers of one loading thread.
struct Scratch {
  simdjson::dom::parser parser;
  std::string minified;
};

// JSON files are parsed in batches of this size (smaller files in one); a file
// with a larger object is parsed again as one batch.
constexpr size_t kBatchSize = size_t{32} << 20;

void append(Catalog& into, Catalog&& from) {
  auto move = [](auto& to, auto& list) {
    if (to.empty()) {
      to = std::move(list);
      return;
    }
    to.insert(to.end(), std::make_move_iterator(list.begin()), std::make_move_iterator(list.end()));
  };
  move(into.packages, from.packages);
  move(into.channels, from.channels);
  move(into.bundles, from.bundles);
  move(into.deprecations, from.deprecations);
  move(into.others, from.others);
}

[[noreturn]] void failObjectTooLarge(const std::string& where) {
  fail("{}: the object is larger than {}, ferry's limit for one catalog object (see docs/limits.md)", where,
       limitText(kMaxCatalogObjectBytes));
}

// `text` must be readable for SIMDJSON_PADDING bytes past its end.
void loadJsonStream(std::string_view text, const std::string& fileName, Catalog& catalog, Scratch& scratch) {
  size_t batchSize = std::max(std::min(text.size(), kBatchSize), size_t{4096});
  for (;;) {
    Catalog part;
    simdjson::dom::document_stream stream;
    auto error = scratch.parser.parse_many(text.data(), text.size(), batchSize).get(stream);
    if (error) fail("{}: cannot parse JSON: {}", fileName, simdjson::error_message(error));
    size_t index = 0;
    bool retry = false;
    for (auto it = stream.begin(); it != stream.end(); ++it) {
      ++index;
      simdjson::dom::element object;
      error = (*it).get(object);
      if (error == simdjson::CAPACITY) {  // an object larger than a batch
        size_t largest = std::min(text.size(), kMaxCatalogObjectBytes);
        if (batchSize < largest) {
          batchSize = largest;
          retry = true;
          break;
        }
        failObjectTooLarge(fmt::format("{}, object {} (from line {})", fileName, index, lineAt(text, it.current_index())));
      }
      if (error) {
        fail("{}: invalid JSON in object {} (from line {}): {}", fileName, index, lineAt(text, it.current_index()),
             simdjson::error_message(error));
      }
      std::string_view source = it.source();
      if (source.size() > kMaxCatalogObjectBytes) failObjectTooLarge(fmt::format("{}, object {}", fileName, index));
      if (scratch.minified.size() < source.size() + simdjson::SIMDJSON_PADDING) {
        scratch.minified.resize(source.size() + simdjson::SIMDJSON_PADDING);
      }
      size_t length = 0;
      error = simdjson::minify(source.data(), source.size(), scratch.minified.data(), length);
      if (error) fail("{}: invalid JSON in object {}: {}", fileName, index, simdjson::error_message(error));
      addCatalogObject(object, std::string(scratch.minified.data(), length), fmt::format("{}, object {}", fileName, index),
                       part);
    }
    if (retry) continue;
    if (stream.truncated_bytes() > 0) {
      size_t start = text.size() - stream.truncated_bytes();
      fail("{}: the file ends inside a JSON object (line {}): the file is truncated or not JSON", fileName,
           lineAt(text, start));
    }
    append(catalog, std::move(part));
    return;
  }
}

void loadYamlDocuments(std::string_view text, const std::string& fileName, Catalog& catalog, Scratch& scratch) {
  size_t index = 0;
  for (const auto& document : splitYamlDocuments(text, fileName)) {
    ++index;
    std::string origin = fmt::format("{}, document {} (line {})", fileName, index, document.firstLine);
    if (document.text.size() > kMaxCatalogObjectBytes) failObjectTooLarge(origin);
    auto json = yamlDocumentToJson(document, origin);
    if (!json) continue;
    if (json->size() > kMaxCatalogObjectBytes) failObjectTooLarge(origin);  // aliases can expand a document
    simdjson::dom::element object;
    auto error = scratch.parser.parse(*json).get(object);
    if (error) fail("{}: converting to JSON failed: {}", origin, simdjson::error_message(error));
    addCatalogObject(object, std::move(*json), std::move(origin), catalog);
  }
}

// `text` must be readable for SIMDJSON_PADDING bytes past its end.
void loadPaddedText(std::string_view text, const std::string& fileName, Catalog& catalog, Scratch& scratch) {
  auto first = std::find_if_not(text.begin(), text.end(), isSpace);
  try {
    if (first != text.end() && *first == '{') {
      loadJsonStream(text, fileName, catalog, scratch);
    } else {
      loadYamlDocuments(text, fileName, catalog, scratch);
    }
  } catch (const Error& error) {
    // A README or Dockerfile inside the catalog is read as YAML and fails; say how to keep it.
    auto extension = fs::path(fileName).extension().string();
    if (extension == ".json" || extension == ".yaml" || extension == ".yml") throw;
    throw Error(fmt::format("{} (opm reads every file under a catalog root; if '{}' is not part of the catalog, "
                            "list it in a .indexignore file)",
                            error.what(), fileName));
  }
}

}  // namespace

void loadCatalogText(std::string_view text, const std::string& fileName, Catalog& catalog) {
  simdjson::padded_string padded(text.data(), text.size());
  Scratch scratch;
  loadPaddedText(std::string_view(padded.data(), padded.size()), fileName, catalog, scratch);
}

Catalog loadCatalog(const fs::path& root) {
  std::error_code error;
  auto status = fs::status(root, error);
  if (error || !fs::exists(status)) fail("cannot load catalog '{}': no such directory", root.string());
  if (!fs::is_directory(status)) fail("cannot load catalog '{}': not a directory", root.string());

  Walker walker(root);
  std::vector<std::string> elements;
  walker.walk(root, elements);
  std::vector<CatalogFile> files;
  for (auto& file : walker.files) {
    if (!walker.ignore.ignores(file.elements)) files.push_back(std::move(file));
  }

  // Files are parsed by a few threads; the parts are joined in walk order, so
  // the result (and the first error reported) does not depend on timing.
  struct Part {
    Catalog catalog;
    std::exception_ptr error;
  };
  std::vector<Part> parts(files.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> firstFailure{files.size()};
  auto work = [&] {
    Scratch scratch;
    for (size_t i = next++; i < files.size(); i = next++) {
      if (i > firstFailure.load()) break;
      try {
        std::string text = readPadded(files[i].path, files[i].name);
        loadPaddedText(text, files[i].name, parts[i].catalog, scratch);
      } catch (...) {
        parts[i].error = std::current_exception();
        size_t seen = firstFailure.load();
        while (i < seen && !firstFailure.compare_exchange_weak(seen, i)) {
        }
      }
    }
  };
  size_t threads = std::min<size_t>({std::max(1u, std::thread::hardware_concurrency()), 4, files.size()});
  std::vector<std::thread> workers;
  for (size_t t = 1; t < threads; ++t) workers.emplace_back(work);
  work();
  for (auto& worker : workers) worker.join();

  Catalog catalog;
  for (auto& part : parts) {
    if (part.error) std::rethrow_exception(part.error);
    append(catalog, std::move(part.catalog));
  }
  return catalog;
}

}  // namespace ferry::catalog
