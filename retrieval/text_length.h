// UTF-8 helpers shared by the text splitters: validation with byte offsets, length in code points / UTF-16
// units / tokens, code point boundaries and Unicode whitespace trimming. Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {

// OK when `text` is well-formed UTF-8; otherwise INVALID_ARGUMENT naming `what` and the first bad byte offset.
absl::Status ValidateUtf8(std::string_view text, std::string_view what);

// Byte length of the UTF-8 sequence starting with `lead` (1 for bytes that cannot start a sequence).
size_t Utf8SequenceLength(unsigned char lead);

// Measures text lengths in one LengthUnit; the tokenizer is borrowed and needed only for kTokens.
class LengthMeter {
 public:
  LengthMeter(LengthUnit unit, const inference::Tokenizer* tokenizer) : unit_(unit), tokenizer_(tokenizer) {}
  // Length of valid UTF-8 `text` in this meter's unit.
  size_t Measure(std::string_view text) const;

 private:
  LengthUnit unit_;
  const inference::Tokenizer* tokenizer_;
};

// `text` without leading and trailing whitespace (JavaScript String.prototype.trim's set: ASCII and Unicode
// spaces, line terminators, U+FEFF). Returns a view into `text`.
std::string_view TrimWhitespace(std::string_view text);

// Byte length of the whitespace code point (in the TrimWhitespace sense) starting at `text[pos]`, 0 if the
// code point there is not whitespace.
size_t WhitespaceLengthAt(std::string_view text, size_t pos);

}  // namespace catena::retrieval
