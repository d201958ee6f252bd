#include "inference/added_tokens.h"

#include <algorithm>

#include "inference/unicode_classes.h"

namespace catena::inference {
namespace {

// Byte length of the whitespace run ending at `end` (scanning left) or starting at `begin` (scanning right).
size_t WhitespaceBefore(std::string_view text, size_t end) {
  size_t pos = end;
  while (pos > 0) {
    size_t start = pos - 1;
    while (start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) --start;
    const std::u32string c = Utf8ToCodePoints(text.substr(start, pos - start));
    if (c.size() != 1 || !IsUnicodeWhitespace(c[0])) break;
    pos = start;
  }
  return end - pos;
}

size_t WhitespaceAfter(std::string_view text, size_t begin) {
  size_t pos = begin;
  while (pos < text.size()) {
    const size_t length = ValidUtf8Length(text, pos);
    if (length == 0) break;
    const std::u32string c = Utf8ToCodePoints(text.substr(pos, length));
    if (!IsUnicodeWhitespace(c[0])) break;
    pos += length;
  }
  return pos - begin;
}

}  // namespace

void AddedTokenMatcher::Add(const AddedToken& token) {
  auto& bucket = by_first_byte_[static_cast<unsigned char>(token.content[0])];
  bucket.push_back(token);
  std::stable_sort(bucket.begin(), bucket.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.content.size() > b.content.size(); });
  ++count_;
}

const AddedToken* AddedTokenMatcher::MatchAt(std::string_view text, size_t pos) const {
  for (const AddedToken& token : by_first_byte_[static_cast<unsigned char>(text[pos])]) {
    if (text.compare(pos, token.content.size(), token.content) == 0) return &token;
  }
  return nullptr;
}

std::vector<AddedTokenMatcher::Piece> AddedTokenMatcher::Split(std::string_view text) const {
  std::vector<Piece> pieces;
  size_t text_start = 0;
  for (size_t pos = 0; pos < text.size() && count_ > 0;) {
    const AddedToken* token = MatchAt(text, pos);
    if (token == nullptr) {
      ++pos;
      continue;
    }
    size_t before_end = pos;
    if (token->lstrip) {
      before_end -= WhitespaceBefore(text.substr(text_start, pos - text_start), pos - text_start);
    }
    if (before_end > text_start) pieces.push_back({text.substr(text_start, before_end - text_start), -1, text_start});
    pieces.push_back({text.substr(pos, token->content.size()), token->id, pos});
    pos += token->content.size();
    if (token->rstrip) pos += WhitespaceAfter(text, pos);
    text_start = pos;
  }
  if (text_start < text.size() || pieces.empty()) {
    pieces.push_back({text.substr(text_start), -1, text_start});
  }
  return pieces;
}

}  // namespace catena::inference
