#include "connectors/sse.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace catena::connectors {
namespace {

// Feeds `chunks` one after another and returns every dispatched event.
std::vector<SseEvent> ParseAll(SseParser& parser, const std::vector<std::string>& chunks) {
  std::vector<SseEvent> events;
  for (const std::string& chunk : chunks) {
    absl::Status status = parser.Feed(chunk, [&](const SseEvent& e) {
      events.push_back(e);
      return absl::OkStatus();
    });
    REQUIRE(status.ok());
  }
  return events;
}

TEST_CASE("sse parser dispatches data events at blank lines", "[unit]") {
  SseParser parser;
  auto events = ParseAll(parser, {"data: {\"a\":1}\n\ndata: [DONE]\n\n"});
  REQUIRE(events.size() == 2);
  CHECK(events[0].event == "message");
  CHECK(events[0].data == "{\"a\":1}");
  CHECK(events[1].data == "[DONE]");
  CHECK_FALSE(parser.HasPartialEvent());
}

TEST_CASE("sse parser joins multi-line data with newlines and keeps event type and id", "[unit]") {
  SseParser parser;
  auto events = ParseAll(parser, {"event: update\nid: 7\ndata: first\ndata:second\ndata:  third\nretry: 1500\n\n"});
  REQUIRE(events.size() == 1);
  CHECK(events[0].event == "update");
  CHECK(events[0].id == "7");
  CHECK(events[0].data == "first\nsecond\n third");
  REQUIRE(events[0].retry.has_value());
  CHECK(*events[0].retry == 1500);
}

TEST_CASE("sse parser handles events split at every byte, including inside CRLF", "[unit]") {
  const std::string stream = "\xEF\xBB\xBF: keep-alive\r\ndata: one\r\n\r\nevent: x\r\ndata: two\r\rdata: three\n\n";
  std::vector<std::string> bytes;
  for (char c : stream) bytes.emplace_back(1, c);
  SseParser parser;
  auto events = ParseAll(parser, bytes);
  REQUIRE(events.size() == 3);
  CHECK(events[0].data == "one");
  CHECK(events[1].event == "x");
  CHECK(events[1].data == "two");
  CHECK(events[2].event == "message");
  CHECK(events[2].data == "three");
}

TEST_CASE("sse parser skips comments and events without data and keeps the last id", "[unit]") {
  SseParser parser;
  auto events = ParseAll(parser, {": ping\n\n", "id: 3\nevent: ignored\n\n", "data\n\n"});
  REQUIRE(events.size() == 1);
  CHECK(events[0].event == "message");  // the event type of a data-less event does not carry over
  CHECK(events[0].data == "");          // a "data" line without colon is an empty data line
  CHECK(events[0].id == "3");
}

TEST_CASE("sse parser reports an unfinished event at end of stream", "[unit]") {
  SseParser parser;
  auto events = ParseAll(parser, {"data: complete\n\n", "data: cut off"});
  CHECK(events.size() == 1);
  CHECK(parser.HasPartialEvent());
  SseParser other;
  ParseAll(other, {"data: also cut\n"});
  CHECK(other.HasPartialEvent());
  CHECK(other.events_dispatched() == 0);
}

TEST_CASE("sse parser stops with the callback's error and limits event size", "[unit]") {
  SseParser parser;
  int calls = 0;
  absl::Status status = parser.Feed("data: a\n\ndata: b\n\n", [&](const SseEvent&) {
    ++calls;
    return absl::CancelledError("stop");
  });
  CHECK(status.code() == absl::StatusCode::kCancelled);
  CHECK(calls == 1);

  SseParser small(SseParserOptions{.max_event_bytes = 16});
  absl::Status big = small.Feed("data: 0123456789abcdefghij\n\n", [](const SseEvent&) { return absl::OkStatus(); });
  CHECK(big.code() == absl::StatusCode::kResourceExhausted);
  CHECK(std::string(big.message()).find("max_event_bytes (16 bytes)") != std::string::npos);
}

}  // namespace
}  // namespace catena::connectors
