#include "inference/unicode_words.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace catena::inference {
namespace {

std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string scratch;
  ForEachLowercaseWord(text, scratch, [&](std::string_view word) { words.emplace_back(word); });
  return words;
}

TEST_CASE("words are split on punctuation and lowercased across scripts", "[unit]") {
  CHECK(Words("Hello, WORLD! Ça va? Москва—ΑΘΗΝΑ 42x") ==
        std::vector<std::string>{"hello", "world", "ça", "va", "москва", "αθηνα", "42x"});
  CHECK(Words("ŁÓDŹ Ÿ ÀÉÎÕÜ ЁЖИК") == std::vector<std::string>{"łódź", "ÿ", "àéîõü", "ёжик"});
}

TEST_CASE("non-latin scripts without case stay whole words", "[unit]") {
  CHECK(Words("東京 タワー、東京。") == std::vector<std::string>{"東京", "タワー", "東京"});
  CHECK(Words("नमस्ते दुनिया।") == std::vector<std::string>{"नमस्ते", "दुनिया"});
}

TEST_CASE("quotes, emoji, currency and invalid utf-8 separate words", "[unit]") {
  CHECK(Words("“quoted”…text") == std::vector<std::string>{"quoted", "text"});
  CHECK(Words("a😀b €5") == std::vector<std::string>{"a", "b", "5"});
  CHECK(Words(std::string("ab\xff"
                          "cd\xc3")) == std::vector<std::string>{"ab", "cd"});
  CHECK(Words(std::string("x\xe0\x80\x80y")) == std::vector<std::string>{"x", "y"});  // overlong NUL
  CHECK(Words("").empty());
  CHECK(Words("  ,.;!? ").empty());
}

TEST_CASE("utf-8 decoding round-trips every plane and rejects surrogates", "[unit]") {
  for (char32_t code_point : {U'A', U'é', U'ж', U'東', U'😀', char32_t{0x10FFFF}}) {
    std::string encoded;
    AppendUtf8(code_point, encoded);
    size_t pos = 0;
    CHECK(DecodeUtf8(encoded, &pos) == code_point);
    CHECK(pos == encoded.size());
  }
  size_t pos = 0;
  CHECK(DecodeUtf8("\xed\xa0\x80", &pos) == 0xFFFD);
  CHECK(pos == 1);
}

TEST_CASE("count words counts the words the embedders see", "[unit]") {
  CHECK(CountWords("The cat, the hat.") == 4);
  CHECK(CountWords("") == 0);
}

}  // namespace
}  // namespace catena::inference
