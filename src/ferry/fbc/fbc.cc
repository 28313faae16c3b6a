#include "ferry/fbc/fbc.h"

namespace ferry::catalog {

size_t Catalog::textBytes() const {
  size_t total = 0;
  for (const auto& object : packages) total += object.json.size();
  for (const auto& object : channels) total += object.json.size();
  for (const auto& object : bundles) total += object.json.size();
  for (const auto& object : deprecations) total += object.json.size();
  for (const auto& object : others) total += object.json.size();
  return total;
}

}  // namespace ferry::catalog
