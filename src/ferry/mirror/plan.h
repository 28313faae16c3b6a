// A mirror plan: every image a run moves, where from and where to, and why.
//
// The plan is data. `--dry-run` writes it (mapping.txt) and stops; a real run
// hands it to one Copier, so every blob moves once per destination repository
// across the whole run. Images are grouped by what brought them in, because a
// failure is handled per group: an operator's images failing drops that
// operator from its rebuilt catalog (not the whole run); an additional image
// failing is reported with its own exit-code bit.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "ferry/mirror/naming.h"
#include "ferry/ref/reference.h"

namespace ferry::mirror {

enum class ImageKind { Catalog, Bundle, RelatedImage, Additional };

const char* kindName(ImageKind kind);

struct PlannedImage {
  ImageKind kind = ImageKind::Additional;
  // The image as the configuration or the catalog names it (the name it keeps in archives).
  ImageReference source;
  // Where it goes in a registry (mirror-to-mirror, disk-to-mirror); unset for mirror-to-disk.
  ImageReference destination;
  // How the destination is named (targetRepo, targetTag), kept so disk-to-mirror can name it again.
  NamingOptions naming;
  // Catalog images only: the index of the catalog in Plan::catalogs.
  int catalog = -1;
  // Bundles and related images: the catalog and packages that need the image.
  std::set<std::pair<int, std::string>> neededBy;
};

struct PlannedCatalog {
  std::string name;               // the configuration's catalog text
  ImageReference source;
  ImageReference destination;     // tag kept or targetTag; registry side
  NamingOptions naming;           // targetCatalog, targetTag
  bool rebuilt = false;           // false: copied unchanged (full with no packages)
  std::string sourceDigest;
  std::string rebuiltDigest;      // after the rebuild
  std::set<std::string> packages; // packages the filtered catalog holds
  std::vector<std::string> notes; // dependency notes, warnings
  std::string catalogSourceTemplate;
};

struct Plan {
  std::vector<PlannedImage> images;     // everything but catalog images, which go last
  std::vector<PlannedCatalog> catalogs;
  std::vector<std::string> blocked;     // source references left out by blockedImages
};

// The name an image has inside an archive: its source registry and repository
// ("quay.io/org/app"), or "oci/<directory name>" for a layout.
std::string archiveName(const ImageReference& source);

// The plan as an archive carries it (ferry/plan.json), and back. Destinations
// are not stored: disk-to-mirror names images again for its own destination.
std::string planToJson(const Plan& plan, const std::string& runId);
Plan planFromJson(const std::string& json, const std::string& where);

}  // namespace ferry::mirror
