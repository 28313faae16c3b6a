// `ferry mirror`: the command line of the three workflows (mirror/mirror.h).
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "ferry/cli/flags.h"

namespace ferry {

struct MirrorFlags {
  std::string config;
  std::string from;
  std::string workspace;
  std::vector<std::string> destination;
  bool dryRun = false;
  bool strict = false;
  int parallel = 8;
  bool parallelExplicit = false;  // --parallel was given
  int maxNestedPaths = 0;
  bool imageContentSourcePolicy = false;
  bool catalogSourceByTag = false;
  std::vector<std::string> sourceMirrors;
  std::string output = "text";
  bool quiet = false;
  bool v2 = false;
  std::string authFile;
  SideFlags source, dest;
  RetryFlags retries;
  // oc-mirror v2's flags (README, "Flags from oc-mirror and skopeo").
  std::string cacheDir;
  int parallelImages = 0;  // 0: not given
  int parallelLayers = 0;
  std::string since;
  std::string helm;  // --helm PATH
  bool strictArchive = false;
  std::string imageTimeout;
  // Platform narrowing (docs/platforms.md, "ferry mirror").
  std::string sparseIndexes = "learn";
  std::string platformFallback = "fail";
  bool sparse = false;
  std::string shard;      // --shard I/N or auto/N
  bool finalize = false;  // --finalize
  int port = 0;
  SignatureFlags signatures;
  // Releases (docs/releases.md).
  std::string updateUrl;          // --update-url, else $UPDATE_URL_OVERRIDE
  bool includeConditionalEdges = false;
  std::string releaseSignatureUrl;      // else $OCP_SIGNATURE_URL
  std::string releaseSignatureKeyring;  // else $OCP_SIGNATURE_VERIFICATION_PK, else Red Hat's key file when present
  bool ignoreReleaseSignature = false;
  std::string graphDataUrl;             // --graph-data-url (graph: true), else oc-mirror's
  std::string graphBaseImage;           // --graph-base-image, else oc-mirror's ubi9
  bool graphImageSignatures = false;    // --graph-image-signatures
  S3Flags s3;    // s3:// archives (docs/scale.md)
  // --emit-job N (docs/scale.md): write Kubernetes Jobs instead of running.
  int emitJob = 0;
  std::string jobImage;
  std::string jobName = "ferry-mirror";
  std::string jobSecret = "ferry-registry-auth";
  std::string jobNamespace;
  std::string jobOutput;
  std::string jobS3Secret = "ferry-s3-credentials";
  // The words after the program name, as given (for --emit-job's pod arguments).
  std::vector<std::string> commandLine;
  LogFlags log;  // the top-level --log-level / -v, for the working-dir log file
};

CLI::App* addMirrorCommand(CLI::App& app, MirrorFlags& flags);
int runMirrorCommand(const MirrorFlags& flags);

}  // namespace ferry
