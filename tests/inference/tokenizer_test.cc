// Unit tests of the tokenizers on small hand-made vocabularies: SentencePiece merges by score with byte
// fallback, the GPT-2/Llama-3/Qwen2 pre-tokenizer regexes, byte-level BPE, WordPiece with BERT's normalizer,
// added/special tokens, streaming detokenization and the tokenizer.json builder's errors.
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

#include "inference/pre_tokenizer.h"
#include "inference/text_tokenizer.h"
#include "inference/unicode_classes.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using Ids = std::vector<int32_t>;
constexpr int32_t kByteBase = 3;  // <0x00> in the SentencePiece test vocabulary

// <unk> <s> </s> <0x00>..<0xFF>, then normal tokens scored so that "▁hello" builds as ll, ▁h, ▁he, llo, ▁hello.
VocabularySpec TinySentencePiece() {
  VocabularySpec spec;
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    spec.tokens.push_back(name);
    spec.types.push_back(TokenType::kByte);
  }
  const std::vector<std::pair<std::string, float>> normal = {
      {"\u2581", -1}, {"h", -2}, {"e", -3}, {"l", -4}, {"o", -5}, {"ll", -7}, {"\u2581h", -8},
      {"\u2581he", -9}, {"llo", -10}, {"\u2581hello", -11}, {"w", -12}};
  spec.scores.assign(spec.tokens.size(), 0.0f);
  for (const auto& [token, score] : normal) {
    spec.tokens.push_back(token);
    spec.scores.push_back(score);
    spec.types.push_back(TokenType::kNormal);
  }
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.prefix_ids = {1};
  spec.added_tokens = {{"<s>", 1, true}, {"</s>", 2, true}};
  return spec;
}

std::unique_ptr<TextTokenizer> Make(VocabularySpec spec) {
  auto tokenizer = TextTokenizer::Create(std::move(spec));
  REQUIRE(tokenizer.ok());
  return *std::move(tokenizer);
}

std::vector<std::string> Words(PreTokenizerKind kind, std::string_view text) {
  std::vector<std::string_view> views;
  PreTokenize(kind, text, views);
  return std::vector<std::string>(views.begin(), views.end());
}

TEST_CASE("sentencepiece bpe merges the best-scored pair first and falls back to bytes", "[unit]") {
  auto tokenizer = Make(TinySentencePiece());
  const int32_t hello = tokenizer->TokenId("\u2581hello");
  const int32_t marker = tokenizer->TokenId("\u2581");
  CHECK(tokenizer->Encode("hello") == Ids{hello});
  CHECK(tokenizer->Encode("hello hello") == Ids{hello, hello});
  // é is not in the vocabulary: its two UTF-8 bytes become <0xC3> <0xA9>.
  CHECK(tokenizer->Encode("\u00e9") == Ids{marker, kByteBase + 0xC3, kByteBase + 0xA9});
  CHECK(tokenizer->Decode(tokenizer->Encode("hello \u00e9 hello")) == "hello \u00e9 hello");
  CHECK(tokenizer->Encode("hello", {.add_special = true}) == Ids{1, hello});
}

TEST_CASE("special tokens are parsed only when asked and skipped on request when decoding", "[unit]") {
  auto tokenizer = Make(TinySentencePiece());
  const int32_t hello = tokenizer->TokenId("\u2581hello");
  CHECK(tokenizer->Encode("<s>hello", {.parse_special = true}) == Ids{1, hello});
  const Ids plain = tokenizer->Encode("<s>hello");
  CHECK(std::find(plain.begin(), plain.end(), 1) == plain.end());
  CHECK(tokenizer->Decode(plain) == "<s>hello");
  CHECK(tokenizer->Decode(Ids{1, hello, 2}, false) == "<s> hello</s>");
  CHECK(tokenizer->Decode(Ids{1, hello, 2}, true) == "hello");
  CHECK(tokenizer->IsEndOfGeneration(2));
  CHECK_FALSE(tokenizer->IsEndOfGeneration(hello));
  CHECK(tokenizer->bos_id() == 1);
}

TEST_CASE("the streaming detokenizer holds bytes until a character is complete", "[unit]") {
  auto tokenizer = Make(TinySentencePiece());
  StreamingDetokenizer stream(*tokenizer);
  CHECK(stream.Push(tokenizer->TokenId("\u2581hello")) == "hello");
  // 🦙 is F0 9F A6 99, one byte-fallback token per byte.
  CHECK(stream.Push(kByteBase + 0xF0).empty());
  CHECK(stream.Push(kByteBase + 0x9F).empty());
  CHECK(stream.Push(kByteBase + 0xA6).empty());
  CHECK(stream.Push(kByteBase + 0x99) == "\U0001F999");
  CHECK(stream.Push(1).empty());  // <s> skipped
  CHECK(stream.Push(kByteBase + 0xC3).empty());
  CHECK(stream.Flush() == "\uFFFD");  // a lone lead byte never completed
  // A byte that cannot start a character comes out at once as U+FFFD.
  CHECK(stream.Push(kByteBase + 0xFF) == "\uFFFD");
  // SentencePiece replaces each byte of a cut-short character, as the sentencepiece library does.
  CHECK(tokenizer->Decode(Ids{kByteBase + 0xE2, kByteBase + 0x82}) == "\uFFFD\uFFFD");
}

