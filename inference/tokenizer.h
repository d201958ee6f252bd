// The Tokenizer interface: text <-> token ids. The inference runtime implements it for GGUF and
// tokenizer.json vocabularies; splitters and memory use it to count tokens. Implementations are immutable
// after construction and safe to call from many threads at once.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace catena::inference {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // Token ids of `text`, without BOS/EOS or other special tokens added.
  virtual std::vector<int32_t> Encode(std::string_view text) const = 0;
  // Text of `ids`; bytes that do not form complete UTF-8 are replaced with U+FFFD.
  virtual std::string Decode(std::span<const int32_t> ids) const = 0;
};

}  // namespace catena::inference
