// Unit tests of the text splitters with hand-computed expectations: options validation, the recursive
// splitter's merge/overlap rules and length units, sentence, markdown and token splitters.
#include <algorithm>
#include <catch2/catch.hpp>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "inference/tokenizer.h"
#include "retrieval/sentence_splitter.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {
namespace {

// Test-only tokenizer: one token per whitespace-separated word of a fixed vocabulary (unknown words -> -1).
class WordTokenizer final : public inference::Tokenizer {
 public:
  explicit WordTokenizer(std::vector<std::string> vocabulary) : vocabulary_(std::move(vocabulary)) {}

  std::vector<int32_t> Encode(std::string_view text) const override {
    std::vector<int32_t> ids;
    std::istringstream words{std::string(text)};
    for (std::string word; words >> word;) {
      int32_t id = -1;
      for (size_t i = 0; i < vocabulary_.size(); ++i) {
        if (vocabulary_[i] == word) id = static_cast<int32_t>(i);
      }
      ids.push_back(id);
    }
    return ids;
  }

  std::string Decode(std::span<const int32_t> ids) const override {
    std::string text;
    for (const int32_t id : ids) {
      if (!text.empty()) text += ' ';
      text += id >= 0 ? vocabulary_[static_cast<size_t>(id)] : "<unk>";
    }
    return text;
  }

 private:
  std::vector<std::string> vocabulary_;
};

SplitterOptions Recursive(int chunk_size, int chunk_overlap, KeepSeparator keep = KeepSeparator::kStart) {
  SplitterOptions options;
  options.chunk_size = chunk_size;
  options.chunk_overlap = chunk_overlap;
  options.keep_separator = keep;
  return options;
}

std::vector<Chunk> SplitOrFail(const SplitterOptions& options, std::string_view text) {
  auto splitter = MakeSplitter(options);
  REQUIRE(splitter.ok());
  auto chunks = (*splitter)->Split(text);
  REQUIRE(chunks.ok());
  return *std::move(chunks);
}

std::vector<std::string> Texts(const std::vector<Chunk>& chunks) {
  std::vector<std::string> texts;
  for (const Chunk& chunk : chunks) texts.push_back(chunk.text);
  return texts;
}

std::vector<size_t> Starts(const std::vector<Chunk>& chunks) {
  std::vector<size_t> starts;
  for (const Chunk& chunk : chunks) starts.push_back(chunk.start);
  return starts;
}

std::string ErrorOf(const SplitterOptions& options) {
  auto splitter = MakeSplitter(options);
  REQUIRE_FALSE(splitter.ok());
  CHECK(splitter.status().code() == absl::StatusCode::kInvalidArgument);
  return std::string(splitter.status().message());
}

TEST_CASE("splitter options are validated with messages naming the field", "[unit]") {
  CHECK(ErrorOf(Recursive(1000, 1000)) ==
        "splitter.chunk_overlap (1000) must be smaller than splitter.chunk_size (1000)");
  CHECK(ErrorOf(Recursive(0, 0)) == "splitter.chunk_size (0) must be at least 1");
  CHECK(ErrorOf(Recursive(10, -1)) == "splitter.chunk_overlap (-1) must not be negative");
  SplitterOptions options = Recursive(10, 2);
  options.kind = "semantic";
  CHECK(ErrorOf(options).find("splitter.kind \"semantic\" is unknown") == 0);
  options.kind = "token";
  CHECK(ErrorOf(options) == "splitter.tokenizer is required for splitter.kind \"token\"");
  options.kind = "recursive";
  options.length_unit = LengthUnit::kTokens;
  CHECK(ErrorOf(options) == "splitter.tokenizer is required when splitter.length_unit is tokens");
  options.length_unit = LengthUnit::kCodePoints;
  options.separators = {"\n", "ab\xC3"};
  CHECK(ErrorOf(options).find("splitter.separators[1] is not valid UTF-8") == 0);
  CHECK_FALSE(ParseKeepSeparator("both").ok());
  CHECK(*ParseLengthUnit("utf16") == LengthUnit::kUtf16);
}

TEST_CASE("splitting invalid UTF-8 fails with the byte offset of the bad byte", "[unit]") {
  for (const std::string kind : {"recursive", "sentence", "markdown"}) {
    SplitterOptions options = Recursive(10, 0);
    options.kind = kind;
    auto splitter = MakeSplitter(options);
    REQUIRE(splitter.ok());
    const std::vector<std::string> bad = {"abc\xFFxyz", "abc\xE2\x82", "abc\xED\xA0\x80", "abc\xC0\xAF"};
    for (const std::string& text : bad) {
      auto chunks = (*splitter)->Split(text);
      REQUIRE_FALSE(chunks.ok());
      CHECK(chunks.status().code() == absl::StatusCode::kInvalidArgument);
      CHECK(chunks.status().message().find("not valid UTF-8") != std::string::npos);
      CHECK(chunks.status().message().find("at byte offset 3") != std::string::npos);
    }
  }
}

TEST_CASE("recursive splitter merges pieces and keeps separators at the start, the end or not at all", "[unit]") {
  const std::string text = "aaa bbb ccc";
  auto start = SplitOrFail(Recursive(7, 0, KeepSeparator::kStart), text);
  CHECK(Texts(start) == std::vector<std::string>{"aaa bbb", "ccc"});
  CHECK(Starts(start) == std::vector<size_t>{0, 8});
  auto end = SplitOrFail(Recursive(7, 0, KeepSeparator::kEnd), text);
  CHECK(Texts(end) == std::vector<std::string>{"aaa", "bbb ccc"});
  CHECK(Starts(end) == std::vector<size_t>{0, 4});
  auto none = SplitOrFail(Recursive(7, 0, KeepSeparator::kNone), text);
  CHECK(Texts(none) == std::vector<std::string>{"aaa bbb", "ccc"});
  CHECK(Starts(none) == std::vector<size_t>{0, 8});
}

TEST_CASE("recursive splitter overlaps chunks by trailing pieces up to chunk_overlap", "[unit]") {
  auto chunks = SplitOrFail(Recursive(9, 4, KeepSeparator::kNone), "one two three four");
  CHECK(Texts(chunks) == std::vector<std::string>{"one two", "two three", "four"});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 4, 14});
}