TEST_CASE("the gpt-2 split regex keeps a single space with the following word", "[unit]") {
  CHECK(Words(PreTokenizerKind::kGpt2, "Hello world's  test\n\n 123") ==
        std::vector<std::string>{"Hello", " world", "'s", " ", " test", "\n\n", " 123"});
  CHECK(Words(PreTokenizerKind::kGpt2, "IT'S ok!!  ") == std::vector<std::string>{"IT", "'", "S", " ok", "!!", "  "});
  CHECK(Words(PreTokenizerKind::kGpt2, "a\u3000b") == std::vector<std::string>{"a", "\u3000", "b"});
}

TEST_CASE("the llama-3 split regex groups three digits and newlines and folds contraction case", "[unit]") {
  CHECK(Words(PreTokenizerKind::kLlama3, "Hello world's  test\n\n 12345") ==
        std::vector<std::string>{"Hello", " world", "'s", " ", " test", "\n\n", " ", "123", "45"});
  CHECK(Words(PreTokenizerKind::kLlama3, "IT'S (ok)\n") == std::vector<std::string>{"IT", "'S", " (", "ok", ")\n"});
  CHECK(Words(PreTokenizerKind::kLlama3, "a\u3000b  \n  c") ==
        std::vector<std::string>{"a", "\u3000b", "  \n", " ", " c"});
  CHECK(Words(PreTokenizerKind::kQwen2, "x 2024") == std::vector<std::string>{"x", " ", "2", "0", "2", "4"});
}

