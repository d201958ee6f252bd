// Tiny random models for tests and demos (`catena-model make-tiny`): llama, qwen2 and bert GGUF files with
// llama.cpp's tensor names, shapes and metadata keys, random weights from a seeded generator and the tokenizer
// metadata of a real vocabulary. Deterministic: the same options give byte-identical files.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "absl/status/statusor.h"
#include "inference/ggml_types.h"
#include "inference/gguf.h"

namespace catena::inference::model_tool {

struct TinyModelOptions {
  std::string arch = "llama";       // llama, qwen2 or bert
  std::string vocab_path;           // tokenizer.json, vocab.txt or a BERT vocab.json (required)
  GgmlType type = GgmlType::kF32;   // of every 2-D tensor; 1-D tensors stay f32
  int layers = 2;
  int dim = 64;
  int heads = 4;
  std::optional<int> kv_heads;      // default: 2 (llama, qwen2), heads (bert)
  int ff = 128;
  int context = 256;
  std::optional<float> rope_theta;  // default: 10000 (llama), 1e6 (qwen2)
  bool llama3_rope_scaling = false; // adds rope_freqs.weight (Llama 3.1 factors)
  bool tied_output = false;         // no output.weight: the output reuses token_embd.weight
  uint64_t seed = 1;
  std::string name;                 // general.name; default "catena-tiny-<arch>"
  std::string pooling = "mean";     // bert: mean or cls
  int max_million_parameters = 268; // refuses larger models (--max-mparams; the GPU benchmarks use ~1100)
};

// Draws N(0, 1) values with std::mt19937_64 and the Box-Muller transform (both fully specified, so files are
// reproducible across standard libraries).
class GaussianSource {
 public:
  explicit GaussianSource(uint64_t seed) : engine_(seed) {}
  double Next();

 private:
  double Uniform();  // in (0, 1]
  std::mt19937_64 engine_;
  bool has_spare_ = false;
  double spare_ = 0;
};

// Llama 3.1's rope frequency factors (factor 8, low 1, high 4, original context 8192) for `head_dim`.
std::vector<float> Llama3RopeFactors(int head_dim, float theta);

// Builds the model in memory; INVALID_ARGUMENT naming the option (or the tensor whose row length is not a
// multiple of `type`'s block size).
absl::StatusOr<GgufWriter> BuildTinyModel(const TinyModelOptions& options);

}  // namespace catena::inference::model_tool
