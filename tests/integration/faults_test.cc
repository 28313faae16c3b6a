// ferry against real registries through the fault proxy (support/fault_proxy.h):
// dropped connections, cut bodies, 5xx, 429 with Retry-After, redirects to
// object storage with expiring links, upload sessions on another host, chunked
// uploads, refused mounts, expired tokens, missing digest headers.
//
// Every copy must end digest-identical (checked against the registry itself,
// not through the proxy), and every test checks that ferry retried exactly as
// often as the injected faults required: each fault that spoils a request
// costs one retry, and nothing else may.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <optional>
#include <fstream>
#include <regex>
#include <sstream>

#include "ferry/copy/endpoints.h"
#include "ferry/registry/registry_repository.h"
#include "integration/ferry_test_env.h"
#include "support/fault_proxy.h"

namespace ferry::testing {
namespace {

// Retries ferry reported: one warning line each ("warning: HOST: GET /v2/...: HTTP 503; retry 1/5 in 0.01s").
int retriesLogged(const CommandResult& result) {
  static const std::regex retryLine(R"(^warning: \S+: [A-Z]+ \S+: .*; retry \d+/\d+ in [0-9.]+s$)");
  int count = 0;
  std::istringstream lines(result.err);
  for (std::string line; std::getline(lines, line);)
    if (std::regex_match(line, retryLine)) ++count;
  return count;
}

// Asserts the retry count in the warnings and, for a copy that worked, in the summary line.
void expectRetries(const CommandResult& result, int expected) {
  EXPECT_EQ(retriesLogged(result), expected) << result.err;
  if (result.exitCode == 0 && expected > 0) {
    EXPECT_NE(result.err.find(fmt::format(", {} retr", expected)), std::string::npos) << result.err;
  }
}

class Faults : public ::testing::Test {
 protected:
  // A five-platform Docker manifest list (or OCI index) in a layout, a registry, a proxy before it.
  void start(RegistryMode mode, bool oci = false) {
    FixtureBuilder builder(fixtures_, 41);
    fixture_ = oci ? builder.ociIndex("image") : builder.dockerManifestList("image");
    registry_ = std::make_unique<TestRegistry>(mode);
    proxy_ = std::make_unique<FaultProxy>(*registry_);
  }

  std::string viaProxy(const std::string& repository = "app", const std::string& tag = "v1") const {
    return "docker://" + proxy_->host() + "/" + repository + ":" + tag;
  }
  std::string layout(const std::filesystem::path& directory) const { return "oci:" + directory.string() + ":image"; }

  // ferry copy with quick retries and the access flags of the registry on the registry side(s).
  CommandResult copy(const std::string& source, const std::string& destination, std::vector<std::string> extra = {}) {
    std::vector<std::string> args{"copy", "--retry-delay=10ms"};
    if (source.starts_with("docker://"))
      for (auto& flag : accessFlags(*registry_, "src")) args.push_back(flag);
    if (destination.starts_with("docker://"))
      for (auto& flag : accessFlags(*registry_, "dest")) args.push_back(flag);
    args.insert(args.end(), extra.begin(), extra.end());
    args.push_back(source);
    args.push_back(destination);
    return runFerry(args);
  }

  // Puts the fixture into the registry without the proxy, for the tests that pull.
  void seedRegistry(const std::string& repository = "app") {
    auto pushed = copy(layout(fixtures_), dockerRef(*registry_, repository, "v1"), {"-q"});
    ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  }

  // The registry itself holds the fixture, byte for byte: the top manifest as
  // skopeo reads it, and every manifest and blob as a direct pull finds them.
  void expectRegistryHolds(const std::string& repository = "app") {
    EXPECT_EQ(skopeoRaw(*registry_, repository, "v1"), readBlob(fixtures_, image().digest));
    auto out = work_.path() / ("check-" + repository);
    auto pulled = copy(dockerRef(*registry_, repository, "v1"), layout(out), {"-q"});
    ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
    expectLayoutHolds(out, image(), fixtures_);
  }