// A byte-level vocabulary: the 256-symbol byte alphabet plus "he", "Ġt" and "Ġthe".
VocabularySpec TinyByteLevel() {
  VocabularySpec spec;
  spec.algorithm = TokenizerAlgorithm::kByteLevelBpe;
  spec.pre_tokenizer = PreTokenizerKind::kGpt2;
  // The 256-symbol byte alphabet: printable Latin-1 maps to itself, the rest from U+0100 on ('Ġ' is space).
  std::u32string alphabet;
  for (char32_t c = 0; c < 256; ++c) {
    const bool printable = (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174);
    if (printable) alphabet.push_back(c);
  }
  for (char32_t c = 0, next = 256; c < 256; ++c) {
    const bool printable = (c >= 33 && c <= 126) || (c >= 161 && c <= 172) || (c >= 174);
    if (!printable) alphabet.push_back(next++);
  }
  for (char32_t c : alphabet) {
    std::string utf8;
    if (c < 0x80) {
      utf8.push_back(static_cast<char>(c));
    } else {
      utf8.push_back(static_cast<char>(0xC0 | (c >> 6)));
      utf8.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
    spec.tokens.push_back(utf8);
  }
  spec.tokens.push_back("he");
  spec.tokens.push_back("\u0120t");
  spec.tokens.push_back("\u0120the");
  spec.merges = {{"h", "e"}, {"\u0120", "t"}, {"\u0120t", "he"}};
  return spec;
}

TEST_CASE("byte-level bpe merges by rank and decodes any bytes back", "[unit]") {
  auto json = VocabularyFromTokenizerJson(R"({"model": {"type": "BPE", "vocab": {}, "merges": []},
      "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}})");
  REQUIRE(json.ok());
  CHECK(json->algorithm == TokenizerAlgorithm::kByteLevelBpe);
  CHECK(json->pre_tokenizer == PreTokenizerKind::kGpt2);
  const VocabularySpec spec = TinyByteLevel();
  auto tokenizer = Make(spec);
  const int32_t the = tokenizer->TokenId("\u0120the");
  CHECK(tokenizer->Encode("he the") == Ids{tokenizer->TokenId("he"), the});
  const std::string messy = "x \U0001F999\t\r\n caf\u00e9 \x01";
  CHECK(tokenizer->Decode(tokenizer->Encode(messy)) == messy);
  CHECK(tokenizer->Encode(" t").size() == 1);
}

// Ill-formed UTF-8 becomes U+FFFD as the reference decoder of each vocabulary kind does it, checked against
// /usr/bin/python3 on random bytes biased towards lead and continuation bytes: byte-level BPE one per maximal
// subpart (bytes.decode("utf-8", "replace"), as Hugging Face's ByteLevel decoder), SentencePiece byte fallback one
// per byte (as the sentencepiece library). Decode and the streaming detokenizer, fed a byte token at a time, agree.
TEST_CASE("ill-formed utf-8 is replaced as the reference decoders replace it, also when streamed", "[unit]") {
  CHECK(SanitizeUtf8("\xE4\xB8" "A") == "\uFFFD" "A");
  CHECK(SanitizeUtf8("\xE4\xB8" "A", Utf8Repair::kPerByte) == "\uFFFD\uFFFD" "A");
  CHECK(SanitizeUtf8("\xE0\x80") == "\uFFFD\uFFFD");
  CHECK(SanitizeUtf8("\xED\xA0\x80") == "\uFFFD\uFFFD\uFFFD");
  CHECK(SanitizeUtf8("\xF0\x9F\x98x") == "\uFFFDx");
  CHECK(SanitizeUtf8("\xE4\xB8\xE4\xB8\xAD") == "\uFFFD\u4E2D");
  std::mt19937 random(11);
  const unsigned char interesting[] = {0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE4,
                                       0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0xB8, 0xAD, 0x98};
  std::vector<std::string> samples;
  std::string lines;
  for (int i = 0; i < 400; ++i) {
    std::string bytes(1 + random() % 12, '\0');
    for (char& c : bytes) c = static_cast<char>(interesting[random() % sizeof(interesting)]);
    samples.push_back(bytes);
    for (unsigned char c : bytes) {
      char hex[3];
      std::snprintf(hex, sizeof(hex), "%02x", c);
      lines += hex;
    }
    lines += "\n";
  }
  catena::testing::TempDir dir("utf8-replace");
  const std::string path = dir.Write("samples.hex", lines).string();
  // Per sample: the maximal-subpart text, then the per-byte text, as hex.
  catena::testing::Subprocess python(
      {"/usr/bin/python3", "-c",
       "import codecs, sys\n"
       "codecs.register_error('perbyte', lambda e: ('\\ufffd', e.start + 1))\n"
       "for line in open(sys.argv[1]):\n"
       "    raw = bytes.fromhex(line.strip())\n"
       "    for errors in ('replace', 'perbyte'):\n"
       "        sys.stdout.write(raw.decode('utf-8', errors).encode('utf-8').hex() + '\\n')",
       path});
  REQUIRE(python.Wait(std::chrono::seconds(60)) == 0);
  std::istringstream expected(python.Stdout());
  auto from_hex = [](const std::string& hex) {
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    return out;
  };
  auto byte_level = Make(TinyByteLevel());
  auto sentencepiece = Make(TinySentencePiece());
  CHECK(byte_level->utf8_repair() == Utf8Repair::kMaximalSubpart);
  CHECK(sentencepiece->utf8_repair() == Utf8Repair::kPerByte);
  for (const std::string& bytes : samples) {
    std::string subparts, per_byte;
    REQUIRE(std::getline(expected, subparts));
    REQUIRE(std::getline(expected, per_byte));
    INFO(subparts << " / " << per_byte);
    CHECK(SanitizeUtf8(bytes) == from_hex(subparts));
    CHECK(SanitizeUtf8(bytes, Utf8Repair::kPerByte) == from_hex(per_byte));
    for (const auto& [tokenizer, want] : {std::pair{byte_level.get(), from_hex(subparts)},
                                         std::pair{sentencepiece.get(), from_hex(per_byte)}}) {
      Ids ids;
      for (unsigned char c : bytes) {
        ids.push_back(tokenizer == sentencepiece.get() ? kByteBase + c : byte_level->Encode(std::string(1, c)).at(0));
      }
      CHECK(tokenizer->Decode(ids) == want);
      StreamingDetokenizer stream(*tokenizer);
      std::string streamed;
      for (int32_t id : ids) streamed += stream.Push(id);
      streamed += stream.Flush();
      CHECK(streamed == want);
    }
  }
}

VocabularySpec TinyBert() {
  auto spec = BertUncasedSpec({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "hello",
                               "cafe", ",", "!", "\u4e2d", "\u56fd", "a", "##a", "i"});
  REQUIRE(spec.ok());
  return *std::move(spec);
}

TEST_CASE("wordpiece lowercases, strips accents and splits punctuation and cjk like bert", "[unit]") {
  auto tokenizer = Make(TinyBert());
  const auto id = [&](std::string_view token) { return tokenizer->TokenId(token); };
  CHECK(tokenizer->Encode("UnAffable") == Ids{id("un"), id("##aff"), id("##able")});
  CHECK(tokenizer->Encode("Caf\u00e9, HELLO!") == Ids{id("cafe"), id(","), id("hello"), id("!")});
  CHECK(tokenizer->Encode("\u4e2d\u56fd") == Ids{id("\u4e2d"), id("\u56fd")});
  CHECK(tokenizer->Encode("hel\x01lo\tunknownword") == Ids{id("hello"), id("[UNK]")});
  CHECK(tokenizer->Encode("\u0130") == Ids{id("i")});  // İ: accent stripped first, then lowercased
  CHECK(tokenizer->Encode(std::string(100, 'a')).size() == 100);
  CHECK(tokenizer->Encode(std::string(101, 'a')) == Ids{id("[UNK]")});
  CHECK(tokenizer->Encode("hello", {.add_special = true}) == Ids{id("[CLS]"), id("hello"), id("[SEP]")});
  // Hugging Face's per-token cleanup: no space before . ? ! , (but "it ' s" stays, the quote is its own token).
  CHECK(tokenizer->Decode(tokenizer->Encode("hello , unaffable !")) == "hello, unaffable!");
}

TEST_CASE("tokenizer.json problems are reported with what was wrong", "[unit]") {
  CHECK(VocabularyFromTokenizerJson("{").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(VocabularyFromTokenizerJson("[]").status().code() == absl::StatusCode::kInvalidArgument);
  auto regex = VocabularyFromTokenizerJson(R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated"}})");
  CHECK(regex.status().code() == absl::StatusCode::kUnimplemented);
  CHECK(std::string(regex.status().message()).find("\\d+") != std::string::npos);
  CHECK(VocabularyFromTokenizerJson(R"({"model": {"type": "Unigram", "vocab": []}})").status().code() ==
        absl::StatusCode::kUnimplemented);
  auto spec = VocabularyFromTokenizerJson(R"({"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a c"]},
      "pre_tokenizer": {"type": "ByteLevel", "use_regex": true}})");
  REQUIRE(spec.ok());
  auto tokenizer = TextTokenizer::Create(*std::move(spec));
  CHECK(tokenizer.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(tokenizer.status().message()).find("merge 0") != std::string::npos);
  VocabularySpec bad = TinySentencePiece();
  bad.eos_id = 100000;
  CHECK(TextTokenizer::Create(bad).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("random bytes never break encoding and decode back to their sanitized text", "[unit]") {
  auto sentencepiece = Make(TinySentencePiece());
  auto wordpiece = Make(TinyBert());
  std::mt19937 random(7);
  for (int round = 0; round < 300; ++round) {
    std::string bytes(random() % 40, '\0');
    for (char& c : bytes) c = static_cast<char>(random() % 256);
    INFO(round);
    const Ids ids = sentencepiece->Encode(bytes, {.add_special = true, .parse_special = true});
    for (int32_t id : ids) CHECK((id >= 0 && id < sentencepiece->vocab_size()));
    CHECK(sentencepiece->Decode(ids, true) == SanitizeUtf8(bytes, Utf8Repair::kPerByte));
    for (int32_t id : wordpiece->Encode(bytes)) CHECK((id >= 0 && id < wordpiece->vocab_size()));
  }
}

TEST_CASE("one tokenizer encodes from many threads at once with the same results", "[unit]") {
  auto tokenizer = Make(TinySentencePiece());
  const std::string text = "hello \u00e9 hello hello world \U0001F999";
  const Ids expected = tokenizer->Encode(text);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) failures[t] += tokenizer->Encode(text) != expected;
    });
  }
  for (std::thread& thread : threads) thread.join();
  CHECK(failures == std::vector<int>(4, 0));
}

