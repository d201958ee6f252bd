// SseParser: an incremental Server-Sent Events (text/event-stream) parser. Feed it the body chunks as they arrive
// (any split, even inside a CRLF) and it reports each complete event. Used by the OpenAI streaming client and the
// MCP streamable-HTTP transport. Not thread-safe: one parser per stream.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace catena::connectors {

// One dispatched event. `data` joins the event's data lines with '\n' (no trailing newline).
struct SseEvent {
  std::string event = "message";  // the `event:` field, "message" when absent
  std::string data;
  std::string id;                 // the last event id seen on the stream so far ("" when none)
  std::optional<int64_t> retry;   // the `retry:` field of this event, in milliseconds, when given
};

struct SseParserOptions {
  size_t max_event_bytes = 16 << 20;  // a line or event larger than this -> RESOURCE_EXHAUSTED
};

class SseParser {
 public:
  explicit SseParser(SseParserOptions options = {}) : options_(options) {}

  // Parses `chunk`, calling on_event for every event it completes; a non-OK status from on_event stops parsing
  // and is returned. Lines may end in LF, CRLF or CR; comments (":...") are skipped; a leading UTF-8 BOM is dropped.
  absl::Status Feed(std::string_view chunk, const std::function<absl::Status(const SseEvent&)>& on_event);

  // True when bytes of an unfinished event were received (at end of stream this means it was cut off).
  bool HasPartialEvent() const;

  // Number of events dispatched so far.
  size_t events_dispatched() const { return dispatched_; }

 private:
  absl::Status Scan(std::string_view chunk, const std::function<absl::Status(const SseEvent&)>& on_event);
  absl::Status ProcessLine(std::string_view line, const std::function<absl::Status(const SseEvent&)>& on_event);
  absl::Status Dispatch(const std::function<absl::Status(const SseEvent&)>& on_event);

  SseParserOptions options_;
  std::string line_;           // the current unfinished line
  std::string data_;           // data lines of the current event, each followed by '\n'
  std::string event_type_;
  std::string last_id_;
  std::optional<int64_t> retry_;
  bool has_fields_ = false;    // the current event has seen at least one field line
  bool skip_lf_ = false;       // the previous chunk ended with CR: a leading LF completes that CRLF
  bool at_start_ = true;       // BOM check pending
  std::string bom_;            // the first bytes of the stream while they may still be a BOM
  size_t dispatched_ = 0;
};

}  // namespace catena::connectors