  // The largest blob of the fixture (the shared base layer) and its size.
  std::pair<Digest, int64_t> largestBlob() const {
    std::pair<Digest, int64_t> largest{image().blobs.front(), 0};
    for (const auto& digest : image().blobs) {
      auto size = static_cast<int64_t>(std::filesystem::file_size(fixtures_ / "blobs" / digest.blobPath()));
      if (size > largest.second) largest = {digest, size};
    }
    return largest;
  }

  // A basic-auth `destination` holds the fixture as mirror/app:v1, byte for byte (read back with skopeo and with a pull).
  void expectMirrorHolds(const TestRegistry& destination) {
    EXPECT_EQ(skopeoRaw(destination, "mirror/app", "v1"), readBlob(fixtures_, image().digest));
    auto out = work_.path() / "mirrored";
    auto check = runFerry({"copy", "-q", "--source-use-http", "--src-creds=testuser:testpass",
                           dockerRef(destination, "mirror/app", "v1"), layout(out)});
    ASSERT_EQ(check.exitCode, 0) << check.err;
    expectLayoutHolds(out, image(), fixtures_);
  }

  const FixtureImage& image() const { return *fixture_; }
  size_t blobCount() const { return image().blobs.size(); }

  TemporaryDirectory work_;
  std::filesystem::path fixtures_ = work_.path() / "fixtures";
  std::optional<FixtureImage> fixture_;
  std::unique_ptr<TestRegistry> registry_;
  std::unique_ptr<FaultProxy> proxy_;
};

TEST_F(Faults, ResetMidBlobDownloadResumesWithRange) {
  start(RegistryMode::Token);
  seedRegistry();
  auto [blob, size] = largestBlob();
  int64_t cutAt = size / 3;
  int reset = proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), cutAt));

  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_EQ(proxy_->fired(reset), 1);
  expectRetries(pulled, 1);
  // The second request asked for the rest, and got it as a 206.
  std::vector<SeenRequest> gets;
  for (const auto& seen : proxy_->requests())
    if (seen.method == "GET" && seen.target.ends_with(blob.str())) gets.push_back(seen);
  ASSERT_EQ(gets.size(), 2u);
  EXPECT_EQ(gets[1].range, fmt::format("bytes={}-", cutAt));
  EXPECT_EQ(gets[1].status, 206);
}

TEST_F(Faults, ResumeStartsOverWhenTheRegistryIgnoresRange) {
  start(RegistryMode::BasicAuth, /*oci=*/true);
  seedRegistry();
  auto blob = largestBlob().first;
  proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), 10000));
  proxy_->add(Fault::ignoreRange("GET", "/blobs/" + blob.str()).times(-1));

  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  expectRetries(pulled, 1);
  auto requests = proxy_->requests();
  auto resumed = std::find_if(requests.begin(), requests.end(), [](const SeenRequest& seen) { return !seen.range.empty(); });
  ASSERT_NE(resumed, requests.end());
  EXPECT_EQ(resumed->range, "bytes=10000-");
  EXPECT_EQ(resumed->status, 200);  // the whole blob again, which ferry took from its start
}

TEST_F(Faults, TruncatedBodiesAreResumed) {
  start(RegistryMode::Token);
  seedRegistry();
  auto blob = largestBlob().first;
  int first = proxy_->add(Fault::truncate("GET", "/blobs/" + blob.str(), 4096));
  int second = proxy_->add(Fault::truncate("GET", "/blobs/" + blob.str(), 4096));  // the resumed request too
  int manifest = proxy_->add(Fault::truncate("GET", "/manifests/sha256:", 100));

  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_EQ(proxy_->fired(first) + proxy_->fired(second) + proxy_->fired(manifest), 3);
  expectRetries(pulled, 3);
  EXPECT_EQ(proxy_->count("GET", "/blobs/" + blob.str()), 3u);
}

