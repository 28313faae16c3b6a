#include "ferry/mirror/delete.h"

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>

#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/config/image_set_config.h"
#include "ferry/config/yaml_fields.h"
#include "ferry/copy/attachments.h"
#include "ferry/fbc/semver.h"
#include "ferry/mirror/naming.h"
#include "ferry/mirror/run_record.h"
#include "ferry/oci/media_types.h"
#include "ferry/release/naming.h"
#include "ferry/transport/capabilities.h"

namespace ferry::mirror {

const char* const kGarbageCollectionNote =
    "only manifests and tags were deleted; their blobs stay until the registry's garbage collection runs: "
    "for distribution (docker-registry), stop it or make it read-only, then run `registry garbage-collect "
    "--delete-untagged /etc/docker/registry/config.yml` (docker-registry garbage-collect on Debian)";

namespace {

constexpr std::string_view kApiVersion = "mirror.openshift.io/v2alpha1";
constexpr std::string_view kListKind = "DeleteImageList";

const std::set<std::string, std::less<>> kTypes = {
    "ocpRelease",     "ocpReleaseContent",    "cincinnatiGraph", "operatorCatalog",
    "operatorBundle", "operatorRelatedImage", "generic",         "helmImage",
};

const char* typeOf(ImageKind kind) {
  switch (kind) {
    case ImageKind::Release: return "ocpRelease";
    case ImageKind::ReleaseComponent: return "ocpReleaseContent";
    case ImageKind::Catalog: return "operatorCatalog";
    case ImageKind::Bundle: return "operatorBundle";
    case ImageKind::RelatedImage: return "operatorRelatedImage";
    case ImageKind::Additional: return "generic";
    case ImageKind::HelmChart:
    case ImageKind::HelmImage: return "helmImage";
  }
  return "generic";
}

YamlLimits listLimits() {
  auto limits = configurationYamlLimits("a DeleteImageList");
  limits.maxBytes = 256 << 20;
  limits.maxNodes = kMaxDeleteItems * 8 + 64;
  return limits;
}

// The same reference text, however it was written ("quay.io/a/b:v1" and "docker://quay.io/a/b:v1").
std::string normalized(const std::string& text) {
  try {
    return ImageReference::parse(text).str();
  } catch (const Error&) {
    return text;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// The DeleteImageList file.

std::string deleteListToYaml(const DeleteImageList& list) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "apiVersion" << YAML::Value << std::string(kApiVersion) << YAML::Key
      << "kind" << YAML::Value << std::string(kListKind) << YAML::Key << "items" << YAML::Value;
  if (list.items.empty()) {
    out << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
  } else {
    out << YAML::BeginSeq;
    for (const auto& item : list.items)
      out << YAML::BeginMap << YAML::Key << "imageName" << YAML::Value << item.imageName << YAML::Key
          << "imageReference" << YAML::Value << item.imageReference << YAML::Key << "type" << YAML::Value
          << item.type << YAML::EndMap;
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

DeleteImageList loadDeleteImageListText(std::string_view text, const std::string& fileName) {
  using config::FieldReader;
  using config::FieldSpec;
  config::ErrorList errors(fileName);
  std::vector<YAML::Node> documents;
  try {
    documents = loadYamlDocuments(text, fileName, listLimits());
  } catch (const YAML::Exception& e) {
    fail(ErrorKind::InvalidInput, "{}:{}:{}: invalid YAML: {}; fix the syntax at that position", fileName,
         e.mark.line + 1, e.mark.column + 1, e.msg);
  }
  if (documents.size() != 1 || !documents[0].IsMap())
    fail(ErrorKind::InvalidInput,
         "{}: expected one mapping with apiVersion: {}, kind: {} and items:, as ferry delete --generate writes it",
         fileName, kApiVersion, kListKind);
  const auto& root = documents[0];
  static const std::vector<FieldSpec> kRoot = {{"apiVersion"}, {"kind"}, {"items"}};
  static const std::vector<FieldSpec> kItem = {{"imageName"}, {"imageReference"}, {"type"}};
  FieldReader reader(root, "", config::SourceLocation{fileName, 1, 1}, config::ApiVersion::V2Alpha1, kRoot, errors);
  auto apiVersion = reader.requiredString("apiVersion", kApiVersion);
  if (!apiVersion.empty() && apiVersion != kApiVersion)
    errors.add(reader.at("apiVersion"), "apiVersion", fmt::format("\"{}\" is not accepted", apiVersion),
               fmt::format("use apiVersion: {}", kApiVersion));
  auto kind = reader.requiredString("kind", kListKind);
  if (!kind.empty() && kind != kListKind)
    errors.add(reader.at("kind"), "kind", fmt::format("\"{}\" is not accepted", kind),
               fmt::format("use kind: {} (a file written by ferry delete --generate or oc-mirror delete --generate)",
                           kListKind));
  DeleteImageList list;
  if (reader.has("items") && !reader.value("items").IsSequence())
    errors.add(reader.at("items"), "items", "expected a list of {imageName, imageReference, type}",
               "write each item as - imageName: …");
  if (reader.has("items") && reader.value("items").size() > kMaxDeleteItems)
    fail(ErrorKind::Limit, "{}: items: more than {} items, the most ferry deletes from one list (docs/limits.md); "
         "split the list", fileName, kMaxDeleteItems);
  std::set<std::string> seen;
  reader.forEach("items", [&](const YAML::Node& node, const std::string& path, const config::SourceLocation& at) {
    FieldReader item(node, path, at, config::ApiVersion::V2Alpha1, kItem, errors);
    if (!item.valid()) return;
    DeleteItem entry;
    entry.line = at.line;
    entry.imageName = item.requiredString("imageName", "quay.io/org/app@sha256:…");
    entry.imageReference = item.requiredString("imageReference", "docker://registry.example:5000/org/app:v1");
    entry.type = item.requiredString("type", "generic");
    if (!entry.type.empty() && !kTypes.count(entry.type))
      errors.add(item.at("type"), item.path("type"), fmt::format("\"{}\" is not a delete item type", entry.type),
                 fmt::format("use one of {}", fmt::join(kTypes, ", ")));
    if (!entry.imageReference.empty()) {
      if (!entry.imageReference.starts_with("docker://")) {
        errors.add(item.at("imageReference"), item.path("imageReference"),
                   fmt::format("\"{}\" is not a registry reference", entry.imageReference),
                   "write docker://HOST[:PORT]/PATH:TAG (or @sha256:DIGEST)");
      } else {
        try {
          auto parsed = ImageReference::parse(entry.imageReference);
          if (!parsed.tag && !parsed.digest)
            errors.add(item.at("imageReference"), item.path("imageReference"),
                       fmt::format("\"{}\" has no tag or digest", entry.imageReference),
                       "name the image deleted by its tag or digest");
        } catch (const Error& e) {
          errors.add(item.at("imageReference"), item.path("imageReference"), e.what(),
                     "write docker://HOST[:PORT]/PATH:TAG (or @sha256:DIGEST)");
        }
      }
    }
    if (!entry.imageReference.empty() && !seen.insert(entry.imageReference).second) return;  // listed twice: once
    list.items.push_back(std::move(entry));
  });
  errors.throwIfAny();
  return list;
}

DeleteImageList loadDeleteImageList(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file))
    fail(ErrorKind::NotFound, "{}: no such file; give the list ferry delete --generate wrote "
         "(DIR/working-dir/delete/delete-images.yaml)", file.string());
  return loadDeleteImageListText(readYamlFile(file, listLimits()), file.string());
}

// ---------------------------------------------------------------------------
// Step 1: the list, from the workspace's records.

namespace {

// What a DeleteImageSetConfiguration names, asked of one recorded image.
class Selection {
 public:
  explicit Selection(const config::ImageSetConfig& config) : config_(config) {
    for (const auto& image : config.mirror.additionalImages) additional_.insert(image.ref.str());
  }

  bool selects(const RecordedImage& image) {
    switch (image.kind) {
      case ImageKind::Additional: return additional_.count(normalized(image.source)) > 0;
      case ImageKind::Catalog: {
        auto* entry = catalogEntry(image.catalog);
        return entry && entry->selection.packages.empty();
      }
      case ImageKind::Bundle:
      case ImageKind::RelatedImage:
        if (image.owners.empty()) return false;
        for (const auto& owner : image.owners)
          if (!packageSelected(owner)) return false;
        return true;
      case ImageKind::Release: return releaseSelected(image);
      case ImageKind::ReleaseComponent: return componentSelected(image);
      case ImageKind::HelmChart: return image.foundIn.size() >= 2 && chartSelected(image.foundIn[0], image.foundIn[1]);
      case ImageKind::HelmImage: {
        if (image.foundIn.empty()) return false;
        for (const auto& where : image.foundIn) {
          // "chart NAME VERSION: where"
          if (!where.starts_with("chart ")) return false;
          auto colon = where.find(": ");
          auto words = where.substr(6, colon == std::string::npos ? std::string::npos : colon - 6);
          auto space = words.find(' ');
          if (space == std::string::npos || !chartSelected(words.substr(0, space), words.substr(space + 1)))
            return false;
        }
        return true;
      }
    }
    return false;
  }

  // Release payloads selected so far, by release tag (components follow their payload).
  void noteReleases(const std::vector<RecordedRun>& runs) {
    for (const auto& run : runs)
      for (const auto& image : run.images)
        if (image.kind == ImageKind::Release && releaseSelected(image))
          if (auto tag = ImageReference::parse(image.destination).tag) releaseTags_.insert(*tag);
  }

 private:
  const config::OperatorCatalog* catalogEntry(const std::string& catalog) const {
    for (const auto& entry : config_.mirror.operators)
      if (normalized(entry.catalog) == normalized(catalog)) return &entry;
    return nullptr;
  }

  bool packageSelected(const RecordedOwner& owner) const {
    auto* entry = catalogEntry(owner.catalog);
    if (!entry) return false;
    if (entry->selection.packages.empty()) return true;
    for (const auto& package : entry->selection.packages)
      if (package.name == owner.package) return true;
    return false;
  }

  bool releaseSelected(const RecordedImage& image) const {
    const auto& platform = config_.mirror.platform;
    if (!platform) return false;
    ImageReference recorded;
    try {
      recorded = ImageReference::parse(image.destination);
    } catch (const Error&) {
      return false;
    }
    std::string tag = recorded.tag.value_or("");
    if (!platform->release.empty()) {
      auto wanted = ImageReference::parse(platform->release);
      if (wanted.digest) return image.digest == wanted.digest->str() || normalized(image.origin) == wanted.str();
      return wanted.tag && *wanted.tag == tag;
    }
    if (platform->channels.empty()) return false;
    // "<version>-<arch>" (OCP) or "<version>" (OKD).
    std::vector<std::string> arches = platform->architectures;
    if (arches.empty()) arches = {"amd64"};
    for (const auto& channel : platform->channels) {
      for (const auto& arch : arches) {
        std::string version = tag;
        if (channel.type == config::ReleaseType::Ocp) {
          auto suffix = "-" + release::payloadArchName(arch);
          if (!tag.ends_with(suffix)) continue;
          version = tag.substr(0, tag.size() - suffix.size());
        }
        auto parsed = catalog::Version::tryParse(version);
        if (!parsed) continue;
        auto min = catalog::Version::tryParse(channel.minVersion);
        auto max = catalog::Version::tryParse(channel.maxVersion);
        if (min && *parsed < *min) continue;
        if (max && *parsed > *max) continue;
        return true;
      }
    }
    return false;
  }

  bool componentSelected(const RecordedImage& image) const {
    std::string tag;
    try {
      tag = ImageReference::parse(image.destination).tag.value_or("");
    } catch (const Error&) {
      return false;
    }
    for (const auto& release : releaseTags_)
      if (tag.starts_with(release + "-")) return true;
    return false;
  }

  bool chartSelected(const std::string& name, const std::string& version) const {
    const auto& helm = config_.mirror.helm;
    if (!helm) return false;
    auto matches = [&](const config::HelmChart& chart) {
      return chart.name == name && (chart.version.empty() || chart.version == version);
    };
    for (const auto& repository : helm->repositories)
      for (const auto& chart : repository.charts)
        if (matches(chart)) return true;
    for (const auto& chart : helm->local)
      if (matches(chart)) return true;
    return false;
  }

  const config::ImageSetConfig& config_;
  std::set<std::string> additional_;
  std::set<std::string> releaseTags_;
};

std::string describeRecorded(const RecordedImage& image) {
  std::string what = kindName(image.kind);
  if (!image.owners.empty()) what += fmt::format(" of {} in {}", image.owners.front().package, image.owners.front().catalog);
  else if (!image.catalog.empty()) what += " " + image.catalog;
  else what += " " + image.source;
  return what;
}

}  // namespace

GenerateReport generateDeleteList(const GenerateOptions& options) {
  if (options.workspace.empty())
    fail(ErrorKind::InvalidInput, "ferry delete --generate needs --workspace file://DIR: the workspace of the "
         "mirror runs whose images are to be deleted");
  if (options.configFile.empty())
    fail(ErrorKind::InvalidInput, "ferry delete --generate needs -c FILE, a DeleteImageSetConfiguration");
  auto config = config::loadDeleteImageSetConfig(options.configFile);
  auto root = DestinationRoot::parse(options.destination);
  Workspace workspace{.root = options.workspace / "working-dir"};
  GenerateReport report;
  for (const auto& warning : config.warnings) report.warnings.push_back(warning);

  std::vector<RecordedRun> runs;
  size_t elsewhere = 0;
  for (auto& run : loadRecordedRuns(workspace)) {
    std::string runRoot;
    try {
      runRoot = DestinationRoot::parse(run.destination).str();
    } catch (const Error&) {
    }
    if (runRoot == root.str()) runs.push_back(std::move(run));
    else ++elsewhere;
  }
  if (runs.empty())
    fail(ErrorKind::NotFound,
         "{}: no ferry mirror run into {} is recorded there{}; generate the list from the workspace of the "
         "mirror-to-mirror or disk-to-mirror runs that filled it (--workspace of those runs)",
         recordsDirectory(workspace).string(), root.str(),
         elsewhere ? fmt::format(" ({} run(s) into other destinations are)", elsewhere) : std::string());

  Selection selection(config);
  selection.noteReleases(runs);
  // What stays in use: the latest run of each configuration, unless the DeleteImageSetConfiguration names every
  // image it mirrored (then that configuration is being retired); and any recorded image it does not name.
  std::map<std::string, const RecordedRun*> latest;  // configuration → its newest run (runs are oldest first)
  for (const auto& run : runs) latest[run.configuration.empty() ? "run " + run.runId : run.configuration] = &run;
  std::set<const RecordedRun*> standing;
  for (const auto& [configuration, run] : latest)
    for (const auto& image : run->images)
      if (!selection.selects(image)) {
        standing.insert(run);
        break;
      }
  // Destination → why it stays (the first reason found).
  std::map<std::string, std::string> keptBy;
  std::map<std::string, const RecordedImage*> selected;
  for (const auto& run : runs)
    for (const auto& image : run.images) {
      auto destination = normalized(image.destination);
      if (!selection.selects(image)) {
        keptBy.emplace(destination, fmt::format("it is also mirrored as {}, which {} does not name",
                                                describeRecorded(image), options.configFile.string()));
        continue;
      }
      selected.emplace(destination, &image);
      if (standing.count(&run))
        keptBy.emplace(destination,
                       fmt::format("the latest run of {} (run {}) mirrored it and still mirrors what {} does not name; "
                                   "mirror {} without it first, then generate the list again",
                                   run.configuration, run.runId, options.configFile.string(), run.configuration));
    }
  for (const auto& [destination, image] : selected) {
    if (auto kept = keptBy.find(destination); kept != keptBy.end()) {
      report.kept.push_back(fmt::format("{} ({}) stays: {}", destination, describeRecorded(*image), kept->second));
      continue;
    }
    auto origin = image->origin.starts_with("docker://") ? image->origin.substr(9) : image->origin;
    report.list.items.push_back({.imageName = origin, .imageReference = destination, .type = typeOf(image->kind)});
  }
  std::sort(report.list.items.begin(), report.list.items.end(),
            [](const DeleteItem& a, const DeleteItem& b) { return a.imageReference < b.imageReference; });
  if (report.list.items.empty())
    report.warnings.push_back(fmt::format("{} names no image that the {} recorded run(s) into {} mirrored and that "
                                          "nothing else keeps: the list is empty",
                                          options.configFile.string(), runs.size(), root.str()));

  auto directory = workspace.root / "delete";
  std::filesystem::create_directories(directory);
  auto suffix = options.deleteId.empty() ? std::string() : "-" + options.deleteId;
  report.listFile = directory / ("delete-images" + suffix + ".yaml");
  report.configCopy = directory / ("delete-imageset-config" + suffix + ".yaml");
  writeFileAtomically(report.listFile, deleteListToYaml(report.list));
  writeFileAtomically(report.configCopy, readFile(options.configFile));
  return report;
}

// ---------------------------------------------------------------------------
// Step 2: deleting.

namespace {

// One repository of the registry, as the capabilities delete needs.
struct Repository {
  std::string name;  // "docker://reg/repo"
  std::shared_ptr<ImageSink> sink;
  std::shared_ptr<ImageSource> source;
  std::shared_ptr<TagLister> tags;
  std::shared_ptr<ManifestDeleter> deleter;
  std::shared_ptr<ReferrerLister> referrers;
};

struct Action {
  Digest digest;
  std::vector<std::string> tags;  // the tags it carries now (they go with it)
  std::string why;                // "item docker://…", "child of …", "signature of …"
};

class RepositoryDelete {
 public:
  RepositoryDelete(Repository repository, const DeleteOptions& options, DeleteReport& report)
      : repo_(std::move(repository)), options_(options), report_(report) {}

  // `items`: (the item's reference, the item) for this repository.
  void run(const std::vector<std::pair<ImageReference, const DeleteItem*>>& items);

 private:
  std::optional<Manifest> manifest(const Digest& digest) {
    if (auto it = manifests_.find(digest.str()); it != manifests_.end()) return it->second;
    std::optional<Manifest> parsed;
    try {
      auto raw = repo_.source->getManifest(digest.str());
      parsed = Manifest::parse(raw.bytes, raw.mediaType);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
    }
    manifests_.emplace(digest.str(), parsed);
    return parsed;
  }
  // `digest` and every manifest an index under it lists, each with who brought it in.
  void closure(const Digest& digest, const std::string& why, std::map<std::string, std::string>& into, int depth = 0) {
    if (!into.emplace(digest.str(), why).second || depth > 8) return;
    auto parsed = manifest(digest);
    if (!parsed || !parsed->isIndex) return;
    for (const auto& child : parsed->manifests)
      closure(child.digest, fmt::format("a child of {}@{}", repo_.name, digest.str()), into, depth + 1);
  }
  std::string tagsOf(const std::string& digest) const {
    std::vector<std::string> tags;
    for (const auto& [tag, named] : tagDigests_)
      if (named == digest) tags.push_back(tag);
    return tags.empty() ? std::string("no tag") : fmt::format("tags {}", fmt::join(tags, ", "));
  }
  void deleteDigest(const Digest& digest, const std::string& why);
  void untag(const std::string& tag, const std::string& why);

  Repository repo_;
  const DeleteOptions& options_;
  DeleteReport& report_;
  std::map<std::string, std::optional<Manifest>> manifests_;
  std::map<std::string, std::string> tagDigests_;  // tag → digest, as listed at the start
  std::set<std::string> deletedDigests_;
};

void RepositoryDelete::run(const std::vector<std::pair<ImageReference, const DeleteItem*>>& items) {
  std::vector<std::string> tags;
  try {
    tags = repo_.tags->listTags();
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::NotFound) throw;
  }
  for (const auto& tag : tags)
    if (auto digest = repo_.sink->manifestDigest(tag)) tagDigests_[tag] = digest->str();

  // What the items name, and what lies under them.
  std::set<std::string> itemTags;
  std::map<std::string, std::string> doomed;  // digest → why
  std::vector<std::pair<std::string, std::string>> itemDigests;  // (digest, item reference)
  for (const auto& [reference, item] : items) {
    std::optional<std::string> digest;
    if (reference.tag) {
      itemTags.insert(*reference.tag);
      if (auto it = tagDigests_.find(*reference.tag); it != tagDigests_.end()) digest = it->second;
    }
    if (!digest && reference.digest && manifest(*reference.digest)) digest = reference.digest->str();
    if (!digest) {
      report_.gone.push_back(fmt::format("{}: not at the registry (deleted already?)", item->imageReference));
      continue;
    }
    itemDigests.emplace_back(*digest, item->imageReference);
    closure(Digest::parse(*digest), fmt::format("{} ({})", item->imageReference, item->type), doomed);
  }
  if (itemDigests.empty()) return;

  // What stays: every other tag (but the attachments of what goes), and what lies under it.
  std::vector<Digest> doomedDigests;
  for (const auto& [digest, why] : doomed) doomedDigests.push_back(Digest::parse(digest));
  std::set<std::string> attachmentTags;
  for (const auto& tag : attachmentTagsFor(tags, doomedDigests))
    // A digest-named image's own tag (sha256-<hex> naming sha256:<hex>) is an image, not an attachment.
    if (auto it = tagDigests_.find(tag); it == tagDigests_.end() || tag != digestTag(Digest::parse(it->second)))
      attachmentTags.insert(tag);
  std::map<std::string, std::string> kept;  // digest → the kept image that needs it
  for (const auto& [tag, digest] : tagDigests_) {
    if (itemTags.count(tag) || attachmentTags.count(tag)) continue;
    closure(Digest::parse(digest), fmt::format("{}:{}", repo_.name, tag), kept);
  }

  // The items: deleted by digest, or — when something that stays still uses the digest — only their tag goes.
  for (const auto& [digest, itemReference] : itemDigests) {
    if (auto keeper = kept.find(digest); keeper != kept.end()) {
      auto reference = ImageReference::parse(itemReference);
      if (reference.tag && tagDigests_.count(*reference.tag)) {
        untag(*reference.tag, fmt::format("{} stays: still used by {}", digest, keeper->second));
      } else {
        report_.refused.push_back(fmt::format("not deleting {} ({}): {} still uses it", itemReference, digest,
                                              keeper->second));
      }
      continue;
    }
    deleteDigest(Digest::parse(digest), fmt::format("listed as {}", itemReference));
  }
  // Child manifests of deleted indexes.
  for (const auto& [digest, why] : doomed) {
    if (deletedDigests_.count(digest)) continue;
    bool item = std::any_of(itemDigests.begin(), itemDigests.end(), [&](const auto& d) { return d.first == digest; });
    if (item) continue;
    if (auto keeper = kept.find(digest); keeper != kept.end()) {
      report_.refused.push_back(fmt::format("not deleting {}@{} ({}): {} still uses it", repo_.name, digest, why,
                                            keeper->second));
      continue;
    }
    // A child of an index that was not deleted stays too.
    bool parentGone = why.find("a child of ") != 0 || deletedDigests_.count(why.substr(why.rfind('@') + 1));
    if (!parentGone) continue;
    deleteDigest(Digest::parse(digest), why);
  }

  // Attachments of what was deleted: cosign tags, the referrers fallback tag, and the referrers it
  // (or the referrers API) lists; theirs after them.
  std::vector<Digest> subjects;
  for (const auto& digest : deletedDigests_) subjects.push_back(Digest::parse(digest));
  for (int depth = 0; depth < kMaxAttachmentDepth && !subjects.empty(); ++depth) {
    std::vector<Digest> next;
    for (const auto& subject : subjects) {
      std::vector<std::pair<std::string, std::string>> attached;  // (digest, what)
      for (const auto& tag : attachmentTagsFor(tags, {subject})) {
        auto it = tagDigests_.find(tag);
        if (it == tagDigests_.end()) continue;
        if (it->second == subject.str()) continue;  // a digest-named image's own tag: gone with it
        if (kept.count(it->second)) {
          untag(tag, fmt::format("attached to {}, which was deleted; its manifest {} stays: still used by {}",
                                 subject.str(), it->second, kept.at(it->second)));
          continue;
        }
        attached.emplace_back(it->second, fmt::format("tag {}, attached to {}", tag, subject.str()));
      }
      if (repo_.referrers) {
        try {
          for (const auto& referrer : repo_.referrers->listReferrers(subject))
            attached.emplace_back(referrer.digest.str(), fmt::format("a referrer of {}", subject.str()));
        } catch (const Error&) {
          // No referrers to find: nothing attached that way.
        }
      }
      for (const auto& [digest, what] : attached) {
        if (deletedDigests_.count(digest)) continue;
        if (kept.count(digest)) {
          report_.refused.push_back(fmt::format("not deleting {}@{} ({}): {} still uses it", repo_.name, digest, what,
                                                kept.at(digest)));
          continue;
        }
        // A fallback index lists referrer manifests: they go with it.
        std::map<std::string, std::string> under;
        closure(Digest::parse(digest), what, under);
        deleteDigest(Digest::parse(digest), what);
        for (const auto& [child, why] : under)
          if (!deletedDigests_.count(child) && !kept.count(child)) deleteDigest(Digest::parse(child), why);
        next.push_back(Digest::parse(digest));
      }
    }
    subjects = std::move(next);
  }
}

void RepositoryDelete::deleteDigest(const Digest& digest, const std::string& why) {
  if (!deletedDigests_.insert(digest.str()).second) return;
  auto line = fmt::format("{}@{} ({}): {}", repo_.name, digest.str(), tagsOf(digest.str()), why);
  if (options_.dryRun) {
    report_.deleted.push_back(line);
    return;
  }
  try {
    repo_.deleter->deleteManifest(digest);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::NotFound) {
      report_.gone.push_back(fmt::format("{}@{}: not at the registry (deleted already?)", repo_.name, digest.str()));
      return;
    }
    throw;
  }
  report_.deleted.push_back(line);
  if (options_.note) options_.note("deleted " + line);
}

// A tag that must go while its manifest stays: a throw-away manifest, unique to this
// call, is pushed to the tag and then deleted by digest (distribution deletes no tag by name).
void RepositoryDelete::untag(const std::string& tag, const std::string& why) {
  auto line = fmt::format("{}:{} ({})", repo_.name, tag, why);
  if (options_.dryRun) {
    report_.untagged.push_back(line);
    return;
  }
  std::string config = "{}";
  auto configDigest = Digest::sha256Of(config);
  Descriptor configBlob{.mediaType = std::string(media::kOciConfig), .digest = configDigest, .size = 2};
  if (!repo_.sink->reuseBlob(configBlob, std::nullopt)) repo_.sink->putBlobBytes(configBlob, config);
  std::random_device random;
  auto stamp = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  auto bytes = fmt::format(
      "{{\"schemaVersion\":2,\"mediaType\":\"{}\",\"config\":{{\"mediaType\":\"{}\",\"digest\":\"{}\",\"size\":2}},"
      "\"layers\":[],\"annotations\":{{\"io.ferry.delete.tag\":\"{}\",\"io.ferry.delete.nonce\":\"{}-{}\"}}}}",
      media::kOciManifest, media::kOciConfig, configDigest.str(), tag, stamp, random());
  auto placeholder = RawManifest::of(bytes, std::string(media::kOciManifest));
  repo_.sink->putManifest(placeholder, tag, /*root=*/true);
  repo_.deleter->deleteManifest(placeholder.digest);
  report_.untagged.push_back(line);
  if (options_.note) options_.note("removed tag " + line);
}

}  // namespace

DeleteReport runDelete(const DeleteOptions& options) {
  auto list = loadDeleteImageList(options.listFile);
  auto root = DestinationRoot::parse(options.destination);
  // oc-mirror's safety check, per item: releases in their own repositories, everything under the destination.
  std::vector<std::string> problems;
  std::map<std::string, std::vector<std::pair<ImageReference, const DeleteItem*>>> byRepository;
  auto prefix = root.namespacePath.empty() ? std::string() : root.namespacePath + "/";
  for (const auto& item : list.items) {
    auto reference = ImageReference::parse(item.imageReference);
    auto where = fmt::format("{}:{}: {}", options.listFile.string(), item.line, item.imageReference);
    if (reference.registry != root.registry || !reference.repository.starts_with(prefix)) {
      problems.push_back(fmt::format("{}: not under the destination {}; give the destination the list was "
                                     "generated for", where, root.str()));
      continue;
    }
    if (item.type == "ocpRelease" && reference.repository != prefix + release::kPayloadRepository)
      problems.push_back(fmt::format("{}: an ocpRelease item must be in {}{}", where, prefix,
                                     release::kPayloadRepository));
    else if (item.type == "ocpReleaseContent" && reference.repository != prefix + release::kComponentRepository)
      problems.push_back(fmt::format("{}: an ocpReleaseContent item must be in {}{}", where, prefix,
                                     release::kComponentRepository));
    else
      byRepository[reference.registry + "/" + reference.repository].emplace_back(reference, &item);
  }
  if (!problems.empty()) fail(ErrorKind::InvalidInput, "{}", fmt::join(problems, "\n"));

  DeleteReport report;
  Endpoints endpoints(options.endpoints);
  bool probed = false;
  for (const auto& [name, items] : byRepository) {
    Repository repo;
    repo.name = "docker://" + name;
    repo.sink = endpoints.sink(items.front().first);
    repo.source = std::dynamic_pointer_cast<ImageSource>(repo.sink);
    repo.tags = std::dynamic_pointer_cast<TagLister>(repo.sink);
    repo.deleter = std::dynamic_pointer_cast<ManifestDeleter>(repo.sink);
    repo.referrers = std::dynamic_pointer_cast<ReferrerLister>(repo.sink);
    if (!repo.source || !repo.tags || !repo.deleter)
      fail(ErrorKind::Unsupported, "{}: this destination cannot list tags or delete manifests", repo.name);
    if (!options.dryRun && !probed) {
      // Ask once whether the registry deletes at all, before anything is changed: a
      // digest nobody pushed answers 404 where deleting is enabled, 405 where it is not.
      try {
        repo.deleter->deleteManifest(Digest::sha256Of("ferry delete: is deleting enabled?"));
      } catch (const Error& e) {
        if (e.kind() != ErrorKind::NotFound) throw;
      }
      probed = true;
    }
    RepositoryDelete(std::move(repo), options, report).run(items);
  }
  if (!report.errors.empty()) report.exitCode = 1;
  return report;
}

}  // namespace ferry::mirror
