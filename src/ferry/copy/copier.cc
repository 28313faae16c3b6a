#include "ferry/copy/copier.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "ferry/base/error.h"
#include "ferry/base/log.h"
#include "ferry/base/files.h"
#include "ferry/copy/attachments.h"
#include "ferry/transport/capabilities.h"
#include "ferry/transport/image_graph.h"
#include "ferry/transport/overlay_source.h"

namespace ferry {
namespace {

// Receives a download while hashing it and counting its bytes, stops it as
// soon as it is longer than the descriptor says, and at the end refuses it
// unless it is exactly the blob. Subclasses say where the bytes go.
class VerifyingWriter : public BlobWriter {
 public:
  VerifyingWriter(const Descriptor& blob, CopyProgress& progress)
      : blob_(blob), hasher_(blob.digest.algorithm()), progress_(progress) {}

  bool write(const char* data, size_t size) override {
    if (static_cast<int64_t>(hasher_.bytesHashed() + size) > blob_.size) {
      tooLong_ = true;
      return false;
    }
    if (!store(data, size)) return false;
    hasher_.update(data, size);
    progress_.bytesDone += static_cast<int64_t>(size);
    return true;
  }

  void restart() override {
    progress_.bytesDone -= static_cast<int64_t>(hasher_.bytesHashed());
    hasher_.reset();
    discard();
  }

  // Throws unless every byte was stored and they are exactly the blob.
  void verify(const std::string& from) {
    if (!storeError_.empty()) fail("cannot stage blob {}: {}", blob_.digest.str(), storeError_);
    if (tooLong_)
      fail("blob {} from {} is longer than the {} bytes its descriptor says; refusing it", blob_.digest.str(), from,
           blob_.size);
    auto received = static_cast<int64_t>(hasher_.bytesHashed());
    if (received != blob_.size)
      fail("blob {} from {} has {} bytes, its descriptor says {}; refusing it", blob_.digest.str(), from, received,
           blob_.size);
    auto actual = hasher_.finish();
    if (actual != blob_.digest)
      fail("blob {} from {} does not match its digest (its bytes hash to {}); refusing it", blob_.digest.str(), from,
           actual.str());
  }

 protected:
  virtual bool store(const char* data, size_t size) = 0;
  virtual void discard() = 0;
  std::string storeError_;

 private:
  const Descriptor& blob_;
  Hasher hasher_;
  CopyProgress& progress_;
  bool tooLong_ = false;
};

// Hands a download to a sink's writer as it arrives, verified on the way.
class ForwardingWriter : public VerifyingWriter {
 public:
  ForwardingWriter(const Descriptor& blob, CopyProgress& progress, BlobWriter& out)
      : VerifyingWriter(blob, progress), out_(out) {}
  // Takes back the bytes counted as done when the attempt failed.
  void uncount() {
    uncounting_ = true;
    restart();
  }

 protected:
  bool store(const char* data, size_t size) override {
    if (out_.write(data, size)) return true;
    storeError_ = "the destination stopped taking its bytes";
    return false;
  }
  void discard() override {
    if (!uncounting_) out_.restart();
  }

 private:
  BlobWriter& out_;
  bool uncounting_ = false;
};

// One manifest under a tag (and its digest), nothing else: put over a source
// with OverlaySource, it makes the source seem to keep that manifest there.
class TaggedManifest : public ImageSource {
 public:
  TaggedManifest(RawManifest manifest, std::string tag, std::string what)
      : manifest_(std::move(manifest)), tag_(std::move(tag)), what_(std::move(what)) {}
  std::string describe() const override { return what_; }
  RawManifest getManifest(const std::string& reference) override {
    if (reference == tag_ || reference == manifest_.digest.str()) return manifest_;
    fail(ErrorKind::NotFound, "{} holds {} only, not {}", what_, tag_, reference);
  }
  void readBlob(const Descriptor& blob, BlobWriter&) override {
    fail(ErrorKind::NotFound, "{} holds no blob ({})", what_, blob.digest.str());
  }

