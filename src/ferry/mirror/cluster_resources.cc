#include "ferry/mirror/cluster_resources.h"

#include <array>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include "ferry/base/error.h"
#include "ferry/base/files.h"
#include "ferry/base/yaml_bounds.h"
#include "ferry/mirror/kube_yaml.h"

namespace ferry::mirror {
namespace {

constexpr std::string_view kIdmsFile = "idms-oc-mirror.yaml";
constexpr std::string_view kItmsFile = "itms-oc-mirror.yaml";
constexpr std::string_view kIcspFile = "imageContentSourcePolicy.yaml";
constexpr std::string_view kCatalogSourceApi = "operators.coreos.com/v1alpha1";
constexpr std::string_view kMarketplaceNamespace = "openshift-marketplace";
constexpr size_t kNameSuffixLength = 12;
constexpr size_t kMaxNameLength = 63;

// The mirror set categories in the order their objects are written.
constexpr std::array<ImageCategory, 3> kSetCategories = {ImageCategory::Release, ImageCategory::Operator,
                                                         ImageCategory::Generic};

const char* categoryName(ImageCategory category) {
  switch (category) {
    case ImageCategory::Release:
      return "release";
    case ImageCategory::Operator:
      return "operator";
    case ImageCategory::Generic:
      return "generic";
    case ImageCategory::Catalog:
      return "catalog";
  }
  return "generic";
}

// source → mirrors, both sorted: files come out the same whatever order the
// planner found the images in.
using MirrorTable = std::map<std::string, std::set<std::string>>;

struct MirrorTables {
  std::map<ImageCategory, MirrorTable> byDigest;
  std::map<ImageCategory, MirrorTable> byTag;
};

std::string location(const ImageReference& image) { return image.registry + "/" + image.repository; }

std::string parentScope(const ImageReference& image) {
  auto slash = image.repository.rfind('/');
  return slash == std::string::npos ? image.registry : image.registry + "/" + image.repository.substr(0, slash);
}

YAML::Node annotations(const ClusterResourceOptions& options) {
  YAML::Node node(YAML::NodeType::Map);
  if (!options.createdBy.empty()) node["createdBy"] = stringNode(options.createdBy);
  if (!options.createdAt.empty()) node["createdAt"] = stringNode(options.createdAt);
  return node;
}

YAML::Node metadata(const std::string& name, const ClusterResourceOptions& options) {
  YAML::Node node(YAML::NodeType::Map);
  node["name"] = stringNode(name);
  if (auto notes = annotations(options); notes.size() > 0) node["annotations"] = notes;
  return node;
}

// One kind of mirror set: what differs between IDMS, ITMS and ICSP.
struct MirrorSetKind {
  std::string_view apiVersion;
  std::string_view kind;
  std::string_view namePrefix;  // "idms-", "itms-", "" (ICSP names are the bare category, as oc-mirror v1's)
  std::string_view entriesKey;  // spec.<entriesKey>
  // oc-mirror v1 labelled its operator ICSP so that tools can tell it apart.
  bool labelOperatorSet = false;
};

constexpr MirrorSetKind kIdms{"config.openshift.io/v1", "ImageDigestMirrorSet", "idms-", "imageDigestMirrors"};
constexpr MirrorSetKind kItms{"config.openshift.io/v1", "ImageTagMirrorSet", "itms-", "imageTagMirrors"};
constexpr MirrorSetKind kIcsp{"operator.openshift.io/v1alpha1", "ImageContentSourcePolicy", "",
                              "repositoryDigestMirrors", true};

// The object without its entries: "---", apiVersion, kind, metadata and the
// line opening spec.<entriesKey>.
std::string mirrorSetHeader(const MirrorSetKind& kind, ImageCategory category, int number,
                            const ClusterResourceOptions& options) {
  YAML::Node object(YAML::NodeType::Map);
  object["apiVersion"] = stringNode(std::string(kind.apiVersion));
  object["kind"] = stringNode(std::string(kind.kind));
  object["metadata"] = metadata(fmt::format("{}{}-{}", kind.namePrefix, categoryName(category), number), options);
  if (kind.labelOperatorSet && category == ImageCategory::Operator)
    object["metadata"]["labels"]["operators.openshift.org/catalog"] = stringNode("true");
  return documentText(object) + "spec:\n  " + std::string(kind.entriesKey) + ":\n";
}

// One entry as block YAML under the header. Mirror sets can hold thousands of
// entries: writing them as text (yaml-cpp is slow at this) also makes each
// entry's size exact, which the split needs.
std::string mirrorEntryText(const std::string& source, const std::set<std::string>& mirrors) {
  std::string text = "    - source: " + scalarText(source) + "\n      mirrors:\n";
  for (const auto& mirror : mirrors) text += "        - " + scalarText(mirror) + "\n";
  return text;
}

// The documents of one category's set, split so no document exceeds the limit
// (an entry larger than the limit on its own still gets a document).
std::string mirrorSetDocuments(const MirrorSetKind& kind, ImageCategory category, const MirrorTable& table,
                               const ClusterResourceOptions& options) {
  std::string text;
  int number = 0;
  std::string document = mirrorSetHeader(kind, category, number, options);
  bool empty = true;
  for (const auto& [source, mirrors] : table) {
    std::string entry = mirrorEntryText(source, mirrors);
    if (!empty && document.size() + entry.size() > options.maxDocumentBytes) {
      text += document;
      document = mirrorSetHeader(kind, category, ++number, options);
    }
    document += entry;
    empty = false;
  }
  return text + document;
}

std::string mirrorSetFile(const MirrorSetKind& kind, const std::map<ImageCategory, MirrorTable>& tables,
                          const ClusterResourceOptions& options) {
  std::string text;
  for (auto category : kSetCategories)
    if (auto found = tables.find(category); found != tables.end() && !found->second.empty())
      text += mirrorSetDocuments(kind, category, found->second, options);
  return text;
}

MirrorTables collectMirrors(const std::vector<MirroredImage>& images, const ClusterResourceOptions& options,
                            std::vector<std::string>& warnings) {
  MirrorTables tables;
  bool warnedIpv6 = false;
  bool warnedLayout = false;
  for (const auto& image : images) {
    // Catalogs reach the cluster through their CatalogSource/ClusterCatalog, not through a mirror set.
    if (image.category == ImageCategory::Catalog) continue;
    if (image.destination.transport != Transport::Registry)
      fail("cannot write a mirror set entry for {}: its destination {} is not in a registry", image.source.str(),
           image.destination.str());
    // A cluster never pulls from an OCI layout, so there is nothing to redirect.
    if (image.source.transport != Transport::Registry) {
      if (!warnedLayout)
        warnings.push_back(
            fmt::format("images read from OCI layouts (such as {}) have no registry name a cluster "
                        "pulls; they are left out of the mirror sets",
                        image.source.str()));
      warnedLayout = true;
      continue;
    }
    auto scope = mirrorScopeFor(image.source, image.destination, options.forceRepositoryScope);
    // tag@digest: a cluster may pull it by the tag or by the digest, so it needs both sets (as oc-mirror since
    // 2026-05); a digest pull consults only the IDMS.
    if (image.byDigest || image.source.digest || image.category == ImageCategory::Release)
      tables.byDigest[image.category][scope.source].insert(scope.mirror);
    if (!image.byDigest) tables.byTag[image.category][scope.source].insert(scope.mirror);
    if (!warnedIpv6 && scope.mirror.front() == '[') {
      warnings.push_back(
          fmt::format("mirror {} names its registry by an IPv6 address; OpenShift's mirror set "
                      "schema accepts host names and IPv4 addresses only, so use a host name",
                      scope.mirror));
      warnedIpv6 = true;
    }
  }
  return tables;
}

// --- catalogs -------------------------------------------------------------

bool isDnsLabel(std::string_view name) {
  static const std::regex label("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
  return name.size() <= kMaxNameLength && std::regex_match(std::string(name), label);
}

std::string toLabelCharacters(std::string_view text) {
  std::string out;
  for (char c : text) {
    char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out += (std::isalnum(static_cast<unsigned char>(lower)) || lower == '-') ? lower : '-';
  }
  return out;
}

std::string trimDashes(std::string text) {
  while (!text.empty() && text.back() == '-') text.pop_back();
  while (!text.empty() && text.front() == '-') text.erase(text.begin());
  return text;
}

// `base` with "-2", "-3", … until unused; the base is shortened to keep 63 characters.
std::string uniqueName(const std::string& base, std::set<std::string>& used) {
  std::string name = base;
  for (int n = 2; used.count(name) > 0; ++n) {
    std::string suffix = "-" + std::to_string(n);
    name = trimDashes(base.substr(0, kMaxNameLength - suffix.size())) + suffix;
  }
  used.insert(name);
  return name;
}

// The image a catalog's resources point at, without the docker:// prefix.
std::string catalogImage(const MirroredCatalog& catalog, bool byTag) {
  const auto& destination = catalog.destination;
  if (byTag) return location(destination) + ":" + *destination.tag;
  return location(destination) + "@" + destination.digest->str();
}

void checkCatalog(const MirroredCatalog& catalog) {
  if (catalog.destination.transport != Transport::Registry)
    fail("cannot write cluster resources for catalog {}: its destination {} is not in a registry", catalog.source.str(),
         catalog.destination.str());
  if (!catalog.destination.digest || !catalog.destination.tag)
    fail(
        "cannot write cluster resources for catalog {}: its destination {} needs both the tag and the digest "
        "pushed (internal error)",
        catalog.source.str(), catalog.destination.str());
}

YAML::Node loadTemplate(const std::filesystem::path& file) {
  std::vector<YAML::Node> documents;
  try {
    const YamlLimits limits = configurationYamlLimits("a CatalogSource template");
    for (const auto& document : loadYamlDocuments(readYamlFile(file, limits), file.string(), limits))
      if (!document.IsNull()) documents.push_back(document);
  } catch (const YAML::Exception& e) {
    fail("CatalogSource template {}: not valid YAML at line {}, column {}: {}", file.string(), e.mark.line + 1,
         e.mark.column + 1, e.msg);
  }
  if (documents.size() != 1 || !documents.front().IsMap())
    fail("CatalogSource template {}: expected one CatalogSource object (a YAML map), found {}", file.string(),
         documents.empty()      ? "nothing"
         : documents.size() > 1 ? "several documents"
                                : "something else");
  return documents.front();
}

std::string scalarOr(const YAML::Node& node, const std::string& fallback) {
  return node && node.IsScalar() ? node.Scalar() : fallback;
}

// The template's object with ferry's values put in: what oc-mirror v2 checks
// (grpc, no configMap) is checked, the image and sourceType are always ferry's,
// and name, namespace and displayName are filled in only when the template has none.
YAML::Node catalogSourceFromTemplate(const std::filesystem::path& file, const std::string& name,
                                     const std::string& image, const MirroredCatalog& catalog,
                                     const ClusterResourceOptions& options, std::vector<std::string>& warnings) {
  YAML::Node object = loadTemplate(file);
  auto bad = [&](const std::string& why) {
    fail("CatalogSource template {} (catalog {}): {}", file.string(), catalog.source.str(), why);
  };
  if (scalarOr(object["apiVersion"], "") != kCatalogSourceApi)
    bad(fmt::format("apiVersion must be {}, found '{}'", kCatalogSourceApi, scalarOr(object["apiVersion"], "")));
  if (scalarOr(object["kind"], "") != "CatalogSource")
    bad(fmt::format("kind must be CatalogSource, found '{}'", scalarOr(object["kind"], "")));
  if (object["metadata"] && !object["metadata"].IsMap() && !object["metadata"].IsNull()) bad("metadata must be a map");
  if (object["spec"] && !object["spec"].IsMap() && !object["spec"].IsNull()) bad("spec must be a map");
  YAML::Node spec = object["spec"];
  if (spec && spec["sourceType"] && scalarOr(spec["sourceType"], "") != "grpc")
    bad(fmt::format("spec.sourceType must be grpc (the catalog is served from its image), found '{}'",
                    scalarOr(spec["sourceType"], "")));
  if (spec && spec["configMap"]) bad("remove spec.configMap: the catalog is served from its image");
  if (spec && spec["address"]) bad("remove spec.address: the catalog is served from its mirrored image");

  // Fields the API server fills in would make `oc apply` fail or conflict.
  object.remove("status");
  if (!object["metadata"] || object["metadata"].IsNull()) object["metadata"] = YAML::Node(YAML::NodeType::Map);
  YAML::Node meta = object["metadata"];
  for (const char* field : {"creationTimestamp", "resourceVersion", "uid", "generation", "managedFields", "selfLink"})
    meta.remove(field);
  if (!meta["name"]) meta["name"] = stringNode(name);
  if (!isDnsLabel(scalarOr(meta["name"], "")))
    bad(
        fmt::format("metadata.name '{}' is not a valid name (at most 63 lowercase letters, digits and '-', "
                    "starting and ending with a letter or digit)",
                    scalarOr(meta["name"], "")));
  if (!meta["namespace"]) meta["namespace"] = stringNode(std::string(kMarketplaceNamespace));
  if (meta["annotations"] && !meta["annotations"].IsMap() && !meta["annotations"].IsNull())
    bad("metadata.annotations must be a map");
  for (const auto& note : annotations(options)) meta["annotations"][note.first.Scalar()] = note.second;

  if (!object["spec"] || object["spec"].IsNull()) object["spec"] = YAML::Node(YAML::NodeType::Map);
  spec = object["spec"];
  spec["sourceType"] = stringNode("grpc");
  spec["image"] = stringNode(image);
  if (!spec["displayName"] && !catalog.displayName.empty()) spec["displayName"] = stringNode(catalog.displayName);
  // The catalog ferry pushes has no opm cache (a stale one would stop opm from
  // serving); asking OLM to copy a cache directory that is not there fails the pod.
  YAML::Node podConfig = spec["grpcPodConfig"];
  YAML::Node extract = podConfig && podConfig.IsMap() ? podConfig["extractContent"] : YAML::Node();
  if (extract && extract.IsMap() && extract["cacheDir"]) {
    extract.remove("cacheDir");
    warnings.push_back(fmt::format(
        "CatalogSource template {}: removed spec.grpcPodConfig.extractContent.cacheDir, because the catalogs "
        "ferry rebuilds carry no opm cache (opm builds one when the catalog pod starts); clusters whose OLM still "
        "requires cacheDir need extractContent removed from the template",
        file.string()));
  }
  return object;
}

YAML::Node catalogSource(const std::string& name, const std::string& image, const MirroredCatalog& catalog,
                         const ClusterResourceOptions& options) {
  YAML::Node object(YAML::NodeType::Map);
  object["apiVersion"] = stringNode(std::string(kCatalogSourceApi));
  object["kind"] = stringNode("CatalogSource");
  YAML::Node meta(YAML::NodeType::Map);
  meta["name"] = stringNode(name);
  meta["namespace"] = stringNode(std::string(kMarketplaceNamespace));
  if (auto notes = annotations(options); notes.size() > 0) meta["annotations"] = notes;
  object["metadata"] = meta;
  object["spec"]["sourceType"] = stringNode("grpc");
  object["spec"]["image"] = stringNode(image);
  if (!catalog.displayName.empty()) object["spec"]["displayName"] = stringNode(catalog.displayName);
  return object;
}

YAML::Node clusterCatalog(const std::string& name, const std::string& image, const ClusterResourceOptions& options) {
  YAML::Node object(YAML::NodeType::Map);
  object["apiVersion"] = stringNode("olm.operatorframework.io/v1");
  object["kind"] = stringNode("ClusterCatalog");
  object["metadata"] = metadata(name, options);
  object["spec"]["source"]["type"] = stringNode("Image");
  object["spec"]["source"]["image"]["ref"] = stringNode(image);
  return object;
}

void addCatalogResources(const std::vector<MirroredCatalog>& catalogs, const ClusterResourceOptions& options,
                         ClusterResources& out) {
  std::set<std::string> catalogSourceNames;
  std::set<std::string> clusterCatalogNames;
  std::set<std::string> seenImages;
  std::map<std::string, std::string> objectOwners;  // "namespace/name" → template or catalog
  std::vector<ResourceFile> clusterCatalogFiles;
  for (const auto& catalog : catalogs) {
    checkCatalog(catalog);
    std::string pinned = catalogImage(catalog, false);
    if (!seenImages.insert(pinned).second) continue;  // the same catalog listed twice
    std::string image = catalogImage(catalog, options.catalogSourceByTag);

    std::string csName = uniqueName(catalogResourceName("cs", catalog.destination), catalogSourceNames);
    YAML::Node source =
        catalog.catalogSourceTemplate
            ? catalogSourceFromTemplate(*catalog.catalogSourceTemplate, csName, image, catalog, options, out.warnings)
            : catalogSource(csName, image, catalog, options);
    std::string key = source["metadata"]["namespace"].Scalar() + "/" + source["metadata"]["name"].Scalar();
    std::string owner = catalog.catalogSourceTemplate ? "template " + catalog.catalogSourceTemplate->string()
                                                      : "catalog " + catalog.source.str();
    if (auto [it, added] = objectOwners.emplace(key, owner); !added)
      fail(
          "two CatalogSources would both be named {}: from {} and from {}; give each catalog its own "
          "metadata.name in its template, or none",
          key, it->second, owner);
    out.files.push_back({csName + ".yaml", documentText(source)});

    std::string ccName = uniqueName(catalogResourceName("cc", catalog.destination), clusterCatalogNames);
    clusterCatalogFiles.push_back({ccName + ".yaml", documentText(clusterCatalog(ccName, pinned, options))});
  }
  for (auto& file : clusterCatalogFiles) out.files.push_back(std::move(file));
}

bool isGeneratedFile(const std::string& name) {
  if (name == kIdmsFile || name == kItmsFile || name == kIcspFile) return true;
  return (name.starts_with("cs-") || name.starts_with("cc-")) && name.ends_with(".yaml");
}

}  // namespace

MirrorScope mirrorScopeFor(const ImageReference& source, const ImageReference& destination, bool forceRepositoryScope) {
  const auto& from = source.repository;
  const auto& to = destination.repository;
  bool pathKept =
      to == from || (to.size() > from.size() && to.ends_with(from) && to[to.size() - from.size() - 1] == '/');
  if (!forceRepositoryScope && pathKept) return {parentScope(source), parentScope(destination)};
  return {location(source), location(destination)};
}

std::string catalogResourceName(std::string_view prefix, const ImageReference& destination) {
  const auto& repository = destination.repository;
  auto slash = repository.rfind('/');
  std::string last = repository.substr(slash == std::string::npos ? 0 : slash + 1);

  std::string suffix;
  if (destination.tag)
    suffix = destination.tag->substr(0, kNameSuffixLength);
  else if (destination.digest)
    suffix = std::string(destination.digest->hex().substr(0, kNameSuffixLength));
  suffix = trimDashes(toLabelCharacters(suffix));
  if (suffix.empty()) suffix = "0";

  std::string head = std::string(prefix) + "-";
  size_t room = kMaxNameLength - head.size() - 1 - suffix.size();
  last = trimDashes(toLabelCharacters(last).substr(0, room));
  return last.empty() ? head + suffix : head + last + "-" + suffix;
}

ClusterResources generateClusterResources(const std::vector<MirroredImage>& images,
                                          const std::vector<MirroredCatalog>& catalogs,
                                          const ClusterResourceOptions& options) {
  ClusterResources out;
  auto tables = collectMirrors(images, options, out.warnings);
  if (auto text = mirrorSetFile(kIdms, tables.byDigest, options); !text.empty())
    out.files.push_back({std::string(kIdmsFile), text});
  if (auto text = mirrorSetFile(kItms, tables.byTag, options); !text.empty())
    out.files.push_back({std::string(kItmsFile), text});
  if (options.imageContentSourcePolicy)
    if (auto text = mirrorSetFile(kIcsp, tables.byDigest, options); !text.empty())
      out.files.push_back({std::string(kIcspFile), text});
  addCatalogResources(catalogs, options, out);
  return out;
}

void writeClusterResources(const std::filesystem::path& directory, const ClusterResources& resources) {
  std::filesystem::create_directories(directory);
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.is_regular_file() && isGeneratedFile(entry.path().filename().string()))
      std::filesystem::remove(entry.path());
  for (const auto& file : resources.files) writeFileAtomically(directory / file.name, file.content);
}

}  // namespace ferry::mirror
