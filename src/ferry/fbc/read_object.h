// One catalog object, parsed, turned into the model.
//
// Every object is first read as opm reads its `Meta` envelope: the keys
// `schema`, `package` and `name` are found case-insensitively (two keys that
// fold to the same name are an error, as in opm), must be strings, and
// `schema` must be set. The object then goes to Package, Channel, Bundle or
// Deprecation by schema, with their fields read as Go's encoding/json would
// (keys case-insensitive, the last of repeated keys wins), or to OtherObject.
// Known property types of bundles (olm.package, olm.gvk, olm.gvk.required,
// olm.package.required, olm.bundle.object) must have well-formed values;
// other properties are only kept in the object's JSON text.
#pragma once

#include <simdjson.h>

#include <string>

#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

// Adds `object` to `catalog`. `json` is the object's compact text, `origin`
// where it was read ("pkg/catalog.json, object 3"). Throws ferry::Error whose
// message starts with `origin`.
void addCatalogObject(simdjson::dom::element object, std::string json, std::string origin, Catalog& catalog);

}  // namespace ferry::catalog
