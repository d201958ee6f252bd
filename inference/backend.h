// The compute backend interface, after ggml's backend registry: a Backend turns a TransformerSpec into a
// BackendModel that runs forward passes. CpuBackend is the portable implementation; a CUDA backend is one more
// implementation registered in backend_registry.cc. Public headers never include device headers.
// A BackendModel may be shared by many DecoderSessions; each session is used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/kv_cache.h"
#include "inference/transformer_spec.h"

namespace catena::inference {

// One sequence being decoded: its KV cache and scratch buffers.
class DecoderSession {
 public:
  virtual ~DecoderSession() = default;
  // Number of positions already in the cache.
  virtual int64_t position() const = 0;
  // Most positions the cache holds.
  virtual int64_t capacity() const = 0;
  // Runs `tokens` at positions position().. position()+n-1 and appends them to the cache. Returns the logits
  // of the last token (vocab_size floats), or of every token (n * vocab_size) when `all_logits`; the span is
  // valid until the next call. OUT_OF_RANGE when the cache would overflow, INVALID_ARGUMENT for a token id
  // outside the vocabulary (the cache is unchanged in both cases).
  virtual absl::StatusOr<std::span<const float>> Forward(std::span<const int32_t> tokens, bool all_logits) = 0;
  // Forgets positions >= `length` (length <= position()).
  virtual void Truncate(int64_t length) = 0;
};

// Which logits a sequence's step returns.
enum class LogitsWanted { kNone, kLast, kAll };

// One sequence's share of a batched decoder step: `tokens` at positions start_position.. are computed and their
// keys/values written through `block_table` (which must cover start_position + tokens.size() positions).
struct SequenceStep {
  std::span<const int32_t> tokens;
  int64_t start_position = 0;
  std::span<const int32_t> block_table;
  LogitsWanted logits = LogitsWanted::kLast;
};

class BackendModel {
 public:
  virtual ~BackendModel() = default;
  virtual const TransformerSpec& spec() const = 0;
  // Paged KV storage for this model's decoder; INVALID_ARGUMENT when the layout does not match the model.
  virtual absl::StatusOr<std::unique_ptr<KvStorage>> NewKvStorage(const KvLayout& layout) = 0;
  // Runs one batched step over several sequences (chunked prefills and single decode tokens mixed): every
  // weight is read once for all their tokens. Returns rows of vocab_size logits (one per step with kLast,
  // tokens.size() per step with kAll), in step order, valid until the next call on this model. Errors (bad token, table too short) leave the storage's other
  // positions untouched.
  virtual absl::StatusOr<std::span<const float>> Step(std::span<const SequenceStep> steps, KvStorage& kv) = 0;
  // A single-sequence session holding up to `max_positions` tokens (<= the model's context length), with its
  // own KV storage of `kv_type` (F32 by default: exact for reference comparisons). Decoders only.
  virtual absl::StatusOr<std::unique_ptr<DecoderSession>> NewSession(int64_t max_positions,
                                                                     KvType kv_type = KvType::kF32) = 0;
  // The pooled, L2-normalized embeddings of `sequences` (encoders only; each 1 to context_length tokens),
  // row-major: sequences.size() rows of embedding_length floats. The sequences run as one batch.
  virtual absl::StatusOr<std::vector<float>> Encode(std::span<const std::vector<int32_t>> sequences) = 0;
};

struct BackendOptions {
  // Worker threads of the CPU backend; 0 = every hardware thread.
  int threads = 0;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // "cpu", "cuda".
  virtual std::string_view name() const = 0;
  // Prepares `spec` (whose weights must outlive the result) for this backend.
  virtual absl::StatusOr<std::unique_ptr<BackendModel>> Load(const TransformerSpec& spec) = 0;
};

// The backend called `name`: "cpu", "cuda" or "auto" (CUDA when compiled in and a device is present, else
// CPU). FAILED_PRECONDITION naming the reason when CUDA is asked for and unavailable.
absl::StatusOr<std::unique_ptr<Backend>> CreateBackend(std::string_view name, const BackendOptions& options);
// Names of the backends compiled into this build.
std::vector<std::string> CompiledBackends();

}  // namespace catena::inference