TEST_CASE("recursive splitter keeps whitespace when strip_whitespace is off", "[unit]") {
  SplitterOptions options = Recursive(7, 0);
  options.strip_whitespace = false;
  auto chunks = SplitOrFail(options, "aaa bbb ccc");
  CHECK(Texts(chunks) == std::vector<std::string>{"aaa bbb", " ccc"});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 7});
}

TEST_CASE("recursive splitter keeps a piece whole when no separator is left", "[unit]") {
  SplitterOptions options = Recursive(5, 0);
  options.separators = {" "};
  auto chunks = SplitOrFail(options, "abcdefgh ij");
  CHECK(Texts(chunks) == std::vector<std::string>{"abcdefgh", "ij"});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 9});
}

TEST_CASE("recursive splitter counts emoji as one code point or two UTF-16 units", "[unit]") {
  const std::string text = "\xF0\x9F\x98\x80\xF0\x9F\x98\x80\xF0\x9F\x98\x80";  // three U+1F600
  SplitterOptions options = Recursive(4, 0);
  CHECK(Texts(SplitOrFail(options, text)) == std::vector<std::string>{text});
  options.length_unit = LengthUnit::kUtf16;
  auto chunks = SplitOrFail(options, text);
  CHECK(Texts(chunks) == std::vector<std::string>{text.substr(0, 8), text.substr(8)});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 8});
}

TEST_CASE("recursive splitter never cuts inside a multi-byte character", "[unit]") {
  const std::string text = "Größenänderung日本語😀x";
  for (int size = 1; size <= 5; ++size) {
    for (const Chunk& chunk : SplitOrFail(Recursive(size, 0), text)) {
      CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
      CHECK((static_cast<unsigned char>(chunk.text[0]) & 0xC0) != 0x80);
    }
  }
}

TEST_CASE("recursive splitter measures tokens with the tokenizer", "[unit]") {
  const WordTokenizer tokenizer({"a", "b", "c", "d", "e"});
  SplitterOptions options = Recursive(2, 0);
  options.length_unit = LengthUnit::kTokens;
  options.tokenizer = &tokenizer;
  auto chunks = SplitOrFail(options, "a b c d e");
  CHECK(Texts(chunks) == std::vector<std::string>{"a b", "c d", "e"});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 4, 8});
}

TEST_CASE("recursive chunk starts point at the chunk text in the input", "[unit]") {
  const std::string text =
      "Intro line.\n\nSecond  paragraph with   runs of spaces\nand a line.\n\n\n\nZweiter Absatz: Größe, Übung.\n"
      "日本語のテキストです。😀😀 end";
  for (KeepSeparator keep : {KeepSeparator::kStart, KeepSeparator::kEnd}) {
    for (int size : {5, 12, 30}) {
      for (const Chunk& chunk : SplitOrFail(Recursive(size, size / 3, keep), text)) {
        INFO("size " << size << " chunk " << chunk.text);
        CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
      }
    }
  }
}

