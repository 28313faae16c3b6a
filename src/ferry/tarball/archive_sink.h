// A sink that writes one file which becomes visible only when the run commits
// it: the image tars (oci-archive:, docker-archive:). Until commit() the bytes
// go to FILE.partial; commit() finishes the tar and renames it over FILE; a
// sink destroyed without commit() removes FILE.partial and leaves FILE as it was.
#pragma once

#include "ferry/transport/image_store.h"

namespace ferry {

class ArchiveSink : public ImageSink {
 public:
  // Completes the file and moves it into place. Throws Error if nothing was written.
  virtual void commit() = 0;
};

}  // namespace ferry
