// Whether a bundle's `image` or a relatedImages `image` is a pull spec opm
// accepts: the docker reference grammar opm checks with
// reference.ParseNormalizedNamed (containers/image), i.e.
// [HOST[:PORT]/]PATH[:TAG][@ALGORITHM:HEX], lowercase path components, names
// of at most 255 characters, digests of a known algorithm (sha256, sha384,
// sha512). Hand-written rather than a regex: validation checks ~100k images
// on a big catalog and must stay fast.
#pragma once

#include <string>
#include <string_view>

namespace ferry::catalog {

// What is wrong with `pullSpec`, or an empty string when opm would accept it.
std::string imagePullSpecProblem(std::string_view pullSpec);

}  // namespace ferry::catalog