TEST_CASE("FromFile recognizes vocab.txt and tokenizer.json and names unreadable files", "[unit]") {
  catena::testing::TempDir dir("tokenizer-files");
  const auto vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n##s\n");
  auto bert = TextTokenizer::FromFile(vocab.string());
  REQUIRE(bert.ok());
  CHECK((*bert)->Encode("Hellos", {.add_special = true}) == Ids{2, 4, 5, 3});
  const auto json = dir.Write("tokenizer.json", R"({"model": {"type": "WordPiece", "unk_token": "[UNK]",
      "vocab": {"[UNK]": 0, "hi": 1}}, "normalizer": {"type": "BertNormalizer", "lowercase": true},
      "pre_tokenizer": {"type": "BertPreTokenizer"}})");
  auto wordpiece = TextTokenizer::FromFile(json.string());
  REQUIRE(wordpiece.ok());
  CHECK((*wordpiece)->Encode("HI there") == Ids{1, 0});
  auto missing = TextTokenizer::FromFile((dir.path() / "nope.json").string());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("nope.json") != std::string::npos);
  const auto huge = dir.Write("huge.json", R"({"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
      "added_tokens": [{"id": 2000000000, "content": "<x>"}]})");
  CHECK(TextTokenizer::FromFile(huge.string()).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::inference
