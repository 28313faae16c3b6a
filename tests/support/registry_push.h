// Direct registry access for setting up and checking tests, without skopeo:
// skopeo's oci: transport ignores Docker media types and cannot copy nested
// indexes, so source registries for those cases are filled with pushImage().
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "support/fixtures.h"
#include "support/http_client.h"
#include "support/http_server.h"
#include "support/test_registry.h"

namespace ferry::testing {

// Client options that get through `registry`'s authentication for `repository`:
// its CA for TLS; Basic credentials; in Token mode a token for
// repository:<repository>:pull,push fetched from its token server.
ClientOptions registryClientOptions(const TestRegistry& registry, std::string_view repository);

// Pushes `image` from the OCI layout to registry/repository: each manifest's
// blobs (HEAD, then POST + monolithic PUT when missing), then the manifests
// children first, byte for byte, so digests are preserved. The top manifest is
// put under `tag`, or by digest only when `tag` is empty. Throws Error naming the
// request that failed and the registry's answer.
void pushImage(const TestRegistry& registry, const std::filesystem::path& layoutDir, const FixtureImage& image,
               std::string_view repository, std::string_view tag);

// GET /v2/<repository>/manifests/<reference>, accepting every manifest type.
// The registry's answer as is (check status yourself).
ClientResponse getManifest(const TestRegistry& registry, std::string_view repository, std::string_view reference);

// For a front server of a test's own before `registry`: passes `request` on and
// its answer back, with Host set to `frontHost` so the registry's Locations name the front.
HttpResponse forwardToRegistry(const TestRegistry& registry, const std::string& frontHost, const HttpRequest& request);

}  // namespace ferry::testing
