#include "ferry/fbc/semver.h"

#include <gtest/gtest.h>

#include "ferry/base/error.h"

namespace ferry::catalog {
namespace {

std::string parseError(std::string_view text) {
  try {
    Version::parse(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "(parsed)";
}

std::string rangeError(std::string_view text) {
  try {
    VersionRange::parse(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "(parsed)";
}

bool inRange(std::string_view range, std::string_view version) {
  return VersionRange::parse(range).contains(Version::parse(version));
}

TEST(CatalogSemver, ParsesTheParts) {
  auto version = Version::parse("1.22.333-rc.1.x-y+build.007");
  EXPECT_EQ(version.major, 1u);
  EXPECT_EQ(version.minor, 22u);
  EXPECT_EQ(version.patch, 333u);
  EXPECT_EQ(version.preRelease, (std::vector<std::string>{"rc", "1", "x-y"}));
  EXPECT_EQ(version.build, (std::vector<std::string>{"build", "007"}));
}

TEST(CatalogSemver, StrRoundTripsValidVersions) {
  for (const char* text : {"0.0.0", "1.2.3", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92",
                           "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3---117B344092BD",
                           "1.0.0+001", "1.42.0-5+0.1687199951.p", "18446744073709551615.0.0", "1.0.0-a-b+c-d"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(Version::parse(text).str(), text);
    EXPECT_TRUE(Version::tryParse(text).has_value());
  }
}

TEST(CatalogSemver, RejectsWhatBlangRejectsSayingWhy) {
  EXPECT_EQ(parseError("1.02.0"), "version \"1.02.0\": minor version has a leading zero");
  EXPECT_EQ(parseError("01.2.0"), "version \"01.2.0\": major version has a leading zero");
  EXPECT_EQ(parseError("1.2.03"), "version \"1.2.03\": patch version has a leading zero");
  EXPECT_NE(parseError("v1.0.0").find("\"v\" prefix"), std::string::npos);
  EXPECT_NE(parseError("1.0").find("expected MAJOR.MINOR.PATCH"), std::string::npos);
  EXPECT_NE(parseError("1").find("expected MAJOR.MINOR.PATCH"), std::string::npos);
  EXPECT_NE(parseError("").find("empty"), std::string::npos);
  EXPECT_NE(parseError("1..0").find("minor version is empty"), std::string::npos);
  EXPECT_NE(parseError("1.0.").find("patch version is empty"), std::string::npos);
  EXPECT_NE(parseError("1.2.3.4").find("patch version \"3.4\" is not a number"), std::string::npos);
  EXPECT_NE(parseError("1.a.0").find("minor version \"a\" is not a number"), std::string::npos);
  EXPECT_NE(parseError(" 1.0.0").find("major version"), std::string::npos);
  EXPECT_NE(parseError("1.0.0 ").find("patch version"), std::string::npos);
  EXPECT_NE(parseError("18446744073709551616.0.0").find("too large"), std::string::npos);
  EXPECT_NE(parseError("1.0.0-01").find("leading zero"), std::string::npos);
  EXPECT_NE(parseError("1.0.0-").find("pre-release identifier is empty"), std::string::npos);
  EXPECT_NE(parseError("1.0.0-a..b").find("pre-release identifier is empty"), std::string::npos);
  EXPECT_NE(parseError("1.0.0-a_b").find("pre-release identifier \"a_b\""), std::string::npos);
  EXPECT_NE(parseError("1.0.0+").find("build metadata identifier is empty"), std::string::npos);
  EXPECT_NE(parseError("1.0.0+a..b").find("build metadata identifier is empty"), std::string::npos);
  EXPECT_NE(parseError("1.0.0+a_b").find("build metadata identifier \"a_b\""), std::string::npos);
  EXPECT_NE(parseError("1.0.0+é").find("build metadata identifier"), std::string::npos);
  EXPECT_FALSE(Version::tryParse("1.0.0-01").has_value());
}

TEST(CatalogSemver, OrdersBySemverPrecedence) {
  const std::vector<std::string> ordered = {
      "0.9.99",        "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
      "1.0.0-beta.11", "1.0.0-rc.1",   "1.0.0",         "1.0.1",            "1.9.0",      "1.10.0",
      "2.0.0-0",       "2.0.0-2",      "2.0.0-10",      "2.0.0-a",          "2.0.0",      "10.0.0"};
  for (size_t i = 0; i < ordered.size(); ++i) {
    for (size_t j = 0; j < ordered.size(); ++j) {
      SCOPED_TRACE(ordered[i] + " vs " + ordered[j]);
      int expected = i < j ? -1 : i > j ? 1 : 0;
      EXPECT_EQ(Version::parse(ordered[i]).compare(Version::parse(ordered[j])), expected);
    }
  }
  EXPECT_LT(Version::parse("1.0.0-beta.11"), Version::parse("1.0.0-rc.1"));
  EXPECT_GT(Version::parse("1.0.0"), Version::parse("1.0.0-rc.1"));
  // Alphanumeric identifiers compare by bytes: upper case sorts first.
  EXPECT_LT(Version::parse("1.0.0-Z"), Version::parse("1.0.0-a"));
}

TEST(CatalogSemver, IgnoresBuildMetadataInComparisons) {
  EXPECT_EQ(Version::parse("1.0.0+1"), Version::parse("1.0.0+2"));
  EXPECT_EQ(Version::parse("1.0.0+1").compare(Version::parse("1.0.0")), 0);
  EXPECT_LT(Version::parse("1.0.0-rc.1+zzz"), Version::parse("1.0.0+aaa"));
  // ...but keeps it in the text.
  EXPECT_NE(Version::parse("1.0.0+1").str(), Version::parse("1.0.0+2").str());
}

TEST(CatalogSemverRange, ParsesTheDocumentedExamples) {
  EXPECT_TRUE(inRange(">=4.1.0 <4.2.0", "4.1.7"));
  EXPECT_FALSE(inRange(">=4.1.0 <4.2.0", "4.2.0"));
  EXPECT_FALSE(inRange(">=4.1.0 <4.2.0", "4.0.9"));

  EXPECT_TRUE(inRange(">=1.0.0 <2.0.0 || >=3.0.0", "1.5.0"));
  EXPECT_FALSE(inRange(">=1.0.0 <2.0.0 || >=3.0.0", "2.5.0"));
  EXPECT_TRUE(inRange(">=1.0.0 <2.0.0 || >=3.0.0", "3.0.0"));

  EXPECT_TRUE(inRange("<1.0.3", "0.0.1"));
  EXPECT_FALSE(inRange("<1.0.3", "1.0.3"));

  EXPECT_TRUE(inRange(">1.0.0 <3.0.0 !2.0.3-beta.2", "2.0.3-beta.1"));
  EXPECT_FALSE(inRange(">1.0.0 <3.0.0 !2.0.3-beta.2", "2.0.3-beta.2"));
  EXPECT_TRUE(inRange(">1.0.0 <2.0.0 || >3.0.0 !4.2.1", "3.1.1"));
  EXPECT_FALSE(inRange(">1.0.0 <2.0.0 || >3.0.0 !4.2.1", "4.2.1"));
  EXPECT_FALSE(inRange(">1.0.0 <2.0.0 || >3.0.0 !4.2.1", "2.1.1"));
  EXPECT_EQ(VersionRange::parse(">=4.1.0 <4.2.0").text(), ">=4.1.0 <4.2.0");
}

TEST(CatalogSemverRange, KnowsEveryOperator) {
  for (const char* range : {"1.2.3", "=1.2.3", "==1.2.3"}) {
    SCOPED_TRACE(range);
    EXPECT_TRUE(inRange(range, "1.2.3"));
    EXPECT_FALSE(inRange(range, "1.2.4"));
  }
  for (const char* range : {"!1.2.3", "!=1.2.3"}) {
    SCOPED_TRACE(range);
    EXPECT_FALSE(inRange(range, "1.2.3"));
    EXPECT_TRUE(inRange(range, "1.2.4"));
  }
  EXPECT_TRUE(inRange("<1.2.3", "1.2.2"));
  EXPECT_FALSE(inRange("<1.2.3", "1.2.3"));
  EXPECT_TRUE(inRange("<=1.2.3", "1.2.3"));
  EXPECT_FALSE(inRange("<=1.2.3", "1.2.4"));
  EXPECT_TRUE(inRange(">1.2.3", "1.2.4"));
  EXPECT_FALSE(inRange(">1.2.3", "1.2.3"));
  EXPECT_TRUE(inRange(">=1.2.3", "1.2.3"));
  EXPECT_FALSE(inRange(">=1.2.3", "1.2.2"));
}

TEST(CatalogSemverRange, ToleratesSpacesAfterAnOperator) {
  EXPECT_TRUE(inRange(">= 1.0.0 < 2.0.0", "1.5.0"));
  EXPECT_FALSE(inRange(">= 1.0.0 < 2.0.0", "2.0.0"));
  EXPECT_TRUE(inRange(">=1.0.0   <2.0.0", "1.0.0"));
  EXPECT_TRUE(inRange("  >=1.0.0 ||  <0.1.0 ", "0.0.5"));
  EXPECT_TRUE(inRange("!= 1.0.0", "1.0.1"));
}

TEST(CatalogSemverRange, DoesNotExcludePreReleases) {
  EXPECT_TRUE(inRange("<2.0.0", "2.0.0-rc.1"));
  EXPECT_FALSE(inRange(">=1.0.0 <2.0.0-0", "2.0.0-rc.1"));
  EXPECT_TRUE(inRange(">=1.0.0 <2.0.0-0", "1.9.9"));
  EXPECT_TRUE(inRange(">=1.0.0-0", "1.0.0-alpha"));
}

TEST(CatalogSemverRange, IgnoresBuildMetadata) {
  EXPECT_TRUE(inRange("=1.0.0", "1.0.0+build.5"));
  EXPECT_TRUE(inRange("=1.0.0+other", "1.0.0"));
  EXPECT_FALSE(inRange(">1.0.0", "1.0.0+1"));
}

TEST(CatalogSemverRange, ExpandsPatchWildcardsLikeBlang) {
  // >=1.2.x -> >=1.2.0
  EXPECT_TRUE(inRange(">=1.2.x", "1.2.0"));
  EXPECT_FALSE(inRange(">=1.2.x", "1.1.99"));
  // <=1.2.x -> <1.3.0
  EXPECT_TRUE(inRange("<=1.2.x", "1.2.99"));
  EXPECT_TRUE(inRange("<=1.2.x", "1.3.0-rc.1"));
  EXPECT_FALSE(inRange("<=1.2.x", "1.3.0"));
  // >1.2.x -> >=1.3.0
  EXPECT_TRUE(inRange(">1.2.x", "1.3.0"));
  EXPECT_FALSE(inRange(">1.2.x", "1.2.99"));
  // <1.2.x -> <1.2.0
  EXPECT_TRUE(inRange("<1.2.x", "1.1.99"));
  EXPECT_FALSE(inRange("<1.2.x", "1.2.0"));
  // 1.2.x -> >=1.2.0 <1.3.0 (also with = and ==)
  for (const char* range : {"1.2.x", "=1.2.x", "==1.2.x"}) {
    SCOPED_TRACE(range);
    EXPECT_TRUE(inRange(range, "1.2.0"));
    EXPECT_TRUE(inRange(range, "1.2.7"));
    EXPECT_FALSE(inRange(range, "1.3.0"));
    EXPECT_FALSE(inRange(range, "1.1.9"));
  }
  // !=1.2.x -> <1.2.0 >=1.3.0: an "and" of both, which nothing satisfies (as in blang).
  EXPECT_FALSE(inRange("!=1.2.x", "1.1.9"));
  EXPECT_FALSE(inRange("!=1.2.x", "1.2.5"));
  EXPECT_FALSE(inRange("!=1.2.x", "1.3.0"));
}

TEST(CatalogSemverRange, ExpandsMinorWildcardsLikeBlang) {
  // >=1.x -> >=1.0.0
  EXPECT_TRUE(inRange(">=1.x", "1.0.0"));
  EXPECT_FALSE(inRange(">=1.x", "0.9.9"));
  // <=1.x -> <2.0.0
  EXPECT_TRUE(inRange("<=1.x", "1.99.0"));
  EXPECT_FALSE(inRange("<=1.x", "2.0.0"));
  // >1.x -> >=2.0.0
  EXPECT_TRUE(inRange(">1.x", "2.0.0"));
  EXPECT_FALSE(inRange(">1.x", "1.99.0"));
  // <1.x -> <1.0.0
  EXPECT_TRUE(inRange("<1.x", "0.99.0"));
  EXPECT_FALSE(inRange("<1.x", "1.0.0"));
  // 1.x -> >=1.0.0 <2.0.0
  EXPECT_TRUE(inRange("1.x", "1.0.0"));
  EXPECT_TRUE(inRange("1.x", "1.5.3"));
  EXPECT_FALSE(inRange("1.x", "2.0.0"));
  EXPECT_FALSE(inRange("1.x", "0.9.0"));
  // !=1.x -> <1.0.0 >=2.0.0
  EXPECT_FALSE(inRange("!=1.x", "0.5.0"));
  EXPECT_FALSE(inRange("!=1.x", "2.0.0"));
  // 1.x.x: blang counts three parts as a patch wildcard, so it becomes >=1.0.0 <1.1.0.
  EXPECT_TRUE(inRange("1.x.x", "1.0.5"));
  EXPECT_FALSE(inRange("1.x.x", "1.1.0"));
  // Wildcards combine with other comparators and alternatives.
  EXPECT_TRUE(inRange(">=1.1.0 <=1.x || 3.x", "1.5.0"));
  EXPECT_TRUE(inRange(">=1.1.0 <=1.x || 3.x", "3.2.0"));
  EXPECT_FALSE(inRange(">=1.1.0 <=1.x || 3.x", "2.0.0"));
}

TEST(CatalogSemverRange, RejectsWhatBlangRejects) {
  for (const char* range : {">=4.1", ">= 4.1", "~1.2.3", "^1", "^1.2.3", "", " ", "||", ">=1.0.0 ||", "|| >=1.0.0",
                            ">=1.0.0 || || <0.5.0", "abc", "*", ">=1.0", "1.0.0-01", ">=v1.0.0", "1.2.X", "=>1.0.0",
                            ">1.0.0-xyz", "xx"}) {
    SCOPED_TRACE(range);
    EXPECT_THROW(VersionRange::parse(range), Error);
  }
  EXPECT_NE(rangeError(">=4.1").find("version range \">=4.1\": \">=4.1\" is not a full version"), std::string::npos);
  EXPECT_NE(rangeError("~1.2.3").find("unknown operator \"~\""), std::string::npos);
  EXPECT_NE(rangeError("").find("it is empty"), std::string::npos);
  EXPECT_NE(rangeError(">=1.0.0 ||").find("ends with \"||\""), std::string::npos);
}

TEST(CatalogSemverRange, KeepsBlangsTokenQuirks) {
  // A one-character token is dropped by blang's splitter.
  EXPECT_TRUE(inRange(">=1.0.0 x", "1.5.0"));
  EXPECT_TRUE(inRange("! 1.0.0", "1.0.0"));
  // A wildcard with an unknown operator becomes an exact version.
  EXPECT_TRUE(inRange("~1.2.x", "1.2.0"));
  EXPECT_FALSE(inRange("~1.2.x", "1.2.1"));
  // An 'x' inside a pre-release goes through wildcard handling: >= keeps the version as it is.
  EXPECT_TRUE(inRange(">=1.0.0-xyz", "1.0.0"));
}

}  // namespace
}  // namespace ferry::catalog