TEST_CASE("sentence boundaries skip abbreviations, initials and decimals", "[unit]") {
  const std::string text =
      "Dr. Smith paid 3.14 dollars. He left! Did he? Yes\xE2\x80\xA6 東京です。大阪です。 e.g. this one. "
      "J. R. Tolkien wrote books.\n\nHeading without stop\nMr. Jones";
  std::vector<std::string> sentences;
  for (const SentenceSpan& span : FindSentences(text)) {
    sentences.push_back(text.substr(span.begin, span.end - span.begin));
  }
  CHECK(sentences == std::vector<std::string>{"Dr. Smith paid 3.14 dollars.", "He left!", "Did he?", "Yes\xE2\x80\xA6",
                                              "東京です。", "大阪です。", "e.g. this one.",
                                              "J. R. Tolkien wrote books.", "Heading without stop\nMr. Jones"});
}

TEST_CASE("sentence splitter packs whole sentences and overlaps whole sentences", "[unit]") {
  SplitterOptions options = Recursive(30, 12);
  options.kind = "sentence";
  auto chunks = SplitOrFail(options, "One one. Two two. Three three. Four.");
  CHECK(Texts(chunks) == std::vector<std::string>{"One one. Two two. Three three.", "Three three. Four."});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 18});
  options.chunk_overlap = 10;
  options.chunk_size = 20;
  CHECK(Texts(SplitOrFail(options, "One one. Two two. Three three. Four.")) ==
        std::vector<std::string>{"One one. Two two.", "Three three. Four."});
}

TEST_CASE("sentence splitter splits a sentence longer than a chunk recursively", "[unit]") {
  SplitterOptions options = Recursive(10, 0);
  options.kind = "sentence";
  const std::string text = "Short. A much longer sentence here. End.";
  auto chunks = SplitOrFail(options, text);
  CHECK(Texts(chunks) == std::vector<std::string>{"Short.", "A much", "longer", "sentence", "here.", "End."});
  for (const Chunk& chunk : chunks) CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
}

TEST_CASE("markdown splitter makes one chunk per section with the header path", "[unit]") {
  const std::string text =
      "Intro text.\n\n# Title\n\nPara one.\n\n## Section A\n\nText A.\n```code\n# not a header\n```\n\n"
      "### Sub ###\n\nDeep text.\n\n## Section B\nText B.\n# Other\nLast.";
  SplitterOptions options = Recursive(1000, 0);
  options.kind = "markdown";
  auto chunks = SplitOrFail(options, text);
  CHECK(Texts(chunks) == std::vector<std::string>{"Intro text.", "Para one.", "Text A.\n```code\n# not a header\n```",
                                                  "Deep text.", "Text B.", "Last."});
  REQUIRE(chunks.size() == 6);
  using Meta = std::map<std::string, std::string>;
  CHECK(chunks[0].metadata.empty());
  CHECK(chunks[1].metadata == Meta{{"h1", "Title"}, {"header_path", "Title"}});
  CHECK(chunks[3].metadata ==
        Meta{{"h1", "Title"}, {"h2", "Section A"}, {"h3", "Sub"}, {"header_path", "Title > Section A > Sub"}});
  CHECK(chunks[4].metadata == Meta{{"h1", "Title"}, {"h2", "Section B"}, {"header_path", "Title > Section B"}});
  CHECK(chunks[5].metadata == Meta{{"h1", "Other"}, {"header_path", "Other"}});
  for (const Chunk& chunk : chunks) CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
}

TEST_CASE("markdown splitter splits long sections and keeps their metadata", "[unit]") {
  const std::string text = "# Guide\n## Steps\nfirst step here second step here third step here";
  SplitterOptions options = Recursive(16, 0);
  options.kind = "markdown";
  auto chunks = SplitOrFail(options, text);
  CHECK(Texts(chunks) == std::vector<std::string>{"first step here", "second step", "here third step", "here"});
  for (const Chunk& chunk : chunks) {
    CHECK(chunk.metadata.at("header_path") == "Guide > Steps");
    CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
  }
}