TEST_F(Faults, ServerErrorsWhilePullingAreRetried) {
  start(RegistryMode::BasicAuth);
  seedRegistry();
  proxy_->add(Fault::answer("GET", "/manifests/v1$", 500));
  proxy_->add(Fault::answer("GET", "/manifests/sha256:", 502));
  proxy_->add(Fault::reset("GET", "/manifests/sha256:", 0));  // the connection drops before a byte
  proxy_->add(Fault::answer("GET", "/blobs/sha256:", 503).times(2));

  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_EQ(proxy_->firedTotal(), 5);
  expectRetries(pulled, 5);
}

TEST_F(Faults, ServerErrorsWhilePushingAreRetried) {
  start(RegistryMode::Token, /*oci=*/true);
  proxy_->add(Fault::answer("HEAD", "/manifests/v1$", 503));
  proxy_->add(Fault::answer("POST", "/blobs/uploads/", 500));
  proxy_->add(Fault::answer("PUT", "/manifests/sha256:", 502));
  proxy_->add(Fault::answer("PUT", "/manifests/v1$", 504));

  auto pushed = copy(layout(fixtures_), viaProxy());
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  expectRegistryHolds();
  EXPECT_EQ(proxy_->firedTotal(), 4);
  expectRetries(pushed, 4);
}

TEST_F(Faults, TooManyRequestsWaitsAsLongAsRetryAfterSays) {
  start(RegistryMode::Token);
  seedRegistry();
  proxy_->add(Fault::tooManyRequests("GET", "/manifests/v1$", "1"));

  auto out = work_.path() / "out";
  auto began = std::chrono::steady_clock::now();
  auto pulled = copy(viaProxy(), layout(out));
  auto took = std::chrono::steady_clock::now() - began;
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_GE(took, std::chrono::seconds(1));
  expectRetries(pulled, 1);
  EXPECT_NE(pulled.err.find("HTTP 429; retry 1/5 in 1s"), std::string::npos) << pulled.err;
}

TEST_F(Faults, RedirectedDownloadsCarryNoCredentialsAndExpiredLinksAreRenewed) {
  start(RegistryMode::BasicAuth);
  seedRegistry();
  proxy_->redirectBlobDownloads();
  proxy_->expireLinks(1);

  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_EQ(proxy_->leakedAuthorizations(), 0);
  EXPECT_EQ(proxy_->expiredLinksServed(), 1);
  EXPECT_EQ(proxy_->sideRequests().size(), blobCount() + 1);
  expectRetries(pulled, 1);
  EXPECT_EQ(pulled.err.find("X-Amz-Signature"), std::string::npos) << "signed URLs are not logged: " << pulled.err;
}

TEST_F(Faults, BlobHeadRefusedByObjectStorageFallsBackToAGet) {
  start(RegistryMode::BasicAuth);
  seedRegistry();
  proxy_->redirectBlobDownloads(/*heads=*/true);
  proxy_->refuseStorageHeads();

  RegistryOptions options{.plainHttp = true, .credential = Credential{"testuser", "testpass"}};
  options.retry.delay = std::chrono::milliseconds(10);
  Endpoints endpoints(EndpointOptions{.source = options, .destination = {}});
  auto repository = endpoints.repository(ImageReference::parse(viaProxy()), false);
  EXPECT_TRUE(repository->hasBlob(largestBlob().first));
  EXPECT_FALSE(repository->hasBlob(Digest::sha256Of("never pushed")));
  EXPECT_EQ(repository->client().retryCount(), 0);
  EXPECT_EQ(proxy_->leakedAuthorizations(), 0);
  std::vector<std::string> seen;
  for (const auto& request : proxy_->sideRequests()) seen.push_back(request.method + " " + request.range);
  EXPECT_EQ(seen, (std::vector<std::string>{"HEAD ", "GET bytes=0-0", "HEAD ", "GET bytes=0-0"}));
}

