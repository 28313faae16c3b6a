// A sink that writes one file which becomes visible only when the run commits
// it: the image tars (oci-archive:, docker-archive:). Until commit() the bytes
// go to FILE.partial; commit() finishes the tar and renames it over FILE; a
// sink destroyed without commit() removes FILE.partial and leaves FILE as it was.
#pragma once

#include <mutex>
#include <string>

#include "ferry/imagefs/tar_writer.h"
#include "ferry/transport/image_store.h"

namespace ferry {

class ArchiveSink : public ImageSink {
 public:
  // Completes the file and moves it into place. Throws Error if nothing was written.
  virtual void commit() = 0;

 protected:
  // Streams a blob straight into a new member `member` of `tar` (no staging
  // file): the room is reserved under `tarMutex`, filled without it (other
  // blobs stream beside it), and given up when `produce` throws — cut off, or
  // renamed "discarded/<member>" and zeroed when members follow it.
  void streamMember(TarWriter& tar, std::mutex& tarMutex, const std::string& member, const Descriptor& blob,
                    const BlobProducer& produce);
};

}  // namespace ferry