TEST_CASE("token splitter decodes overlapping windows of token ids", "[unit]") {
  const WordTokenizer tokenizer({"w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9"});
  SplitterOptions options = Recursive(4, 1);
  options.kind = "token";
  options.tokenizer = &tokenizer;
  auto chunks = SplitOrFail(options, "w0 w1 w2 w3 w4 w5 w6 w7 w8 w9");
  CHECK(Texts(chunks) == std::vector<std::string>{"w0 w1 w2 w3", "w3 w4 w5 w6", "w6 w7 w8 w9"});
  CHECK(Starts(chunks) == std::vector<size_t>{0, 9, 18});
  options.chunk_size = 2;
  options.chunk_overlap = 0;
  auto uneven = SplitOrFail(options, "w1  w2 w3");
  CHECK(Texts(uneven) == std::vector<std::string>{"w1 w2", "w3"});
  CHECK(Starts(uneven) == std::vector<size_t>{0, 7});
  CHECK(SplitOrFail(options, "").empty());
}

TEST_CASE("sentence and recursive chunks never exceed chunk_size and always advance", "[unit]") {
  std::string text;
  for (int i = 0; i < 60; ++i) {
    text += i % 7 == 0 ? "Ein längerer Satz über Größen und Übungen, der weitergeht und weitergeht. "
                       : "Kurz " + std::to_string(i) + "! ";
  }
  for (const std::string kind : {"sentence", "recursive"}) {
    SplitterOptions options = Recursive(45, 15);
    options.kind = kind;
    const std::vector<Chunk> chunks = SplitOrFail(options, text);
    REQUIRE(chunks.size() > 10);
    for (size_t i = 0; i < chunks.size(); ++i) {
      INFO(kind << " chunk " << chunks[i].text);
      const auto code_points = std::count_if(chunks[i].text.begin(), chunks[i].text.end(),
                                             [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
      CHECK(code_points <= 45);
      CHECK(text.substr(chunks[i].start, chunks[i].text.size()) == chunks[i].text);
      if (i > 0) CHECK(chunks[i].start > chunks[i - 1].start);
    }
  }
}

TEST_CASE("random texts split into in-range, character-aligned chunks by every splitter", "[unit]") {
  const std::vector<std::string> alphabet = {"a",  "bc", " ",  "  ",       "\n",    "\n\n", "é",  "日本",  "😀",
                                             ". ", "。", "# ", "\n## H\n", "```\n", "Dr. ", "\t", "\u3000"};
  const std::vector<std::string> kinds = {"recursive", "sentence", "markdown"};
  std::mt19937 random(20261127);
  for (int round = 0; round < 300; ++round) {
    std::string text;
    const int pieces = static_cast<int>(random() % 60);
    for (int i = 0; i < pieces; ++i) text += alphabet[random() % alphabet.size()];
    SplitterOptions options =
        Recursive(1 + static_cast<int>(random() % 20), 0, static_cast<KeepSeparator>(random() % 3));
    options.chunk_overlap = static_cast<int>(random() % static_cast<unsigned>(options.chunk_size));
    options.length_unit = random() % 2 == 0 ? LengthUnit::kCodePoints : LengthUnit::kUtf16;
    options.kind = kinds[random() % kinds.size()];
    INFO("round " << round << " kind " << options.kind << " text [" << text << "]");
    for (const Chunk& chunk : SplitOrFail(options, text)) {
      REQUIRE(chunk.start + chunk.text.size() <= text.size());
      REQUIRE_FALSE(chunk.text.empty());
      CHECK((static_cast<unsigned char>(chunk.text[0]) & 0xC0) != 0x80);
      if (options.keep_separator != KeepSeparator::kNone) {
        CHECK(text.substr(chunk.start, chunk.text.size()) == chunk.text);
      }
    }
  }
}

TEST_CASE("one splitter gives the same chunks to many threads at once", "[unit]") {
  SplitterOptions options = Recursive(40, 10);
  options.kind = "sentence";
  auto splitter = MakeSplitter(options);
  REQUIRE(splitter.ok());
  std::string text;
  for (int i = 0; i < 200; ++i) text += "Sentence number " + std::to_string(i) + " is here. ";
  const std::vector<Chunk> expected = *(*splitter)->Split(text);
  REQUIRE(expected.size() > 50);
  std::vector<int> matches(4, 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < matches.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 5; ++round) {
        auto chunks = (*splitter)->Split(text);
        if (chunks.ok() && Texts(*chunks) == Texts(expected) && Starts(*chunks) == Starts(expected)) ++matches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(matches == std::vector<int>(4, 5));
}

}  // namespace
}  // namespace catena::retrieval
