#include "ferry/fbc/graph.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

ChannelEntry entry(std::string name, std::string replaces = "", std::vector<std::string> skips = {},
                   std::string skipRange = "") {
  return ChannelEntry{std::move(name), std::move(replaces), std::move(skips), std::move(skipRange)};
}

Channel channel(std::vector<ChannelEntry> entries) {
  Channel result;
  result.package = "p";
  result.name = "c";
  result.entries = std::move(entries);
  return result;
}

std::string headError(const Channel& channel) {
  try {
    ChannelGraph(channel).head();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no error)";
}

std::vector<std::string> names(const std::vector<const ChannelEntry*>& entries) {
  std::vector<std::string> result;
  for (const auto* entry : entries) result.push_back(entry->name);
  return result;
}

TEST(CatalogGraph, HeadIsTheEntryNothingReplaces) {
  auto c = channel({entry("p.v1"), entry("p.v3", "p.v2"), entry("p.v2", "p.v1")});
  EXPECT_EQ(ChannelGraph(c).head().name, "p.v3");
}

TEST(CatalogGraph, SkipsAreEdges) {
  // v3 skips v2 and replaces v1: v2 is not a head.
  auto c = channel({entry("p.v1"), entry("p.v2", "p.v1"), entry("p.v3", "p.v1", {"p.v2"})});
  EXPECT_EQ(ChannelGraph(c).head().name, "p.v3");
}

TEST(CatalogGraph, SkipRangeIsNotAnEdge) {
  auto c = channel({entry("p.v1"), entry("p.v2", "", {}, ">=1.0.0 <2.0.0")});
  EXPECT_EQ(headError(c), "package \"p\", channel \"c\": multiple channel heads found in graph: p.v1, p.v2 (nothing "
                          "replaces or skips these entries, but a channel has exactly one head)");
}

TEST(CatalogGraph, ListsMultipleHeadsSorted) {
  auto c = channel({entry("b"), entry("c"), entry("a")});
  EXPECT_NE(headError(c).find("multiple channel heads found in graph: a, b, c"), std::string::npos);
  EXPECT_EQ(names(ChannelGraph(c).heads()), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(CatalogGraph, NoHeadWhenReplacesFormACycle) {
  auto c = channel({entry("a", "b"), entry("b", "a")});
  auto error = headError(c);
  EXPECT_NE(error.find("package \"p\", channel \"c\": no channel head found in graph"), std::string::npos) << error;
  EXPECT_TRUE(ChannelGraph(c).heads().empty());
}

TEST(CatalogGraph, FindsEntries) {
  auto c = channel({entry("a"), entry("b", "a")});
  ChannelGraph graph(c);
  ASSERT_NE(graph.find("b"), nullptr);
  EXPECT_EQ(graph.find("b")->replaces, "a");
  EXPECT_EQ(graph.find("missing"), nullptr);
}

TEST(CatalogGraph, ReplacesChainRunsToTheTail) {
  // The tail may replace a bundle that is not in the channel.
  auto c = channel({entry("v1", "v0"), entry("v2", "v1"), entry("v3", "v2"), entry("v2.5", "v2")});
  ChannelGraph graph(c);
  EXPECT_EQ(names(graph.replacesChain("v3")), (std::vector<std::string>{"v3", "v2", "v1"}));
  EXPECT_EQ(names(graph.replacesChain("v1")), (std::vector<std::string>{"v1"}));
  EXPECT_TRUE(graph.replacesChain("not-there").empty());
}

TEST(CatalogGraph, ReplacesChainDetectsCycles) {
  auto c = channel({entry("a", "b"), entry("b", "c"), entry("c", "b")});
  try {
    ChannelGraph(c).replacesChain("a");
    FAIL() << "expected a cycle error";
  } catch (const Error& error) {
    EXPECT_STREQ(error.what(),
                 "package \"p\", channel \"c\": detected cycle in replaces chain of upgrade graph: b -> c -> b");
  }
  auto selfCycle = channel({entry("a", "a")});
  EXPECT_THROW(ChannelGraph(selfCycle).replacesChain("a"), Error);
}

}  // namespace
}  // namespace ferry::catalog
