// StopMatcher: finds a request's stop strings in text streamed piece by piece, so the engine can emit what is
// safe right away and hold back only a tail that may still grow into a stop string. Stop *token ids* (EOS,
// <|eot_id|>, a request's stop_token_ids) are not handled here: the engine checks each sampled id before
// detokenizing it. One StopMatcher per sequence; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::inference {

inline constexpr size_t kMaxStopStrings = 16;
inline constexpr size_t kMaxStopStringBytes = 256;

class StopMatcher {
 public:
  struct Output {
    std::string text;       // safe to emit now
    bool stopped = false;   // a stop string was hit; `text` ends right before it
    int stop_index = -1;    // which stop string (index into the constructor's list), -1 when not stopped
  };

  // INVALID_ARGUMENT for more than 16 stop strings, or an empty one or one over 256 bytes (names stop[i]).
  static absl::StatusOr<StopMatcher> Create(std::vector<std::string> stops);

  // Appends `piece` and returns the text that can no longer be part of a stop string. Matching is on bytes;
  // a stop string counts as hit as soon as it is complete, and when several complete in the same piece the
  // one starting first wins (then the shortest). Text is emitted up to, not including, the stop string, as
  // OpenAI does; the rest is dropped. An incomplete trailing UTF-8 sequence is held back too, so emitted
  // text never ends inside a character. After a stop, Push returns empty output with stopped = true.
  Output Push(std::string_view piece);

  // The held-back text at the end of generation (empty after a stop); the matcher is then empty.
  std::string Flush();

  bool stopped() const { return stopped_; }

 private:
  explicit StopMatcher(std::vector<std::string> stops) : stops_(std::move(stops)) {}

  size_t HeldTailLength() const;

  std::vector<std::string> stops_;
  std::string pending_;  // text received but not yet emitted
  bool stopped_ = false;
  int stop_index_ = -1;
};

}  // namespace catena::inference