TEST_F(Faults, AFailedUploadStartsANewSession) {
  start(RegistryMode::BasicAuth);
  int failed = proxy_->add(Fault::answer("PUT", "/blobs/uploads/", 503));

  auto pushed = copy(layout(fixtures_), viaProxy());
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  expectRegistryHolds();
  EXPECT_EQ(proxy_->fired(failed), 1);
  expectRetries(pushed, 1);
  // One mount probe per blob opened a session; the failed one was replaced by a new POST.
  EXPECT_EQ(proxy_->count("POST", "/blobs/uploads/"), blobCount() + 1);
  EXPECT_EQ(proxy_->count("PUT", "/blobs/uploads/"), blobCount() + 1);
}

TEST_F(Faults, UploadSessionsOnAnotherHostGetNoCredentials) {
  start(RegistryMode::Token, /*oci=*/true);
  proxy_->moveUploads();

  auto pushed = copy(layout(fixtures_), viaProxy());
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  expectRegistryHolds();
  EXPECT_EQ(proxy_->leakedAuthorizations(), 0);
  size_t sidePuts = 0;
  for (const auto& request : proxy_->sideRequests()) sidePuts += request.method == "PUT" ? 1 : 0;
  EXPECT_EQ(sidePuts, blobCount());
  EXPECT_EQ(proxy_->count("PUT", "/blobs/uploads/"), 0u);
  expectRetries(pushed, 0);
}

TEST_F(Faults, ClientErrorsFailAtOnce) {
  start(RegistryMode::BasicAuth);
  seedRegistry();
  auto out = work_.path() / "out";

  auto missing = copy(viaProxy("app", "nope"), layout(out));
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_NE(missing.err.find("HTTP 404"), std::string::npos) << missing.err;
  EXPECT_EQ(proxy_->count("GET", "/manifests/nope$"), 1u);
  expectRetries(missing, 0);

  auto blob = largestBlob().first;
  proxy_->add(Fault::answer("GET", "/blobs/" + blob.str(), 403));
  auto forbidden = copy(viaProxy(), layout(out));
  EXPECT_EQ(forbidden.exitCode, 1);
  EXPECT_NE(forbidden.err.find("HTTP 403"), std::string::npos) << forbidden.err;
  EXPECT_EQ(proxy_->count("GET", "/blobs/" + blob.str()), 1u);
  expectRetries(forbidden, 0);
}

TEST_F(Faults, GivesUpAfterRetryTimes) {
  start(RegistryMode::Plain);
  seedRegistry();
  proxy_->add(Fault::answer("GET", "/manifests/v1$", 503).times(-1));
  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out), {"--retry-times=2"});
  EXPECT_EQ(pulled.exitCode, 1);
  EXPECT_NE(pulled.err.find("HTTP 503 (INJECTED: a fault the test asked for) after 2 retries"), std::string::npos)
      << pulled.err;
  EXPECT_EQ(proxy_->count("GET", "/manifests/v1$"), 3u);
  expectRetries(pulled, 2);
}

TEST_F(Faults, ChunkedUploadHonoursTheRegistrysMinimumChunkLength) {
  start(RegistryMode::BasicAuth);
  const int64_t minimum = 20000;
  proxy_->requireChunkMinimum(minimum);
  proxy_->add(Fault::answer("PATCH", "/blobs/uploads/", 503));  // costs a new session for one blob

  auto pushed = copy(layout(fixtures_), viaProxy(), {"--chunk-size=8KiB"});
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  expectRegistryHolds();
  expectRetries(pushed, 1);
  // Chunks of exactly the minimum, all but each blob's last, which goes with the PUT.
  size_t expectedPatches = 1;  // the refused one
  for (const auto& digest : image().blobs) {
    auto size = static_cast<int64_t>(std::filesystem::file_size(fixtures_ / "blobs" / digest.blobPath()));
    expectedPatches += static_cast<size_t>(std::max<int64_t>(size - 1, 0) / minimum);
  }
  EXPECT_GT(expectedPatches, 1u);
  size_t patches = 0;
  for (const auto& request : proxy_->requests()) {
    if (request.method != "PATCH") continue;
    ++patches;
    EXPECT_EQ(request.bodySize, static_cast<size_t>(minimum));
    EXPECT_FALSE(request.contentRange.empty());
  }
  EXPECT_EQ(patches, expectedPatches);
}

