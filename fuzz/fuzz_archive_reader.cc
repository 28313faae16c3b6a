// The archive reader (archive/archive_reader.h) on one part file: open it,
// list its images and blobs, check its checksums and read its manifests.
#include "ferry/archive/archive_reader.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace ferry;
  fuzz::MemoryFile file(data, size);
  fuzz::refusalsAllowed([&] {
    auto archive = ArchiveReader::open(file.path());
    (void)archive->partInfos();
    (void)archive->missingBlobs();
    (void)archive->carriedBlobs();
    (void)archive->checksumProblems();
    (void)archive->file("plan.json");
    for (const auto& image : archive->images())
      fuzz::refusalsAllowed([&] { (void)archive->manifest(image.name, image.reference); });
  });
  return 0;
}
