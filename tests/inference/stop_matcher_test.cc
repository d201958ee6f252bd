#include "inference/stop_matcher.h"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace catena::inference {
namespace {

StopMatcher MakeMatcher(std::vector<std::string> stops) {
  absl::StatusOr<StopMatcher> matcher = StopMatcher::Create(std::move(stops));
  REQUIRE(matcher.ok());
  return *std::move(matcher);
}

struct Streamed {
  std::vector<std::string> emitted;  // what each Push returned
  std::string text;                  // everything emitted, Flush included
  bool stopped = false;
  int stop_index = -1;
};

Streamed Stream(StopMatcher& matcher, const std::vector<std::string>& pieces) {
  Streamed out;
  for (const std::string& piece : pieces) {
    StopMatcher::Output o = matcher.Push(piece);
    out.emitted.push_back(o.text);
    out.text += o.text;
    if (o.stopped) {
      out.stopped = true;
      out.stop_index = o.stop_index;
    }
  }
  out.text += matcher.Flush();
  return out;
}

TEST_CASE("a stop string split across pieces is held back and cut", "[unit]") {
  StopMatcher matcher = MakeMatcher({"###"});
  const Streamed s = Stream(matcher, {"Hello #", "#", "# world", "more"});
  CHECK(s.emitted == std::vector<std::string>{"Hello ", "", "", ""});
  CHECK(s.text == "Hello ");
  CHECK(s.stopped);
  CHECK(s.stop_index == 0);
  CHECK(matcher.stopped());
}

TEST_CASE("held-back text that does not become a stop string is released", "[unit]") {
  StopMatcher matcher = MakeMatcher({"###"});
  const Streamed s = Stream(matcher, {"a##", "b#", "#"});
  CHECK(s.emitted == std::vector<std::string>{"a", "##b", ""});
  CHECK(s.text == "a##b##");  // the last "##" comes from Flush
  CHECK_FALSE(s.stopped);
}

TEST_CASE("with several stop strings the one completed first stops the text", "[unit]") {
  StopMatcher matcher = MakeMatcher({"\n\n", "END"});
  const Streamed s = Stream(matcher, {"foo E", "N", "D bar\n\n"});
  CHECK(s.text == "foo ");
  CHECK(s.stop_index == 1);
}

TEST_CASE("overlapping stop prefixes are matched at the right place", "[unit]") {
  SECTION("a shorter stop inside a longer held prefix") {
    StopMatcher matcher = MakeMatcher({"abcd", "bcx"});
    const Streamed s = Stream(matcher, {"zab", "c", "x"});
    CHECK(s.emitted == std::vector<std::string>{"z", "", "a"});
    CHECK(s.stop_index == 1);
  }
  SECTION("a repeated first character") {
    StopMatcher matcher = MakeMatcher({"aab"});
    const Streamed s = Stream(matcher, {"a", "a", "a", "b"});
    CHECK(s.text == "a");
    CHECK(s.stopped);
  }
  SECTION("the earliest start wins when two complete in the same piece") {
    StopMatcher matcher = MakeMatcher({"cd", "abcde"});
    const Streamed s = Stream(matcher, {"xyabcde"});
    CHECK(s.text == "xy");
    CHECK(s.stop_index == 1);
  }
  SECTION("the shorter wins at the same start") {
    StopMatcher matcher = MakeMatcher({"abc", "ab"});
    const Streamed s = Stream(matcher, {"xabc"});
    CHECK(s.text == "x");
    CHECK(s.stop_index == 1);
  }
}

TEST_CASE("multi-byte UTF-8 stop strings and pieces split inside characters", "[unit]") {
  SECTION("a CJK stop split inside its bytes") {
    StopMatcher matcher = MakeMatcher({"\xe3\x80\x82"});  // "。"
    const Streamed s = Stream(matcher, {"\xe4\xbd\xa0\xe5\xa5\xbd\xe3\x80", "\x82\xe5\x90\x8e"});
    CHECK(s.emitted == std::vector<std::string>{"\xe4\xbd\xa0\xe5\xa5\xbd", ""});
    CHECK(s.stopped);
  }
  SECTION("a character sharing the stop's lead byte is released once complete") {
    StopMatcher matcher = MakeMatcher({"\xc3\xa9"});  // "é"
    const Streamed s = Stream(matcher, {"x\xc3", "\xbc!"});  // "ü!"
    CHECK(s.emitted == std::vector<std::string>{"x", "\xc3\xbc!"});
    CHECK_FALSE(s.stopped);
  }
  SECTION("an incomplete character is never emitted even without a matching stop") {
    StopMatcher matcher = MakeMatcher({"zzz"});
    const Streamed s = Stream(matcher, {"caf\xc3", "\xa9 \xf0\x9f", "\x98", "\x80."});
    CHECK(s.emitted == std::vector<std::string>{"caf", "\xc3\xa9 ", "", "\xf0\x9f\x98\x80."});
    CHECK(s.text == "caf\xc3\xa9 \xf0\x9f\x98\x80.");
  }
  SECTION("a stop after an emoji") {
    StopMatcher matcher = MakeMatcher({"\xf0\x9f\x98\x80"});
    const Streamed s = Stream(matcher, {"ok \xf0", "\x9f\x98", "\x80 tail"});
    CHECK(s.text == "ok ");
    CHECK(s.stopped);
  }
}

TEST_CASE("without stop strings every complete piece passes through", "[unit]") {
  StopMatcher matcher = MakeMatcher({});
  const Streamed s = Stream(matcher, {"a", "bc", ""});
  CHECK(s.emitted == std::vector<std::string>{"a", "bc", ""});
  CHECK(matcher.Flush().empty());
}

TEST_CASE("bad stop string lists are rejected with the offending index", "[unit]") {
  auto message = [](std::vector<std::string> stops) {
    absl::StatusOr<StopMatcher> m = StopMatcher::Create(std::move(stops));
    CHECK(m.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(m.status().message());
  };
  CHECK_THAT(message({"ok", ""}), Catch::Contains("stop[1]"));
  CHECK_THAT(message({std::string(257, 'x')}), Catch::Contains("stop[0] must be 1 to 256 bytes"));
  CHECK_THAT(message(std::vector<std::string>(17, "x")), Catch::Contains("at most 16"));
}

}  // namespace
}  // namespace catena::inference
