// Internal to the JSON-schema grammar: a string schema's `pattern` (or a known `format`) as a deterministic
// automaton over the bytes between a JSON string's quotes, for grammar nodes of Kind::kPattern.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::inference::grammar {

// The automaton of an ECMA-262 regular expression as JSON Schema reads it: matched anywhere in the string unless
// anchored with ^ and $. It reads the string as the grammar writes it: code points that JSON must escape as their
// short escapes (\" \\ \b \f \n \r \t) or \u00XX (lowercase), every other code point as its UTF-8 bytes. States
// from which no match of a length in [min_length, max_length] (code points) can be reached are left out, so a walk
// through the automaton never reaches a dead end.
//
// A walk keeps the state and the code points written so far (`count`, advanced by Advance): the length bounds
// make the reachable states depend on both.
class StringPattern {
 public:
  // INVALID_ARGUMENT for a malformed expression or one that no string of an admitted length matches;
  // UNIMPLEMENTED for lookaround, backreferences, word boundaries, \p{...} and automata past the size limits.
  // Messages name the offset in `pattern` where one applies.
  static absl::StatusOr<StringPattern> Compile(std::string_view pattern, uint32_t min_length, uint32_t max_length);
  // Compile, cached by expression and bounds (thread-safe; up to 256 entries), for schemas compiled per request
  // and for validators.
  static absl::StatusOr<std::shared_ptr<const StringPattern>> Shared(std::string_view pattern, uint32_t min_length,
                                                                     uint32_t max_length);

  // The regular expression that a known JSON Schema string `format` (date, time, date-time, uuid, ipv4, email)
  // stands for; empty for others.
  static std::string_view FormatPattern(std::string_view format);

  // The state after `byte`, or -1 when no admitted match continues with it; `count` advances when the byte
  // completes a code point (it saturates where larger counts no longer matter).
  int32_t Advance(int32_t state, uint32_t& count, uint8_t byte) const;
  // Whether the string may end here: the text matches and its length is admitted.
  bool Complete(int32_t state, uint32_t count) const;
  // `count` for a mask cache key: counts at which every state within `horizon` more code points is exactly as
  // feasible (at least minLength, and at least `horizon` plus the longest remaining match short of maxLength)
  // all read as one.
  uint32_t CountForKey(uint32_t count, uint32_t horizon) const;
  // Whether `state` lies between code points (a quote there closes the string; inside an escape it is content).
  bool AtBoundary(int32_t state) const { return boundary_[state] != 0; }

  size_t states() const { return boundary_.size(); }

  // Whether the whole string `text` (UTF-8) is admitted.
  bool Matches(std::string_view text) const;
  // The shortest admitted string (fewest bytes in its JSON spelling; letters and digits first), decoded.
  std::string ShortestMatch() const;

 private:
  bool Feasible(int32_t state, uint32_t count) const;

  uint32_t min_length_ = 0, max_length_ = UINT32_MAX;
  // Counts saturate at count_cap_; reach bit l (l < count_cap_) of a state: a match ends l code points later;
  // bit count_cap_: one ends count_cap_ or more code points later.
  uint32_t count_cap_ = 1;
  // The largest, over states that can still end a match within maxLength, of the fewest code points to its end.
  uint32_t longest_shortest_end_ = 0;
  size_t reach_words_ = 1;
  uint8_t class_of_[256] = {};     // byte -> its class: bytes of one class move every state alike
  size_t classes_ = 1;
  std::vector<int32_t> next_;     // state * classes_ + class -> state or -1
  std::vector<uint8_t> boundary_;  // per state: between code points (not inside an escape or UTF-8 sequence)
  std::vector<uint64_t> reach_;   // per state: reach_words_ words
};

}  // namespace catena::inference::grammar