TEST_F(Faults, RefusedCrossRepositoryMountFallsBackToUploadAndIsNotTriedAgain) {
  start(RegistryMode::BasicAuth);
  const std::string crossMount = "^/v2/second/blobs/uploads/\\?mount=.*&from=first$";
  proxy_->add(Fault::answer("POST", crossMount, 403).times(-1));
  std::string mapping = layout(fixtures_) + "=" + viaProxy("first") + "\n" + layout(fixtures_) + "=" + viaProxy("second") + "\n";
  writeFileAtomically(work_.path() / "mapping.txt", mapping);

  std::vector<std::string> args{"copy", "--retry-delay=10ms", "--parallel=1", "-f", (work_.path() / "mapping.txt").string()};
  for (auto& flag : accessFlags(*registry_, "dest")) args.push_back(flag);
  auto pushed = runFerry(args);
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  expectRegistryHolds("first");
  expectRegistryHolds("second");
  EXPECT_EQ(proxy_->count("POST", crossMount), 1u);
  EXPECT_NE(pushed.err.find("cross-repository mount refused (HTTP 403)"), std::string::npos) << pushed.err;
  expectRetries(pushed, 0);
}

TEST_F(Faults, AnExpiredTokenIsRenewedMidRun) {
  start(RegistryMode::Token);
  seedRegistry();
  auto countTokens = [&](const std::string& scope) {
    size_t count = 0;
    for (const auto& request : registry_->tokenServer()->requests())
      for (const auto& requested : request.scopes) count += requested == scope ? 1 : 0;
    return count;
  };
  auto blob = largestBlob().first;
  proxy_->add(Fault::unauthorized("GET", "/blobs/" + blob.str()));  // a streamed download
  proxy_->add(Fault::unauthorized("PUT", "/blobs/uploads/"));       // a streamed upload

  auto out = work_.path() / "out";
  auto pullTokens = countTokens("repository:app:pull");
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);
  EXPECT_EQ(countTokens("repository:app:pull") - pullTokens, 2u);  // the first, and a fresh one after the 401

  auto pushed = copy(layout(fixtures_), viaProxy("again"));
  ASSERT_EQ(pushed.exitCode, 0) << pushed.err;
  EXPECT_EQ(countTokens("repository:again:pull,push"), 2u);
  expectRegistryHolds("again");
  expectRetries(pulled, 0);
  expectRetries(pushed, 0);
}

TEST_F(Faults, MissingOrEmptyDigestHeadersAreComputed) {
  start(RegistryMode::BasicAuth, /*oci=*/true);
  seedRegistry();
  proxy_->add(Fault::dropHeader("", "/manifests/", "Docker-Content-Digest"));

  // By tag: the digest is computed from the bytes.
  auto out = work_.path() / "out";
  auto pulled = copy(viaProxy(), layout(out));
  ASSERT_EQ(pulled.exitCode, 0) << pulled.err;
  expectLayoutHolds(out, image(), fixtures_);

  // The destination check (HEAD) gets no digest: ferry reads the manifest and
  // finds the image there already.
  auto again = copy(layout(fixtures_), viaProxy());
  ASSERT_EQ(again.exitCode, 0) << again.err;
  EXPECT_NE(again.out.find("present"), std::string::npos) << again.out;
  EXPECT_EQ(proxy_->count("HEAD", "/manifests/v1$"), 1u);
  EXPECT_EQ(proxy_->count("GET", "/manifests/v1$"), 2u);  // the pull, and the check's fallback

  FaultProxy blank(*registry_);
  blank.add(Fault::setHeader("", "/manifests/", "Docker-Content-Digest", ""));
  auto blankCheck = runFerry({"copy", "--dest-use-http", "--dest-creds=testuser:testpass", layout(fixtures_),
                              "docker://" + blank.host() + "/app:v1"});
  ASSERT_EQ(blankCheck.exitCode, 0) << blankCheck.err;
  EXPECT_NE(blankCheck.out.find("present"), std::string::npos) << blankCheck.out;
  expectRetries(pulled, 0);
  expectRetries(again, 0);
}

