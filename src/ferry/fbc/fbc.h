// The File-Based Catalog (FBC) model: what an OLM catalog holds.
//
// A catalog is a stream of JSON objects ("blobs"), each with a `schema` and
// usually a `package` and `name`. Four schemas are typed here because ferry
// reads, checks and filters them: olm.package, olm.channel, olm.bundle and
// olm.deprecations. Every other schema is kept as it came.
//
// Every object keeps `json`: its text exactly as read, in compact form (for
// YAML input: the document converted to JSON). Objects ferry does not change
// are written back from that text, so nothing the model does not know about
// (unknown fields, big olm.bundle.object payloads, custom schemas) is lost or
// re-encoded. The typed fields are a parsed view used for decisions; writers
// that change an object (a channel losing entries, a package getting a new
// default channel) rebuild its text from `json` with only those fields replaced.
//
// `origin` names where the object was read ("pkg/catalog.json, object 3" or
// "pkg/index.yaml, document 2 (line 40)") so errors can point at it.
#pragma once

#include <string>
#include <vector>

namespace ferry::catalog {

struct Package {
  std::string name;
  std::string defaultChannel;
  std::string json;
  std::string origin;
};

struct ChannelEntry {
  std::string name;
  std::string replaces;            // empty: none
  std::vector<std::string> skips;
  std::string skipRange;           // empty: none
};

struct Channel {
  std::string package;
  std::string name;
  std::vector<ChannelEntry> entries;
  std::string json;
  std::string origin;
};

struct RelatedImage {
  std::string name;  // may be empty: opm writes `"name": ""` for images it found itself
  std::string image;
};

// An API a bundle provides (olm.gvk) or requires (olm.gvk.required).
struct GroupVersionKind {
  std::string group;
  std::string version;
  std::string kind;
  bool operator==(const GroupVersionKind&) const = default;
  auto operator<=>(const GroupVersionKind&) const = default;
};

// olm.package.required: another package, within a version range (blang syntax; empty: any).
struct PackageRequirement {
  std::string packageName;
  std::string versionRange;
};

struct Bundle {
  std::string package;
  std::string name;
  std::string image;
  // From the olm.package property. Validation requires exactly one of them
  // (packagePropertyCount == 1); `version` is the property's text, unparsed.
  int packagePropertyCount = 0;
  std::string packageProperty;  // the olm.package property's packageName
  std::string version;
  std::string release;          // olm.package "release" (newer opm), usually empty
  std::vector<GroupVersionKind> providedApis;
  std::vector<GroupVersionKind> requiredApis;
  std::vector<PackageRequirement> requiredPackages;
  std::vector<RelatedImage> relatedImages;
  bool hasBundleObjects = false;  // carries olm.bundle.object properties
  std::string json;
  std::string origin;
};

struct DeprecationEntry {
  std::string schema;   // olm.package, olm.channel or olm.bundle
  std::string name;     // empty for olm.package
  std::string message;
};

struct Deprecation {
  std::string package;
  std::vector<DeprecationEntry> entries;
  std::string json;
  std::string origin;
};

// Any object whose schema is not one of the four above, kept verbatim.
struct OtherObject {
  std::string schema;
  std::string package;  // empty: a catalog-level object
  std::string name;
  std::string json;
  std::string origin;
};

// A whole catalog, in the order its objects were read (loaders sort by file
// path, so loading is deterministic). Lookups build their own indexes.
struct Catalog {
  std::vector<Package> packages;
  std::vector<Channel> channels;
  std::vector<Bundle> bundles;
  std::vector<Deprecation> deprecations;
  std::vector<OtherObject> others;

  // Size in bytes of all objects' json: what the catalog weighs in memory as text.
  size_t textBytes() const;
};

}  // namespace ferry::catalog
