// Tests of VocabularyFromGguf: llama.cpp's tokenizer.ggml.* keys -> VocabularySpec -> TextTokenizer, for the
// "llama" (SentencePiece, score merges, byte fallback), "gpt2" (byte-level BPE, .pre) and "bert" models, and
// the errors for missing, mistyped or inconsistent keys. (Registered in CMake together with GgufMetadata.)
#include <catch2/catch.hpp>

#include <cstdio>

#include "inference/gguf.h"
#include "inference/gguf_tokenizer.h"
#include "inference/text_tokenizer.h"

namespace catena::inference {
namespace {

using Ids = std::vector<int32_t>;

GgufValue Str(std::string value) { return {GgufValueType::kString, std::move(value)}; }
GgufValue U32(uint32_t value) { return {GgufValueType::kUint32, uint64_t{value}}; }
GgufValue Bool(bool value) { return {GgufValueType::kBool, value}; }
GgufValue StrArray(const std::vector<std::string>& values) {
  GgufArray array{GgufValueType::kString, {}};
  for (const std::string& value : values) array.elements.push_back(Str(value));
  return {GgufValueType::kArray, std::move(array)};
}
GgufValue F32Array(const std::vector<float>& values) {
  GgufArray array{GgufValueType::kFloat32, {}};
  for (float value : values) array.elements.push_back({GgufValueType::kFloat32, double{value}});
  return {GgufValueType::kArray, std::move(array)};
}
GgufValue I32Array(const std::vector<int32_t>& values) {
  GgufArray array{GgufValueType::kInt32, {}};
  for (int32_t value : values) array.elements.push_back({GgufValueType::kInt32, int64_t{value}});
  return {GgufValueType::kArray, std::move(array)};
}

// A LLaMA-style vocabulary: <unk> <s> </s> <0x00>..<0xFF> then scored pieces ("▁hello" is the best path).
GgufMetadata LlamaMetadata() {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
    types.push_back(6);
  }
  std::vector<float> scores(tokens.size(), 0.0f);
  const std::vector<std::pair<std::string, float>> pieces = {
      {"\u2581", -1}, {"h", -2}, {"e", -3}, {"l", -4}, {"o", -5}, {"ll", -7}, {"\u2581h", -8},
      {"\u2581he", -9}, {"llo", -10}, {"\u2581hello", -11}, {"<|eot|>", 0}};
  for (const auto& [piece, score] : pieces) {
    tokens.push_back(piece);
    scores.push_back(score);
    types.push_back(piece == "<|eot|>" ? 3 : 1);
  }
  GgufMetadata metadata;
  metadata.Set("tokenizer.ggml.model", Str("llama"));
  metadata.Set("tokenizer.ggml.tokens", StrArray(tokens));
  metadata.Set("tokenizer.ggml.scores", F32Array(scores));
  metadata.Set("tokenizer.ggml.token_type", I32Array(types));
  metadata.Set("tokenizer.ggml.bos_token_id", U32(1));
  metadata.Set("tokenizer.ggml.eos_token_id", U32(2));
  metadata.Set("tokenizer.ggml.unknown_token_id", U32(0));
  metadata.Set("tokenizer.ggml.eot_token_id", U32(static_cast<uint32_t>(tokens.size() - 1)));
  metadata.Set("tokenizer.ggml.add_bos_token", Bool(true));
  metadata.Set("tokenizer.ggml.add_eos_token", Bool(false));
  return metadata;
}

std::unique_ptr<TextTokenizer> Make(const GgufMetadata& metadata) {
  auto spec = VocabularyFromGguf(metadata);
  INFO(spec.status().ToString());
  REQUIRE(spec.ok());
  auto tokenizer = TextTokenizer::Create(*std::move(spec));
  INFO(tokenizer.status().ToString());
  REQUIRE(tokenizer.ok());
  return *std::move(tokenizer);
}

TEST_CASE("a llama gguf vocabulary merges by score, falls back to bytes and adds BOS", "[unit]") {
  auto tokenizer = Make(LlamaMetadata());
  const int32_t hello = tokenizer->TokenId("\u2581hello");
  const int32_t eot = tokenizer->TokenId("<|eot|>");
  CHECK(tokenizer->Encode("hello", {.add_special = true}) == Ids{1, hello});
  CHECK(tokenizer->Encode("\u00e9") == Ids{tokenizer->TokenId("\u2581"), 3 + 0xC3, 3 + 0xA9});
  CHECK(tokenizer->Encode("hello<|eot|>", {.parse_special = true}) == Ids{hello, eot});
  CHECK(tokenizer->IsEndOfGeneration(2));
  CHECK(tokenizer->IsEndOfGeneration(eot));
  CHECK(tokenizer->Decode(tokenizer->Encode("hello \u00e9")) == "hello \u00e9");
}

TEST_CASE("a gpt2 gguf vocabulary takes its split regex from tokenizer.ggml.pre", "[unit]") {
  GgufMetadata metadata;
  metadata.Set("tokenizer.ggml.model", Str("gpt2"));
  metadata.Set("tokenizer.ggml.tokens", StrArray({"a", "b", "ab", "\u0120", "\u0120ab"}));
  metadata.Set("tokenizer.ggml.merges", StrArray({"a b", "\u0120 ab"}));
  metadata.Set("tokenizer.ggml.pre", Str("llama-bpe"));
  auto spec = VocabularyFromGguf(metadata);
  REQUIRE(spec.ok());
  CHECK(spec->algorithm == TokenizerAlgorithm::kByteLevelBpe);
  CHECK(spec->pre_tokenizer == PreTokenizerKind::kLlama3);
  CHECK(spec->ignore_merges);
  CHECK(spec->prefix_ids.empty());  // no bos_token_id
  auto tokenizer = TextTokenizer::Create(*std::move(spec));
  REQUIRE(tokenizer.ok());
  CHECK((*tokenizer)->Encode("ab ab") == Ids{2, 4});
  metadata.Set("tokenizer.ggml.pre", Str("qwen2"));
  CHECK(VocabularyFromGguf(metadata)->pre_tokenizer == PreTokenizerKind::kQwen2);
  metadata.Set("tokenizer.ggml.pre", Str("made-up"));
  CHECK(VocabularyFromGguf(metadata).status().code() == absl::StatusCode::kUnimplemented);
}

// As llama.cpp reads Llama 3 GGUFs, which name BOS and EOS but rarely add_bos_token or eot_token_id.
TEST_CASE("a gguf vocabulary without add_bos_token or eot_token_id takes llama.cpp's defaults", "[unit]") {
  GgufMetadata metadata;
  metadata.Set("tokenizer.ggml.model", Str("gpt2"));
  metadata.Set("tokenizer.ggml.tokens",
               StrArray({"a", "b", "ab", "<|begin_of_text|>", "<|end_of_text|>", "<|eot_id|>", "<|im_end|>"}));
  metadata.Set("tokenizer.ggml.token_type", I32Array({1, 1, 1, 3, 3, 3, 3}));
  metadata.Set("tokenizer.ggml.merges", StrArray({"a b"}));
  metadata.Set("tokenizer.ggml.bos_token_id", U32(3));
  metadata.Set("tokenizer.ggml.eos_token_id", U32(4));
  for (const char* pre : {"llama-bpe", "llama3", "llama-v3"}) {
    INFO(pre);
    metadata.Set("tokenizer.ggml.pre", Str(pre));
    auto tokenizer = Make(metadata);
    CHECK(tokenizer->Encode("ab", {.add_special = true}) == Ids{3, 2});
    CHECK(tokenizer->Encode("ab") == Ids{2});
    for (int32_t id : {4, 5, 6}) CHECK(tokenizer->IsEndOfGeneration(id));
    CHECK_FALSE(tokenizer->IsEndOfGeneration(3));
  }
  metadata.Set("tokenizer.ggml.add_bos_token", Bool(false));
  CHECK(Make(metadata)->Encode("ab", {.add_special = true}) == Ids{2});
  metadata.Set("tokenizer.ggml.pre", Str("qwen2"));
  metadata.Set("tokenizer.ggml.add_bos_token", Bool(true));
  CHECK(Make(metadata)->Encode("ab", {.add_special = true}) == Ids{3, 2});
}

TEST_CASE("a qwen2 gguf vocabulary adds no BOS unless add_bos_token says so", "[unit]") {
  GgufMetadata metadata;
  metadata.Set("tokenizer.ggml.model", Str("gpt2"));
  metadata.Set("tokenizer.ggml.tokens", StrArray({"a", "b", "ab", "<|endoftext|>"}));
  metadata.Set("tokenizer.ggml.merges", StrArray({"a b"}));
  metadata.Set("tokenizer.ggml.bos_token_id", U32(3));
  metadata.Set("tokenizer.ggml.pre", Str("qwen2"));
  CHECK(Make(metadata)->Encode("ab", {.add_special = true}) == Ids{2});
}

TEST_CASE("a bert gguf vocabulary in marker layout becomes wordpiece with [CLS] and [SEP]", "[unit]") {
  GgufMetadata metadata;
  metadata.Set("tokenizer.ggml.model", Str("bert"));
  metadata.Set("tokenizer.ggml.tokens",
               StrArray({"[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u2581un", "aff", "able", "\u2581hello"}));
  metadata.Set("tokenizer.ggml.token_type", I32Array({3, 2, 3, 3, 1, 1, 1, 1}));
  auto tokenizer = Make(metadata);
  CHECK(tokenizer->Encode("Hello UNAFFABLE", {.add_special = true}) == Ids{2, 7, 4, 5, 6, 3});
}

TEST_CASE("gguf tokenizer metadata problems name the key", "[unit]") {
  GgufMetadata empty;
  CHECK(VocabularyFromGguf(empty).status().code() == absl::StatusCode::kNotFound);
  GgufMetadata metadata = LlamaMetadata();
  metadata.Set("tokenizer.ggml.model", Str("rwkv"));
  CHECK(VocabularyFromGguf(metadata).status().code() == absl::StatusCode::kUnimplemented);
  metadata = LlamaMetadata();
  metadata.Set("tokenizer.ggml.scores", F32Array({1.0f, 2.0f}));
  auto scores = VocabularyFromGguf(metadata);
  CHECK(scores.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(scores.status().message()).find("tokenizer.ggml.scores") != std::string::npos);
  metadata = LlamaMetadata();
  metadata.Set("tokenizer.ggml.eos_token_id", U32(1u << 30));
  auto eos = VocabularyFromGguf(metadata);
  CHECK(eos.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(eos.status().message()).find("eos_token_id") != std::string::npos);
  metadata = LlamaMetadata();
  metadata.Set("tokenizer.ggml.token_type", I32Array(std::vector<int32_t>(270, 9)));
  CHECK(VocabularyFromGguf(metadata).status().code() == absl::StatusCode::kInvalidArgument);
  metadata = LlamaMetadata();
  metadata.Set("tokenizer.ggml.tokens", Str("not an array"));
  CHECK_FALSE(VocabularyFromGguf(metadata).ok());
}

}  // namespace
}  // namespace catena::inference
