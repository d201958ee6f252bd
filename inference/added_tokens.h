// AddedTokenMatcher: finds added/special tokens written verbatim in text (leftmost, then longest match, as
// Hugging Face's added-vocabulary split does) and cuts the text around them, honouring lstrip/rstrip.
// Internal to TextTokenizer; immutable after construction and thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "inference/vocabulary_spec.h"

namespace catena::inference {

class AddedTokenMatcher {
 public:
  struct Piece {
    std::string_view text;  // plain text to tokenize (when id < 0)
    int32_t id = -1;        // an added token
    size_t offset = 0;      // byte offset of the piece in the input
  };

  // Matches the tokens of `tokens` for which `include(token)` is true.
  template <typename Predicate>
  AddedTokenMatcher(const std::vector<AddedToken>& tokens, Predicate include) {
    for (const AddedToken& token : tokens) {
      if (!token.content.empty() && include(token)) Add(token);
    }
  }
  bool empty() const { return count_ == 0; }
  // The pieces of `text` in order; text pieces may be empty only when `text` is.
  std::vector<Piece> Split(std::string_view text) const;

 private:
  void Add(const AddedToken& token);
  // The token matching at `pos`, or nullptr.
  const AddedToken* MatchAt(std::string_view text, size_t pos) const;

  std::array<std::vector<AddedToken>, 256> by_first_byte_;  // longest first
  size_t count_ = 0;
};

}  // namespace catena::inference