TEST_F(Faults, RegistryToRegistryWithFaultsOnBothSides) {
  start(RegistryMode::Token);
  seedRegistry();
  TestRegistry destination(RegistryMode::BasicAuth);
  FaultProxy destinationProxy(destination);
  auto blob = largestBlob().first;
  proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), 8192));
  proxy_->add(Fault::answer("GET", "/manifests/sha256:", 502));
  destinationProxy.add(Fault::answer("PUT", "/blobs/uploads/", 503));
  destinationProxy.add(Fault::answer("PUT", "/manifests/sha256:", 500));

  auto copied = runFerry({"copy", "--retry-delay=10ms", "--source-use-http", "--src-creds=testuser:testpass",
                          "--dest-use-http", "--dest-creds=testuser:testpass", viaProxy(),
                          "docker://" + destinationProxy.host() + "/mirror/app:v1"});
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(proxy_->firedTotal() + destinationProxy.firedTotal(), 4);
  expectRetries(copied, 4);
  expectMirrorHolds(destination);
}

// Registry to registry with layers larger than the pipe: every transfer streams
// the source's GET into the destination's PUT (no copy in memory or on disk).
class StreamedFaults : public Faults {
 protected:
  void SetUp() override {
    FixtureBuilder builder(fixtures_, 43);
    fixture_ = builder.image("image", ImageSpec{.ownLayers = 2, .ownLayerMinSize = 3 << 20, .ownLayerMaxSize = 3 << 20});
    registry_ = std::make_unique<TestRegistry>(RegistryMode::BasicAuth);
    proxy_ = std::make_unique<FaultProxy>(*registry_);
    seedRegistry();
    ASSERT_GT(largestBlob().second, int64_t{RegistryRepository::kHeldBlobBytes});
  }

  CommandResult copyTo(const std::string& destination) {
    return runFerry({"copy", "--retry-delay=10ms", "--source-use-http", "--src-creds=testuser:testpass",
                     "--dest-use-http", "--dest-creds=testuser:testpass", viaProxy(), destination});
  }

  size_t sourceGetsOf(const Digest& blob) const { return proxy_->count("GET", "/blobs/" + blob.str() + "$"); }

  // Completed (201) and all upload PUTs of `blob` at `destination`.
  static std::pair<int, int> uploadsOf(const TestRegistry& destination, const Digest& blob) {
    int completed = 0, all = 0;
    for (const auto& entry : destination.accessLog()) {
      if (entry.method != "PUT" || entry.target.find(std::string(blob.hex())) == std::string::npos) continue;
      ++all;
      completed += entry.status == 201 ? 1 : 0;
    }
    return {completed, all};
  }

  // Changes one byte in the middle of the largest blob in the source registry's storage; returns the blob.
  Digest flipAByteOfTheLargestBlobAtTheSource() {
    auto [blob, size] = largestBlob();
    auto data = registry_->dataDir() / "docker/registry/v2/blobs/sha256" / std::string(blob.hex().substr(0, 2)) /
                std::string(blob.hex()) / "data";
    EXPECT_TRUE(std::filesystem::exists(data)) << data;
    std::fstream file(data, std::ios::in | std::ios::out | std::ios::binary);
    file.seekg(size / 2);
    char byte = 0;
    file.get(byte);
    file.seekp(size / 2);
    file.put(static_cast<char>(byte ^ 0x01));
    return blob;
  }

  TestRegistry destination_{RegistryMode::BasicAuth};
};

