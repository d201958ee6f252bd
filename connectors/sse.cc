// SseParser: line splitting across chunks and the field rules of the WHATWG event-stream format.
#include "connectors/sse.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::connectors {

absl::Status SseParser::Feed(std::string_view chunk, const std::function<absl::Status(const SseEvent&)>& on_event) {
  if (at_start_) {
    static constexpr std::string_view kBom = "\xEF\xBB\xBF";
    size_t take = std::min(chunk.size(), kBom.size() - bom_.size());
    bom_.append(chunk.substr(0, take));
    chunk.remove_prefix(take);
    if (bom_.size() < kBom.size() && kBom.substr(0, bom_.size()) == bom_) return absl::OkStatus();  // need more
    at_start_ = false;
    std::string prefix = bom_ == kBom ? std::string() : std::move(bom_);
    bom_.clear();
    CATENA_RETURN_IF_ERROR(Scan(prefix, on_event));
  }
  return Scan(chunk, on_event);
}

absl::Status SseParser::Scan(std::string_view chunk, const std::function<absl::Status(const SseEvent&)>& on_event) {
  for (size_t i = 0; i < chunk.size(); ++i) {
    char c = chunk[i];
    if (skip_lf_) {
      skip_lf_ = false;
      if (c == '\n') continue;
    }
    if (c == '\r' || c == '\n') {
      skip_lf_ = c == '\r';
      std::string line = std::move(line_);
      line_.clear();
      CATENA_RETURN_IF_ERROR(ProcessLine(line, on_event));
      continue;
    }
    size_t end = chunk.find_first_of("\r\n", i);
    if (end == std::string_view::npos) end = chunk.size();
    line_.append(chunk.substr(i, end - i));
    i = end - 1;
    if (line_.size() + data_.size() > options_.max_event_bytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("server-sent event exceeds max_event_bytes (", options_.max_event_bytes, " bytes)"));
    }
  }
  return absl::OkStatus();
}

absl::Status SseParser::ProcessLine(std::string_view line,
                                    const std::function<absl::Status(const SseEvent&)>& on_event) {
  if (line.empty()) return Dispatch(on_event);
  if (line.front() == ':') return absl::OkStatus();  // comment (often a keep-alive)
  has_fields_ = true;
  size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    data_.append(value);
    data_.push_back('\n');
  } else if (field == "event") {
    event_type_ = std::string(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) last_id_ = std::string(value);
  } else if (field == "retry") {
    bool digits = !value.empty();
    for (char c : value) digits = digits && std::isdigit(static_cast<unsigned char>(c));
    if (digits && value.size() < 18) retry_ = std::stoll(std::string(value));
  }
  return absl::OkStatus();  // unknown fields are ignored
}

absl::Status SseParser::Dispatch(const std::function<absl::Status(const SseEvent&)>& on_event) {
  has_fields_ = false;
  if (data_.empty()) {  // no data lines: nothing to dispatch, the event type resets
    event_type_.clear();
    retry_.reset();
    return absl::OkStatus();
  }
  SseEvent event;
  event.event = event_type_.empty() ? "message" : event_type_;
  data_.pop_back();
  event.data = std::move(data_);
  event.id = last_id_;
  event.retry = retry_;
  data_.clear();
  event_type_.clear();
  retry_.reset();
  ++dispatched_;
  return on_event(event);
}

bool SseParser::HasPartialEvent() const { return has_fields_ || !line_.empty(); }

}  // namespace catena::connectors