 private:
  RawManifest manifest_;
  std::string tag_;
  std::string what_;
};

// "sha256-<64 hex>": the referrers tag schema's fallback tag (not cosign's .sig and friends).
bool isReferrersTag(const std::string& tag) {
  auto hex = std::string_view(tag).substr(std::min<size_t>(7, tag.size()));
  return tag.starts_with("sha256-") && hex.size() == 64 &&
         hex.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// The source's fallback index with the entries only the destination's has
// appended (OCI's referrers tag schema: clients add to the index, not replace
// it); nullopt when the destination's cannot be read or adds nothing.
std::optional<RawManifest> mergedReferrersIndex(ImageSink& sink, const std::string& tag, const RawManifest& source) {
  auto* readable = dynamic_cast<ImageSource*>(&sink);
  if (!readable) return std::nullopt;
  try {
    auto theirs = readable->getManifest(tag);
    auto theirJson = nlohmann::ordered_json::parse(theirs.bytes);
    auto merged = nlohmann::ordered_json::parse(source.bytes);
    if (!merged.contains("manifests") || !theirJson.contains("manifests")) return std::nullopt;
    std::set<std::string> ours;
    for (const auto& entry : merged["manifests"]) ours.insert(entry.value("digest", ""));
    bool added = false;
    for (const auto& entry : theirJson["manifests"])
      if (ours.insert(entry.value("digest", "")).second) {
        merged["manifests"].push_back(entry);
        added = true;
      }
    if (!added) return std::nullopt;
    return RawManifest::of(merged.dump(), source.mediaType);
  } catch (const std::exception& e) {
    log::info("cannot merge the referrers under {} at {} ({}); the source's index replaces it", tag, sink.describe(),
              e.what());
    return std::nullopt;
  }
}

}  // namespace

Copier::Copier(Endpoints& endpoints, CopyOptions options)
    : endpoints_(endpoints),
      options_(options),
      transfers_(std::make_unique<ThreadPool>(options.parallel)) {}

Copier::~Copier() { transfers_.reset(); }

struct Copier::ImagePlan {
  const CopyRequest* request = nullptr;
  CopyResult* result = nullptr;
  bool selectPlatforms = true;  // attachments are copied whole
  std::shared_ptr<ImageSource> source;
  std::shared_ptr<ImageSink> sink;
  std::optional<ImageGraph> graph;
  bool sparse = false;
  bool finished = false;  // failed or already present: nothing to transfer
};

std::vector<CopyResult> Copier::run(const std::vector<CopyRequest>& requests) {
  std::vector<ImagePlan> plans;
  auto results = runRound(requests, true, plans);
  if (!options_.attachments) return results;

  // Attachments go after their subject, a round per level of nesting. Each
  // owner's attachments vector is sized before it is filled, so the owners of
  // the next round (its elements) stay where they are.
  std::vector<CopyResult*> owners;
  for (auto& result : results) owners.push_back(&result);
  std::deque<std::vector<CopyRequest>> rounds;  // the plans point at their requests
  for (int depth = 0; depth < kMaxAttachmentDepth && !owners.empty(); ++depth) {
    auto& next = rounds.emplace_back();
    std::vector<size_t> ownerOf;  // index into owners, per request of `next`
    // Looking for attachments asks the source (a tag list per repository, a referrers query per manifest where
    // the API exists): as many images at once as transfers, each writing only its own entry.
    std::vector<std::vector<CopyRequest>> found(owners.size());
    {
      ThreadPool lookups(std::max(1, std::min<int>(options_.parallel, static_cast<int>(owners.size()))));
      for (size_t i = 0; i < owners.size(); ++i)
        if (owners[i]->ok) lookups.submit([&, i] { found[i] = attachmentRequests(plans[i], *owners[i]); });
    }
    for (size_t i = 0; i < owners.size(); ++i)
      for (auto& request : found[i]) {
        next.push_back(std::move(request));
        ownerOf.push_back(i);
      }
    if (next.empty()) break;
    std::vector<ImagePlan> nextPlans;
    auto round = runRound(next, false, nextPlans);
    std::vector<size_t> counts(owners.size(), 0);
    for (auto owner : ownerOf) ++counts[owner];
    for (size_t i = 0; i < owners.size(); ++i) owners[i]->attachments.reserve(counts[i]);
    std::vector<CopyResult*> nextOwners;
    for (size_t k = 0; k < round.size(); ++k) {
      auto& owner = *owners[ownerOf[k]];
      owner.attachments.push_back(std::move(round[k]));
      nextOwners.push_back(&owner.attachments.back());
      // The plan points at the result it filled, which moved into the owner.
      nextPlans[k].result = nextOwners.back();
    }
    owners = std::move(nextOwners);
    plans = std::move(nextPlans);
  }
  // An image whose signature or referrer did not arrive is not copied as it
  // should be (a cluster that verifies would refuse it): it fails, naming what is missing.
  std::function<const CopyResult*(const CopyResult&)> firstFailed = [&](const CopyResult& result) -> const CopyResult* {
    for (const auto& attached : result.attachments) {
      if (!attached.ok) return &attached;
      if (const auto* nested = firstFailed(attached)) return nested;
    }
    return nullptr;
  };
  for (auto& result : results)
    if (result.ok)
      if (const auto* failed = firstFailed(result)) {
        result.ok = false;
        result.error = fmt::format("the image is in, but its attachment {} (signature or referrer) is not: {}",
                                   failed->request.source.str(), failed->error);
      }
  return results;
}

std::vector<CopyResult> Copier::runRound(const std::vector<CopyRequest>& requests, bool selectPlatforms,
                                         std::vector<ImagePlan>& plans) {
  std::vector<CopyResult> results(requests.size());
  plans.assign(requests.size(), ImagePlan{});
  for (size_t i = 0; i < requests.size(); ++i) {
    plans[i].request = &requests[i];
    plans[i].result = &results[i];
    plans[i].selectPlatforms = selectPlatforms;
    results[i].request = requests[i];
  }
  progress_.imagesTotal += static_cast<int64_t>(requests.size());
  // What failed in an earlier run is tried again in this one (a sparse index refused, then copied whole):
  // within a run, images that share a failed push fail with it.
  auto forgetFailures = [](auto& completions) {
    for (auto it = completions.begin(); it != completions.end();) {
      std::string error;
      bool done = it->second->waitUntil(std::chrono::steady_clock::now(), error);
      it = done && !error.empty() ? completions.erase(it) : std::next(it);
    }
  };
  {
    std::lock_guard lock(mutex_);
    forgetFailures(manifests_);
    forgetFailures(blobs_);
  }
  // Image coordinators only read manifests and wait for their blobs; the
  // transfer pool does the heavy lifting, so waiting here cannot starve it.
  int coordinators = std::min<int>(options_.parallel, static_cast<int>(std::max<size_t>(requests.size(), 1)));
  progress_.planning = true;
  {
    ThreadPool images(coordinators);
    for (auto& plan : plans) images.submit([this, &plan] { planImage(plan); });
  }
  progress_.planning = false;
  if (options_.shard) takeShare(plans);
  if (options_.blobsMustExist) requireEveryBlob(plans);
  {
    ThreadPool images(coordinators);
    for (auto& plan : plans) {
      if (plan.finished) continue;
      images.submit([this, &plan] {
        transferImage(plan);
        ++progress_.imagesDone;
      });
    }
  }
  return results;
}

void Copier::checkPolicy(const ImageReference& image, ImageSource& source) const {
  if (!options_.policy) return;
  options_.policy->check(image, source, source.getManifest(image.manifestReference()));
}

std::vector<std::string> Copier::sourceTags(ImageSource& source, CopyResult& result) {
  auto key = source.describe();
  std::shared_ptr<TagListing> listing;
  {
    std::lock_guard lock(mutex_);
    auto& entry = sourceTags_[key];
    if (!entry) entry = std::make_shared<TagListing>();
    listing = entry;
  }
  // Once per repository, whichever image asks first; the others wait for its answer.
  std::call_once(listing->once, [&] {
    if (auto* lister = capability<TagLister>(source)) {
      try {
        listing->tags = lister->listTags();
      } catch (const Error& e) {
        listing->error = e.what();
      }
    }
  });
  if (!listing->error.empty())
    result.warnings.push_back(
        fmt::format("signatures and referrers not copied: cannot list the tags of {}: {}", key, listing->error));
  return listing->tags;
}

std::vector<CopyRequest> Copier::attachmentRequests(const ImagePlan& plan, CopyResult& result) {
  if (!plan.source || !plan.sink || !result.digest) return {};
  // What the destination holds: the pushed graph's manifests, or (already there) its top.
  std::vector<Digest> subjects;
  if (plan.graph) {
    for (const auto* node : plan.graph->bottomUp()) subjects.push_back(node->raw.digest);
  } else {
    subjects.push_back(*result.digest);
  }
  auto tags = attachmentTagsFor(sourceTags(*plan.source, result), subjects);
  auto request = [&](std::string tag, std::shared_ptr<ImageSource> from) {
    CopyRequest attached{.source = plan.request->source, .destination = plan.request->destination,
                         .from = std::move(from), .to = plan.sink};
    attached.source.tag = tag;
    attached.source.digest.reset();
    attached.destination.tag = std::move(tag);
    attached.destination.digest.reset();
    return attached;
  };
  std::vector<CopyRequest> requests;
  for (auto& tag : tags) requests.push_back(request(std::move(tag), plan.source));

  // A source with the referrers API keeps referrers under no tag: its answer becomes the fallback
  // index at the destination (an OCI index of them, which brings the referrers along as its children).
  if (auto* api = capability<ReferrersApi>(*plan.source)) {
    std::set<std::string> tagged(tags.begin(), tags.end());
    for (const auto& subject : subjects) {
      auto fallback = referrersTag(subject);
      if (tagged.contains(fallback)) continue;
      std::optional<RawManifest> index;
      try {
        index = api->referrersIndex(subject);
      } catch (const Error& e) {
        result.warnings.push_back(fmt::format("referrers of {} not copied: {}", subject.str(), e.what()));
        continue;
      }
      if (!index) break;  // no referrers API there
      if (Manifest::parse(index->bytes, index->mediaType).manifests.empty()) continue;
      // The answer under the tag, over the source (which has the referrers and their blobs).
      auto answer = std::make_shared<TaggedManifest>(std::move(*index), fallback, "the referrers API's answer");
      requests.push_back(request(fallback, std::make_shared<OverlaySource>(answer, plan.source)));
    }
  }
  return requests;
}

void Copier::planImage(ImagePlan& plan) {
  const auto& request = *plan.request;
  auto& result = *plan.result;
  try {
    plan.source = request.from ? request.from : endpoints_.source(request.source);
    plan.sink = request.to ? request.to : endpoints_.sink(request.destination);
    auto top = plan.source->getManifest(request.source.manifestReference());
    result.mediaType = top.mediaType;
    // The signature policy judges the image as the source holds it, before anything of it moves.
    if (options_.policy && plan.selectPlatforms && !request.policyChecked)
      options_.policy->check(request.source, *plan.source, top);

    // With a platform selection the graph is needed first: the digest to look
    // for at the destination is the narrowed one.
    const auto& selection = request.platforms ? *request.platforms : options_.platforms;
    if (plan.selectPlatforms && selection.active() && Manifest::parse(top.bytes, top.mediaType).isIndex) {
      auto filtered = selectPlatforms(
          fetchImageGraph(*plan.source, top, skipUnselected(selection)), selection,
          [&](const Descriptor& blob) { return readSmallBlob(*plan.source, blob); }, request.source.str());
      result.warnings = filtered.warnings;
      plan.sparse = filtered.sparse;
      result.sparse = filtered.sparse;
      std::set<std::string> carried;
      for (const auto& decision : filtered.decisions)
        if (decision.kept && decision.platform.isReal()) carried.insert(decision.platform.str());
      result.platforms.assign(carried.begin(), carried.end());
      if (filtered.sparse && request.sparseRefusedByDestination) {
        result.sparseRefused = true;
        fail(ErrorKind::Unsupported, "{} does not take sparse indexes (the original index with only some children)",
             plan.sink->describe());
      }
      if (filtered.graph.raw.digest != top.digest) result.sourceDigest = top.digest;
      result.mediaType = filtered.graph.raw.mediaType;
      plan.graph = std::move(filtered.graph);
    }
    const Digest& wanted = plan.graph ? plan.graph->raw.digest : top.digest;
    result.digest = wanted;
    if (request.destination.digest && *request.destination.digest != wanted)
      fail(ErrorKind::Conflict, "destination names digest {} but the image to push is {}",
           request.destination.digest->str(), wanted.str());

    const auto& tag = request.destination.tag;
    // A shard plans what is there already too: every worker splits the same blobs.
    auto present = options_.shard ? std::nullopt : plan.sink->manifestDigest(tag ? *tag : wanted.str());
    if (!plan.selectPlatforms && present && *present != wanted && tag && isReferrersTag(*tag)) {
      // Another run (or tool) left referrers of its own under this fallback tag: keep them beside the source's.
      if (!plan.graph) plan.graph = fetchImageGraph(*plan.source, top);
      if (auto merged = mergedReferrersIndex(*plan.sink, *tag, plan.graph->raw)) {
        plan.graph->raw = std::move(*merged);
        result.digest = plan.graph->raw.digest;
      }
    }
    if (present == result.digest) {
      log::debug("skipped {}: {} is at {} already", request.source.str(), result.digest->str(),
                 request.destination.str());
      result.ok = true;
      result.alreadyPresent = true;
    } else {
      if (!plan.graph) plan.graph = fetchImageGraph(*plan.source, std::move(top));
      std::lock_guard lock(mutex_);
      // A shard counts its share only, once the round's blobs are known (takeShare).
      if (!options_.shard)
        for (const auto& blob : plan.graph->blobs()) {
        if (!plannedBlobs_.insert(plan.sink->blobScope() + "@" + blob.digest.str()).second) continue;
        ++progress_.blobsTotal;
        progress_.bytesTotal += blob.size;
      }
    }
  } catch (const Error& e) {
    result.error = e.what();
  } catch (const std::exception& e) {
    result.error = fmt::format("unexpected failure: {}", e.what());
  }
  plan.finished = result.alreadyPresent || !result.error.empty();
  if (plan.finished) ++progress_.imagesDone;
  ++progress_.imagesPlanned;
}

void Copier::transferImage(ImagePlan& plan) {
  auto& result = *plan.result;
  const auto started = std::chrono::steady_clock::now();
  const auto& graph = *plan.graph;
  try {
    // A shard writing parts of its own (an archive) writes the manifests too; into
    // a registry, which all shards share, they wait for the finalize step.
    auto* ownParts = options_.shard ? capability<ShardPartsSink>(*plan.sink) : nullptr;
    std::vector<std::pair<Descriptor, std::shared_ptr<Completion>>> pending;
    for (const auto& blob : graph.blobs()) {
      int owner = options_.shard ? shardOf(blob.digest) : 0;
      if (!options_.shard || owner == options_.shard->index)
        pending.emplace_back(blob, ensureBlob(plan.source, plan.sink, blob));
      else if (ownParts)
        ownParts->blobOfAnotherShard(blob, owner, options_.shard->count);
    }
    std::string firstError;
    int failed = 0;
    for (auto& [blob, done] : pending) {
      std::string error;
      if (options_.imageTimeout.count() == 0) {
        error = done->wait();
      } else if (!done->waitUntil(started + options_.imageTimeout, error)) {
        fail("the image did not finish within --image-timeout {}s (blob {} of its {} still moving), so no "
             "manifest was pushed; raise --image-timeout",
             options_.imageTimeout.count() / 1000.0, blob.digest.str(), pending.size());
      }
      if (!error.empty() && failed++ == 0) firstError = error;
    }
    if (failed > 0)
      fail("{} of {} blobs failed, so no manifest was pushed; first: {}", failed, pending.size(), firstError);
    if (options_.shard && !ownParts) {
      result.ok = true;
      result.leftToFinalize = true;
      return;
    }

    const auto& tag = plan.request->destination.tag;
    for (const auto* node : graph.bottomUp()) {
      bool isTop = node == &graph;
      try {
        pushManifest(*plan.sink, node->raw, isTop ? tag : std::nullopt, isTop);
      } catch (const Error& e) {
        if (!isTop || !plan.sparse) throw;
        auto kind = e.kind();
        if (kind == ErrorKind::Unauthorized || kind == ErrorKind::Unreachable || kind == ErrorKind::Timeout ||
            kind == ErrorKind::Limit)
          throw;
        result.sparseRefused = true;
        fail(ErrorKind::Unsupported,
             "{}; the registry refused the sparse index (original digest, only the selected children): it requires "
             "every child to exist. Copy without --sparse to push a filtered index with a new digest",
             e.what());
      }
    }
    result.ok = true;
  } catch (const Error& e) {
    result.error = e.what();
  } catch (const std::exception& e) {
    result.error = fmt::format("unexpected failure: {}", e.what());
  }
}

void Copier::pushManifest(ImageSink& sink, const RawManifest& manifest, const std::optional<std::string>& tag,
                          bool root) {
  const std::string stored = sink.blobScope() + "@" + manifest.digest.str();
  // A root push adds an entry (a tag, or a layout's index.json line) that a child push does not.
  const std::string entry = root ? stored + "#" + tag.value_or("") : stored;
  std::shared_ptr<Completion> earlier;  // the push of these bytes that another image made or makes
  std::shared_ptr<Completion> mine;
  {
    std::lock_guard lock(mutex_);
    if (auto it = manifests_.find(entry); it != manifests_.end()) {
      earlier = it->second;  // exactly this push is made (or was) for another image
    } else {
      mine = std::make_shared<Completion>();
      if (auto pushed = manifests_.find(stored); pushed != manifests_.end()) {
        earlier = pushed->second;  // the bytes are pushed by another image; the tag follows
      } else {
        manifests_[stored] = mine;
      }
      manifests_[entry] = mine;
    }
  }
  if (earlier) {
    auto error = earlier->wait();
    if (!error.empty())
      fail("cannot push manifest {} to {}: pushing it for another image failed: {}", manifest.digest.str(),
           sink.describe(), error);
  }
  if (!mine) return;
  // The finalize step of a sharded run may run in several workers at once, each pushing the same manifests.
  // distribution 2.8 rewrites a repository's link files in place, so a push can briefly find a child or blob
  // "unknown" that is there (MANIFEST_BLOB_UNKNOWN, DIGEST_INVALID): every blob was checked just before,
  // so such a refusal is tried again.
  const int attempts = options_.blobsMustExist ? 4 : 1;
  for (int attempt = 1;; ++attempt) {
    try {
      sink.putManifest(manifest, tag, root);
      break;
    } catch (const Error& e) {
      bool passing = e.kind() == ErrorKind::NotFound || e.kind() == ErrorKind::Other;
      if (attempt < attempts && passing) {
        log::info("pushing manifest {} to {} again: {}", manifest.digest.str(), sink.describe(), e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(250 << (attempt - 1)));
        continue;
      }
      mine->complete(e.what());
      throw;
    } catch (const std::exception& e) {
      mine->complete(e.what());
      throw;
    }
  }
  mine->complete({});
}

std::shared_ptr<Completion> Copier::ensureBlob(const std::shared_ptr<ImageSource>& source,
                                               const std::shared_ptr<ImageSink>& sink, const Descriptor& blob) {
  auto done = std::make_shared<Completion>();
  std::optional<FirstPush> mountSource;
  {
    std::lock_guard lock(mutex_);
    auto key = sink->blobScope() + "@" + blob.digest.str();
    if (auto it = blobs_.find(key); it != blobs_.end()) return it->second;
    blobs_[key] = done;
    if (auto domain = sink->mountDomain(); !domain.empty()) {
      auto [it, first] = firstPushes_.try_emplace(domain + "@" + blob.digest.str(), FirstPush{done, sink->mountName()});
      if (!first) mountSource = it->second;
    }
  }

  auto finish = [this, done](const std::string& error) {
    ++progress_.blobsDone;
    done->complete(error);
  };
  auto transfer = [this, source, sink, blob, finish](std::optional<std::string> mountFrom) {
    try {
      if (options_.blobsMustExist) {
        // One missing blob fails the round: the others need not be asked.
        if (missingBlobs_ > 0) return finish("not checked: another blob of the run is missing");
        auto* checker = capability<BlobChecker>(*sink);
        if (checker ? checker->hasBlob(blob.digest) : sink->reuseBlob(blob, std::nullopt)) {
          ++progress_.blobsReused;
          progress_.bytesReused += blob.size;
          return finish({});
        }
        ++missingBlobs_;
        return finish(fmt::format("blob {} is not at {}", blob.digest.str(), sink->describe()));
      }
      if (sink->reuseBlob(blob, mountFrom)) {
        ++progress_.blobsReused;
        progress_.bytesReused += blob.size;
        log::debug("blob {} {}", blob.digest.str(), mountFrom ? "mounted from " + *mountFrom : "reused: present already");
      } else {
        transferBlob(*source, *sink, blob);
        ++progress_.blobsSent;
        log::debug("blob {} sent ({} bytes)", blob.digest.str(), blob.size);
      }
      finish({});
    } catch (const std::exception& e) {
      finish(e.what());
    }
  };
  if (mountSource) {
    // Another repository of this registry gets (or got) the blob first: mount it from there once it is in.
    std::string from = mountSource->mountName;
    mountSource->done->then([this, transfer, from](const std::string& firstError) {
      transfers_->submit([transfer, from, firstError] {
        transfer(firstError.empty() ? std::optional<std::string>(from) : std::nullopt);
      });
    });
  } else {
    transfers_->submit([transfer] { transfer(std::nullopt); });
  }
  return done;
}

void Copier::takeShare(const std::vector<ImagePlan>& plans) {
  std::vector<ShardedBlob> blobs;
  for (const auto& plan : plans)
    if (!plan.finished && plan.graph)
      for (const auto& blob : plan.graph->blobs()) blobs.push_back({blob.digest.str(), blob.size});
  auto owners = splitByBytes(blobs, options_.shard->count);
  std::lock_guard lock(mutex_);
  for (const auto& plan : plans) {
    if (plan.finished || !plan.graph) continue;
    for (const auto& blob : plan.graph->blobs()) {
      shardOf_[blob.digest.str()] = owners[blob.digest.str()];
      if (owners[blob.digest.str()] != options_.shard->index) continue;
      if (!plannedBlobs_.insert(plan.sink->blobScope() + "@" + blob.digest.str()).second) continue;
      ++progress_.blobsTotal;
      progress_.bytesTotal += blob.size;
    }
  }
}

int Copier::shardOf(const Digest& digest) {
  std::lock_guard lock(mutex_);
  auto found = shardOf_.find(digest.str());
  return found == shardOf_.end() ? -1 : found->second;
}

void Copier::requireEveryBlob(std::vector<ImagePlan>& plans) {
  std::vector<std::shared_ptr<Completion>> checks;
  std::string firstMissing;
  for (auto& plan : plans)
    if (!plan.finished)
      for (const auto& blob : plan.graph->blobs()) checks.push_back(ensureBlob(plan.source, plan.sink, blob));
  int64_t missingBefore = missingBlobs_;
  for (auto& check : checks)
    if (auto error = check->wait(); !error.empty() && firstMissing.empty() && !error.starts_with("not checked"))
      firstMissing = error;
  if (missingBlobs_ == missingBefore && firstMissing.empty()) return;
  // Nothing of the round is pushed: its images wait for the shards that have not finished.
  for (auto& plan : plans) {
    if (plan.finished) continue;
    plan.result->error = fmt::format(
        "not finalized, nothing pushed: {} (a shard of this run has not finished, or failed); run the missing "
        "shards (ferry mirror --shard I/N), then finalize again",
        firstMissing.empty() ? "a blob of the run is not at the destination" : firstMissing);
    plan.finished = true;
    ++progress_.imagesDone;
  }
}

void Copier::transferBlob(ImageSource& source, ImageSink& sink, const Descriptor& blob) {
  if (auto file = source.blobFile(blob)) {
    std::error_code error;
    auto size = std::filesystem::file_size(*file, error);
    if (error || static_cast<int64_t>(size) != blob.size || !fileMatchesDigest(*file, blob.digest))
      fail("blob {} in {} does not match its digest or size; refusing it", blob.digest.str(), source.describe());
    sink.putBlob(blob, *file);
    progress_.bytesDone += blob.size;
    return;
  }
  // Streamed: the source's bytes go to the sink as they arrive, verified on the
  // way; the sink commits the blob only after the producer returned.
  sink.writeBlob(blob, [&](BlobWriter& out) {
    ForwardingWriter writer(blob, progress_, out);
    try {
      source.readBlob(blob, writer);
      writer.verify(source.describe());
    } catch (...) {
      writer.uncount();
      throw;
    }
  });
}

}  // namespace ferry
