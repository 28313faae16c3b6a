#include "ferry/filter/upgrade_path.h"

#include <gtest/gtest.h>

#include <map>

namespace ferry::catalog {
namespace {

using Names = std::set<std::string>;

Channel channelOf(std::vector<ChannelEntry> entries) {
  Channel channel;
  channel.package = "p";
  channel.name = "stable";
  channel.entries = std::move(entries);
  return channel;
}

std::set<std::string> added(const Channel& channel, const Names& kept, const std::string& entry) {
  ChannelGraph graph(channel);
  auto result = addWithUpgradePath(channel, graph, kept, entry);
  EXPECT_TRUE(result.has_value());
  return result.value_or(Names{});
}

TEST(CatalogUpgradePath, ReplacesChainUpToTheHead) {
  auto channel = channelOf({{"v1"}, {"v2", "v1"}, {"v3", "v2"}, {"v4", "v3"}});
  EXPECT_EQ(added(channel, {}, "v2"), (Names{"v2", "v3", "v4"}));
  EXPECT_EQ(added(channel, {"v4"}, "v4"), Names{});
}

TEST(CatalogUpgradePath, EntriesTheHeadSkipsAreJumpedOver) {
  // OCPBUGS-11371: v4 replaces v3 but also skips it and everything below.
  auto channel = channelOf({{"v1"}, {"v2", "v1"}, {"v3", "v2"}, {"v4", "v3", {"v3", "v2", "v1"}}});
  EXPECT_EQ(added(channel, {}, "v2"), (Names{"v2", "v4"}));
}

TEST(CatalogUpgradePath, EntryOffTheChainIsReachedThroughItsSkipper) {
  // B <- A <- H on the chain; C replaces B too, and A skips C.
  auto channel = channelOf({{"B"}, {"C", "B"}, {"A", "B", {"C"}}, {"H", "A"}});
  EXPECT_EQ(added(channel, {}, "C"), (Names{"A", "C", "H"}));
  auto kept = Names{"A", "C", "H"};
  EXPECT_TRUE(unconnectedEntries(channel, kept, "H").empty());
  // Without A, C would be a second head.
  EXPECT_EQ(unconnectedEntries(channel, {"C", "H"}, "H"), (std::vector<std::string>{"C"}));
}

TEST(CatalogUpgradePath, ConnectsToTheKeptSegmentWhenItCan) {
  auto channel = channelOf({{"Z"}, {"B", "Z"}, {"A", "B"}, {"H", "A"}});
  // Below the kept segment: only the entry itself.
  EXPECT_EQ(added(channel, {"A", "B"}, "Z"), (Names{"Z"}));
  // Above it: the kept head cannot reach it, so up to the channel head.
  EXPECT_EQ(added(channel, {"B"}, "A"), (Names{"A", "H"}));
}

TEST(CatalogUpgradePath, UnknownEntryHasNoPath) {
  auto channel = channelOf({{"v1"}, {"v2", "v1"}});
  ChannelGraph graph(channel);
  EXPECT_FALSE(addWithUpgradePath(channel, graph, {}, "v9").has_value());
}

TEST(CatalogUpgradePath, VersionRangeRepairsWhatCatalogFilterWouldStrand) {
  // N replaces A but skips it (and S); S skips B. catalog-filter keeps N, A, B
  // for <=3.0.0; with S out of range, B would be stranded (A is skipped, so
  // opm's walk from N stops before B). S is added to connect B.
  auto channel = channelOf({{"B"}, {"A", "B"}, {"S", "", {"B"}}, {"N", "A", {"A", "S"}}});
  std::map<std::string, Version> versions{{"B", Version::parse("1.0.0")},
                                          {"A", Version::parse("2.0.0")},
                                          {"S", Version::parse("5.0.0")},
                                          {"N", Version::parse("3.0.0")}};
  ChannelGraph graph(channel);
  VersionBounds bounds;
  bounds.max = Version::parse("3.0.0");
  auto selection = selectVersionRange(
      channel, graph, [&](const std::string& name) { return versions.count(name) ? &versions.at(name) : nullptr; },
      bounds);
  EXPECT_EQ(selection.entries, (Names{"A", "B", "N", "S"}));
  EXPECT_EQ(selection.head, "N");
  EXPECT_EQ(selection.connectors, (std::vector<std::string>{"S"}));
  EXPECT_TRUE(unconnectedEntries(channel, selection.entries, "N").empty());
}

TEST(CatalogUpgradePath, BoundsText) {
  VersionBounds bounds;
  EXPECT_TRUE(bounds.empty());
  bounds.min = Version::parse("1.0.0");
  EXPECT_EQ(bounds.text(), ">=1.0.0");
  bounds.max = Version::parse("2.0.0");
  EXPECT_EQ(bounds.text(), ">=1.0.0 <=2.0.0");
  EXPECT_FALSE(bounds.pinned());
  EXPECT_TRUE(bounds.contains(Version::parse("2.0.0-rc.1")));
  EXPECT_FALSE(bounds.contains(Version::parse("1.0.0-rc.1")));
  bounds.min.reset();
  EXPECT_EQ(bounds.text(), "<=2.0.0");
}

}  // namespace
}  // namespace ferry::catalog
