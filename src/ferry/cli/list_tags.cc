#include "ferry/cli/list_tags.h"

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "ferry/base/error.h"
#include "ferry/copy/endpoints.h"
#include "ferry/layout/oci_layout.h"
#include "ferry/registry/registry_repository.h"
#include "ferry/tarball/oci_archive.h"

namespace ferry {

CLI::App* addListTagsCommand(CLI::App* list, ListTagsFlags& flags) {
  auto* tags = list->add_subcommand("tags", "Tags of a repository (docker://HOST/PATH) or an OCI layout or oci-archive");
  tags->add_option("repository", flags.repository, "docker://HOST/PATH, oci:DIR or oci-archive:FILE")->required();
  tags->add_option("-o,--output", flags.output, "text or json")->default_val("text");
  tags->add_option("--authfile", flags.authFile, "Auth file to read credentials from");
  tags->add_option("--tls-verify", flags.access.tlsVerify, "Verify TLS (=false to skip)")->default_str("true");
  tags->add_flag("--skip-tls", flags.access.skipTls, "Do not verify TLS");
  tags->add_flag("--use-http", flags.access.useHttp, "Talk plain HTTP");
  tags->add_option("--cert-dir", flags.access.certDir, "Folder with *.crt CA files");
  tags->add_option("--creds", flags.access.creds, "USER:PASSWORD");
  addRetryFlags(tags, flags.retries);
  return tags;
}

namespace {
std::vector<std::string> refNames(const std::vector<Descriptor>& entries) {
  std::vector<std::string> names;
  for (const auto& entry : entries)
    if (auto name = entry.annotations.find(std::string(kRefNameAnnotation)); name != entry.annotations.end())
      names.push_back(name->second);
  return names;
}
}  // namespace

int runListTags(const ListTagsFlags& flags) {
  if (flags.output != "text" && flags.output != "json") fail("--output must be 'text' or 'json', not '{}'", flags.output);
  auto reference = ImageReference::parse(flags.repository);
  if (reference.tag || reference.digest)
    fail("list tags takes a repository, not an image: drop the tag or digest from '{}'", flags.repository);
  std::vector<std::string> tags;
  if (reference.transport == Transport::Registry) {
    EndpointOptions options{flags.access.options(flags.authFile, 8), {}};
    options.registriesConf = registriesConf();
    flags.retries.apply(options.source, /*quiet=*/false, nullptr);
    Endpoints endpoints(std::move(options));
    tags = endpoints.repository(reference, false)->listTags();
  } else if (reference.transport == Transport::Layout) {
    tags = refNames(OciLayout::open(reference.layoutPath)->entries());
  } else if (reference.transport == Transport::OciArchive) {
    tags = refNames(OciArchiveSource(reference.layoutPath).entries());
  } else {
    fail("{} has no tags to list; list tags reads docker://, oci: and oci-archive:", reference.str());
  }
  if (flags.output == "json") {
    std::cout << nlohmann::json{{"Repository", reference.str()}, {"Tags", tags}}.dump(2) << "\n";
  } else {
    for (const auto& tag : tags) std::printf("%s\n", tag.c_str());
  }
  return 0;
}

}  // namespace ferry
