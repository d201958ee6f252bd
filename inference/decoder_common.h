// Shared by the decoder backends (CPU and CUDA): validation of a batched step and of a paged KV layout against
// a model, and the single-sequence DecoderSession that runs on a backend's own BackendModel::Step over a
// private KvStorage. Pure checks; a session is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>

#include "absl/status/status.h"
#include "inference/backend.h"

namespace catena::inference {

// INVALID_ARGUMENT / OUT_OF_RANGE naming sequence `index` when `step` cannot run on `spec` with `layout`
// (no tokens, past the context length, a block table too short or naming a missing block, a bad token id).
absl::Status CheckSequenceStep(const SequenceStep& step, size_t index, const TransformerSpec& spec,
                               const KvLayout& layout);
// FAILED_PRECONDITION for encoders, INVALID_ARGUMENT when `layout` does not fit `spec`'s decoder.
absl::Status CheckKvLayout(const TransformerSpec& spec, const KvLayout& layout);
// The KvLayout of a single session of `max_positions` positions (blocks of 16, numbered 0..n-1).
KvLayout SessionKvLayout(const TransformerSpec& spec, int64_t max_positions, KvType kv_type);
// INVALID_ARGUMENT unless 1 <= max_positions <= spec.context_length.
absl::Status CheckSessionLength(const TransformerSpec& spec, int64_t max_positions);

// A DecoderSession over `model.Step` with `kv` (blocks used in order) holding `capacity` positions.
std::unique_ptr<DecoderSession> NewPagedSession(BackendModel& model, std::unique_ptr<KvStorage> kv, int64_t capacity);

}  // namespace catena::inference