TEST_F(StreamedFaults, ASourceResetMidBlobResumesWithRangeIntoTheSameUpload) {
  auto [blob, size] = largestBlob();
  int reset = proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), size / 3));
  auto copied = copyTo(dockerRef(destination_, "mirror/app", "v1"));
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(proxy_->fired(reset), 1);
  EXPECT_EQ(sourceGetsOf(blob), 2u);  // the first, cut; the rest with Range
  EXPECT_EQ(uploadsOf(destination_, blob), std::make_pair(1, 1));  // one upload took both
  expectMirrorHolds(destination_);
}

TEST_F(StreamedFaults, ASourceThatStartsOverMidBlobGetsTheUploadSentAgainWhole) {
  auto [blob, size] = largestBlob();
  int reset = proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), size / 2));
  int ignored = proxy_->add(Fault::ignoreRange("GET", "/blobs/" + blob.str()));
  auto copied = copyTo(dockerRef(destination_, "mirror/app", "v1"));
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(proxy_->fired(reset), 1);
  EXPECT_EQ(proxy_->fired(ignored), 1);
  // The whole body after the cut restarts the blob; bytes already sent cannot be
  // taken back, so the upload starts over with the source read once more.
  EXPECT_GE(sourceGetsOf(blob), 2u);
  EXPECT_EQ(uploadsOf(destination_, blob).first, 1);
  expectMirrorHolds(destination_);
}

TEST_F(StreamedFaults, ADestinationFailingAStreamedUploadIsRetriedReadingTheSourceAgain) {
  auto [blob, size] = largestBlob();
  FaultProxy destinationProxy(destination_);
  int refused = destinationProxy.add(Fault::answer("PUT", "/blobs/uploads/.*" + std::string(blob.hex()), 503));
  auto copied = copyTo("docker://" + destinationProxy.host() + "/mirror/app:v1");
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(destinationProxy.fired(refused), 1);
  // Nothing was kept of the first attempt: the retry streamed the blob from the source again.
  EXPECT_EQ(sourceGetsOf(blob), 2u);
  EXPECT_EQ(uploadsOf(destination_, blob), std::make_pair(1, 1));
  expectRetries(copied, 1);
  expectMirrorHolds(destination_);
}

TEST_F(StreamedFaults, ADestinationConnectionLostMidUploadIsRetriedWholeReadingTheSourceAgain) {
  auto [blob, size] = largestBlob();
  FaultProxy destinationProxy(destination_);
  int cut = destinationProxy.add(Fault::cutRequest("PUT", "/blobs/uploads/.*" + std::string(blob.hex()), size / 2));
  auto copied = copyTo("docker://" + destinationProxy.host() + "/mirror/app:v1");
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(destinationProxy.fired(cut), 1);
  EXPECT_EQ(sourceGetsOf(blob), 2u);
  EXPECT_EQ(uploadsOf(destination_, blob).first, 1);
  expectRetries(copied, 1);
  expectMirrorHolds(destination_);
}

// Into an oci-archive: the blob streams into its tar member, a source that starts over starts the member over,
// and skopeo reads the archive back with the source's digest.
TEST_F(StreamedFaults, AnOciArchiveTakesAStreamedBlobThatStartedOverWhole) {
  auto [blob, size] = largestBlob();
  int reset = proxy_->add(Fault::reset("GET", "/blobs/" + blob.str(), size / 2));
  int ignored = proxy_->add(Fault::ignoreRange("GET", "/blobs/" + blob.str()));
  auto archive = work_.path() / "app.tar";
  auto copied = copyTo("oci-archive:" + archive.string() + ":v1");
  ASSERT_EQ(copied.exitCode, 0) << copied.err;
  EXPECT_EQ(proxy_->fired(reset), 1);
  EXPECT_EQ(proxy_->fired(ignored), 1);
  EXPECT_EQ(Digest::sha256Of(runChecked({"skopeo", "inspect", "--raw", "oci-archive:" + archive.string() + ":v1"})),
            image().digest);
  auto layout = work_.path() / "read-back";
  runChecked({"skopeo", "copy", "oci-archive:" + archive.string() + ":v1", "oci:" + layout.string() + ":v1"});
  EXPECT_TRUE(std::filesystem::exists(layout / "blobs" / "sha256" / std::string(blob.hex())));
}

