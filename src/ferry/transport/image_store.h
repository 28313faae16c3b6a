// The one interface every transport implements: a place images are read from
// (ImageSource) or written to (ImageSink). The copy engine talks only to these
// two classes and never asks whether the bytes come from a registry, an OCI
// image layout, or an archive.
//
// One instance stands for one image location: a registry repository, an OCI
// layout directory, or one image name in an archive. Instances are shared by the copy engine's threads, so
// every method must be safe to call concurrently.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "ferry/oci/manifest.h"

namespace ferry {

// Receives a blob's bytes as they arrive. Transports that retry a download
// from the start call restart() first so the receiver can drop what it has.
class BlobWriter {
 public:
  virtual ~BlobWriter() = default;
  // Returns false to stop the transfer (too many bytes, or the bytes cannot be stored).
  virtual bool write(const char* data, size_t size) = 0;
  virtual void restart() = 0;
};

// Collects a blob's bytes in a string: for blobs ferry may hold whole (configs,
// manifests, blobs up to a sink's small-blob size), up to `limit` bytes (write()
// then returns false).
class StringWriter : public BlobWriter {
 public:
  explicit StringWriter(size_t limit = SIZE_MAX) : limit_(limit) {}
  bool write(const char* data, size_t size) override {
    if (size > limit_ - bytes.size()) return false;
    bytes.append(data, size);
    return true;
  }
  void restart() override { bytes.clear(); }
  std::string bytes;

 private:
  size_t limit_;
};

// Writes a blob's bytes, in order, to the BlobWriter it is given, and throws
// when they cannot all be read or are not the blob (the copy engine's producer
// reads the source and verifies size and digest on the way).
using BlobProducer = std::function<void(BlobWriter& out)>;

class ImageSource {
 public:
  virtual ~ImageSource() = default;
  // "docker://host/repository" or "oci:DIR": used in messages.
  virtual std::string describe() const = 0;
  // The manifest or index named by a tag or a digest. A manifest asked for by
  // digest is verified against it; throws Error when it does not exist.
  virtual RawManifest getManifest(const std::string& reference) = 0;
  // Streams a blob's bytes. The caller verifies size and digest as they arrive.
  virtual void readBlob(const Descriptor& blob, BlobWriter& out) = 0;
  // A local file that holds the blob, when the transport keeps blobs as files
  // (the caller still verifies it). Lets a sink copy or upload without a download.
  virtual std::optional<std::filesystem::path> blobFile(const Descriptor& blob) { return std::nullopt; }
};

class ImageSink {
 public:
  virtual ~ImageSink() = default;
  virtual std::string describe() const = 0;
  // The digest of the manifest a tag or digest names at the sink, if there is one.
  virtual std::optional<Digest> manifestDigest(const std::string& reference) = 0;
  // Makes the blob present without sending its bytes, when that is possible:
  // it is there already, or it can be mounted from `mountFrom`, another
  // repository of the same registry (see mountDomain). Returns whether it is present.
  virtual bool reuseBlob(const Descriptor& blob, const std::optional<std::string>& mountFrom) = 0;
  // Streams a blob into the sink: the sink hands `produce` a writer for the
  // bytes and makes them the blob only once `produce` has returned (so a blob
  // that fails verification is never stored), and nothing of a blob whose
  // `produce` threw stays at the sink. A sink may call `produce` again, from
  // the first byte, to retry a transfer its side lost. The default writes into
  // a file in stagingDirectory(), the sink's own storage, and hands it to
  // putBlob; sinks without one override it. The caller holds no copy of the
  // bytes, so a sink keeps at most a small buffer per blob (docs/design.md, "Memory").
  virtual void writeBlob(const Descriptor& blob, const BlobProducer& produce);
  // Stores a blob from a local file whose digest the caller has verified. The
  // sink may move the file instead of copying it when it lies in stagingDirectory().
  virtual void putBlob(const Descriptor& blob, const std::filesystem::path& file) = 0;
  // Stores a blob held in memory (a small one ferry made itself: a rebuilt catalog's config), digest verified.
  // Sinks that keep files stage it through a temporary file.
  virtual void putBlobBytes(const Descriptor& blob, std::string bytes);
  // Where the sink keeps a blob it is still receiving (its own storage: a layout's blobs/), if it keeps files.
  virtual std::optional<std::filesystem::path> stagingDirectory() { return std::nullopt; }
  // Stores a manifest or index under its digest and, when `tag` is set, under
  // the tag. `root` marks the image's top manifest (the one a layout lists in
  // its index.json even without a tag); children are pushed with root false.
  virtual void putManifest(const RawManifest& manifest, const std::optional<std::string>& tag, bool root) = 0;
  // Sinks with the same non-empty mount domain can mount blobs from each other
  // (repositories of one registry); mountName() is what another sink passes as mountFrom.
  virtual std::string mountDomain() const { return {}; }
  virtual std::string mountName() const { return {}; }
  // Blobs are stored once per blob scope (a registry repository, a layout directory).
  virtual std::string blobScope() const = 0;
};

// Stores a blob from a staged temporary file and removes the file, whether the
// sink moved it, copied it, or failed.
void putStagedBlob(ImageSink& sink, const Descriptor& blob, const std::filesystem::path& staged);

}  // namespace ferry
