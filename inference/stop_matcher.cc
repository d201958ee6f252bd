#include "inference/stop_matcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace catena::inference {
namespace {

// Bytes a UTF-8 sequence starting with `lead` needs in all (1 for ASCII and for bytes that cannot lead).
size_t SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xC0 && lead <= 0xDF) return 2;
  return 1;
}

// How many trailing bytes of `text` form an incomplete UTF-8 sequence (0 when it ends on a boundary).
size_t IncompleteUtf8Tail(std::string_view text) {
  const size_t n = text.size();
  for (size_t back = 1; back <= std::min<size_t>(n, 3); ++back) {
    const auto byte = static_cast<unsigned char>(text[n - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte: keep looking for the lead
    return SequenceLength(byte) > back ? back : 0;
  }
  return 0;  // ASCII end, or stray continuation bytes (malformed: emitted as they are)
}

}  // namespace

absl::StatusOr<StopMatcher> StopMatcher::Create(std::vector<std::string> stops) {
  if (stops.size() > kMaxStopStrings) {
    return absl::InvalidArgumentError(
        absl::StrCat("stop may have at most ", kMaxStopStrings, " strings, got ", stops.size()));
  }
  for (size_t i = 0; i < stops.size(); ++i) {
    if (stops[i].empty() || stops[i].size() > kMaxStopStringBytes) {
      return absl::InvalidArgumentError(absl::StrCat("stop[", i, "] must be 1 to ", kMaxStopStringBytes,
                                                     " bytes long, got ", stops[i].size()));
    }
  }
  return StopMatcher(std::move(stops));
}

size_t StopMatcher::HeldTailLength() const {
  const std::string_view text = pending_;
  size_t held = IncompleteUtf8Tail(text);
  for (const std::string& stop : stops_) {
    // The longest proper prefix of `stop` that `text` ends with.
    for (size_t k = std::min(stop.size() - 1, text.size()); k > held; --k) {
      if (text.substr(text.size() - k) == std::string_view(stop).substr(0, k)) {
        held = k;
        break;
      }
    }
  }
  return held;
}

StopMatcher::Output StopMatcher::Push(std::string_view piece) {
  Output out;
  if (stopped_) {
    out.stopped = true;
    out.stop_index = stop_index_;
    return out;
  }
  pending_.append(piece.data(), piece.size());
  size_t best_pos = std::string::npos;
  for (size_t i = 0; i < stops_.size(); ++i) {
    const size_t pos = pending_.find(stops_[i]);
    if (pos == std::string::npos) continue;
    if (pos < best_pos || (pos == best_pos && stops_[i].size() < stops_[stop_index_].size())) {
      best_pos = pos;
      stop_index_ = static_cast<int>(i);
    }
  }
  if (stop_index_ >= 0) {
    stopped_ = true;
    out.text = pending_.substr(0, best_pos);
    out.stopped = true;
    out.stop_index = stop_index_;
    pending_.clear();
    return out;
  }
  const size_t emit = pending_.size() - HeldTailLength();
  out.text = pending_.substr(0, emit);
  pending_.erase(0, emit);
  return out;
}

std::string StopMatcher::Flush() {
  std::string rest = std::move(pending_);
  pending_.clear();
  return rest;
}

}  // namespace catena::inference