// A blob that fails verification leaves no archive behind: not the file, not its .partial.
TEST_F(StreamedFaults, AnOciArchiveIsNotWrittenWhenABlobDoesNotMatchItsDigest) {
  flipAByteOfTheLargestBlobAtTheSource();
  auto archive = work_.path() / "bad.tar";
  auto copied = copyTo("oci-archive:" + archive.string() + ":v1");
  EXPECT_NE(copied.exitCode, 0);
  EXPECT_NE(copied.err.find("does not match its digest"), std::string::npos) << copied.err;
  EXPECT_FALSE(std::filesystem::exists(archive));
  EXPECT_FALSE(std::filesystem::exists(archive.string() + ".partial"));
}

TEST_F(StreamedFaults, BytesThatDoNotMatchTheDigestNeverBecomeABlobAtTheDestination) {
  auto blob = flipAByteOfTheLargestBlobAtTheSource();
  auto copied = copyTo(dockerRef(destination_, "mirror/app", "v1"));
  EXPECT_NE(copied.exitCode, 0);
  EXPECT_NE(copied.err.find("does not match its digest"), std::string::npos) << copied.err;
  EXPECT_EQ(uploadsOf(destination_, blob).first, 0);
  EXPECT_FALSE(std::filesystem::exists(destination_.dataDir() / "docker/registry/v2/blobs/sha256" /
                                       std::string(blob.hex().substr(0, 2)) / std::string(blob.hex())));
  EXPECT_FALSE(std::filesystem::exists(destination_.dataDir() / "docker/registry/v2/repositories/mirror/app/_manifests"));
}

}  // namespace
}  // namespace ferry::testing

namespace ferry::testing {
namespace {

TEST_F(Faults, ADrippingManifestGetEndsAtTheRequestDeadline) {
  start(RegistryMode::Plain);
  seedRegistry();
  // 100 KiB promised, one byte a second: within the 8 MiB cap, so only the deadline ends it.
  proxy_->add(Fault::drip("GET", "/manifests/v1$", 100 << 10).times(-1));
  auto out = work_.path() / "out";
  auto started = std::chrono::steady_clock::now();
  auto pulled = copy(viaProxy(), layout(out), {"--request-timeout=2s"});
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(pulled.exitCode, 1) << pulled.err;
  EXPECT_NE(pulled.err.find("did not complete within its 2s deadline"), std::string::npos) << pulled.err;
  EXPECT_NE(pulled.err.find("GET http://" + proxy_->host() + "/v2/app/manifests/v1"), std::string::npos) << pulled.err;
  EXPECT_NE(pulled.err.find("--request-timeout"), std::string::npos) << pulled.err;
  // A deadline is not retried: asking again would only wait as long again.
  EXPECT_EQ(proxy_->count("GET", "/manifests/v1$"), 1u);
  expectRetries(pulled, 0);
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(Faults, AManifestAnnouncedOverTheCapIsRefusedOnItsHead) {
  start(RegistryMode::Plain);
  seedRegistry();
  // 10^12 bytes announced, then a drip: refused at once from Content-Length, not after the body.
  proxy_->add(Fault::drip("GET", "/manifests/v1$", 1000000000000).times(-1));
  auto out = work_.path() / "out";
  auto started = std::chrono::steady_clock::now();
  auto pulled = copy(viaProxy(), layout(out));
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(pulled.exitCode, 1) << pulled.err;
  EXPECT_NE(pulled.err.find("larger than 8 MiB"), std::string::npos) << pulled.err;
  EXPECT_LT(took, std::chrono::seconds(20));
}

}  // namespace
}  // namespace ferry::testing
