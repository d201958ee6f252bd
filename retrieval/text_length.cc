#include "retrieval/text_length.h"

#include <cstdint>

#include "absl/strings/str_cat.h"

namespace catena::retrieval {
namespace {

bool IsContinuation(unsigned char byte) { return (byte & 0xC0) == 0x80; }

// Code point of the valid UTF-8 sequence at `text[pos]`.
char32_t DecodeAt(std::string_view text, size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  const size_t len = Utf8SequenceLength(lead);
  if (len == 1) return lead;
  char32_t cp = lead & (0x7F >> len);
  for (size_t i = 1; i < len && pos + i < text.size(); ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(text[pos + i]) & 0x3F);
  }
  return cp;
}

bool IsWhitespaceCodePoint(char32_t cp) {
  if (cp == 0x20 || (cp >= 0x09 && cp <= 0x0D)) return true;
  if (cp < 0x80) return false;
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

// Length of the valid sequence at `pos`, or 0 when it is malformed (truncated, overlong, surrogate, too big).
size_t CheckedSequenceLength(std::string_view text, size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) return 1;
  if (lead < 0xC2 || lead > 0xF4) return 0;
  const size_t len = Utf8SequenceLength(lead);
  if (pos + len > text.size()) return 0;
  for (size_t i = 1; i < len; ++i) {
    if (!IsContinuation(static_cast<unsigned char>(text[pos + i]))) return 0;
  }
  const auto second = static_cast<unsigned char>(text[pos + 1]);
  if (lead == 0xE0 && second < 0xA0) return 0;  // overlong
  if (lead == 0xED && second > 0x9F) return 0;  // UTF-16 surrogate
  if (lead == 0xF0 && second < 0x90) return 0;  // overlong
  if (lead == 0xF4 && second > 0x8F) return 0;  // above U+10FFFF
  return len;
}

}  // namespace

size_t Utf8SequenceLength(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF7) return 4;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xC0 && lead <= 0xDF) return 2;
  return 1;
}

absl::Status ValidateUtf8(std::string_view text, std::string_view what) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t len = CheckedSequenceLength(text, pos);
    if (len == 0) {
      return absl::InvalidArgumentError(absl::StrCat(std::string(what), " is not valid UTF-8: bad byte 0x",
                                                     absl::Hex(static_cast<unsigned char>(text[pos]), absl::kZeroPad2),
                                                     " at byte offset ", pos));
    }
    pos += len;
  }
  return absl::OkStatus();
}

size_t LengthMeter::Measure(std::string_view text) const {
  if (unit_ == LengthUnit::kTokens) return tokenizer_->Encode(text).size();
  size_t count = 0;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (!IsContinuation(byte)) ++count;
    if (unit_ == LengthUnit::kUtf16 && byte >= 0xF0) ++count;  // outside the BMP: a surrogate pair
  }
  return count;
}

size_t WhitespaceLengthAt(std::string_view text, size_t pos) {
  if (pos >= text.size()) return 0;
  const size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[pos]));
  return IsWhitespaceCodePoint(DecodeAt(text, pos)) ? len : 0;
}

std::string_view TrimWhitespace(std::string_view text) {
  size_t begin = 0;
  while (size_t len = WhitespaceLengthAt(text, begin)) begin += len;
  size_t end = text.size();
  while (end > begin) {
    size_t cp_start = end - 1;
    while (cp_start > begin && IsContinuation(static_cast<unsigned char>(text[cp_start]))) --cp_start;
    if (WhitespaceLengthAt(text, cp_start) == 0) break;
    end = cp_start;
  }
  return text.substr(begin, end - begin);
}

}  // namespace catena::retrieval
