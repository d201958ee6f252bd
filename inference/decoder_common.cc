#include "inference/decoder_common.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference {
namespace {

absl::Status CheckTokenIds(std::span<const int32_t> tokens, int64_t vocab_size) {
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] < 0 || tokens[i] >= vocab_size) {
      return absl::InvalidArgumentError(
          absl::StrCat("token ", i, " has id ", tokens[i], ", outside the vocabulary [0, ", vocab_size, ")"));
    }
  }
  return absl::OkStatus();
}

// One sequence on its own storage, blocks 0..n-1 in order.
class PagedDecoderSession final : public DecoderSession {
 public:
  PagedDecoderSession(BackendModel& model, std::unique_ptr<KvStorage> kv, int64_t capacity)
      : model_(model), kv_(std::move(kv)), capacity_(capacity) {
    table_.resize(kv_->layout().num_blocks);
    for (size_t i = 0; i < table_.size(); ++i) table_[i] = static_cast<int32_t>(i);
  }
  int64_t position() const override { return position_; }
  int64_t capacity() const override { return capacity_; }
  void Truncate(int64_t length) override { position_ = std::clamp<int64_t>(length, 0, position_); }

  absl::StatusOr<std::span<const float>> Forward(std::span<const int32_t> tokens, bool all_logits) override {
    if (position_ + static_cast<int64_t>(tokens.size()) > capacity_) {
      return absl::OutOfRangeError(absl::StrCat("sequence would reach ", position_ + tokens.size(),
                                                " positions; the session holds ", capacity_));
    }
    const SequenceStep step{tokens, position_, table_, all_logits ? LogitsWanted::kAll : LogitsWanted::kLast};
    CATENA_ASSIGN_OR_RETURN(std::span<const float> logits, model_.Step(std::span(&step, 1), *kv_));
    logits_.assign(logits.begin(), logits.end());  // the model's buffer is shared with other sessions
    position_ += static_cast<int64_t>(tokens.size());
    return std::span<const float>(logits_);
  }

 private:
  BackendModel& model_;
  std::unique_ptr<KvStorage> kv_;
  const int64_t capacity_;
  std::vector<int32_t> table_;
  int64_t position_ = 0;
  std::vector<float> logits_;
};

}  // namespace

absl::Status CheckSequenceStep(const SequenceStep& step, size_t index, const TransformerSpec& spec,
                               const KvLayout& layout) {
  const int64_t end = step.start_position + static_cast<int64_t>(step.tokens.size());
  if (step.tokens.empty() || step.start_position < 0) {
    return absl::InvalidArgumentError(absl::StrCat("sequence ", index, " of the step has no tokens"));
  }
  if (end > spec.context_length) {
    return absl::OutOfRangeError(absl::StrCat("sequence ", index, " would reach ", end,
                                              " positions; the model's context length is ", spec.context_length));
  }
  if (static_cast<int64_t>(step.block_table.size()) * layout.block_size < end) {
    return absl::InvalidArgumentError(absl::StrCat("sequence ", index, "'s block table covers ",
                                                   step.block_table.size() * layout.block_size,
                                                   " positions, the step needs ", end));
  }
  for (int32_t block : step.block_table) {
    if (block < 0 || block >= layout.num_blocks) {
      return absl::InvalidArgumentError(
          absl::StrCat("sequence ", index, " names KV block ", block, ", outside [0, ", layout.num_blocks, ")"));
    }
  }
  return Annotate(CheckTokenIds(step.tokens, spec.vocab_size), absl::StrCat("sequence ", index));
}

absl::Status CheckKvLayout(const TransformerSpec& spec, const KvLayout& layout) {
  const int64_t kv_dim = spec.head_count_kv * spec.head_dim;
  if (spec.kind != TransformerKind::kDecoder) {
    return absl::FailedPreconditionError(absl::StrCat(spec.architecture, " is an encoder; it has no KV cache"));
  }
  if (layout.type == KvType::kQ8_0 && spec.head_dim % 32 != 0) {
    return absl::InvalidArgumentError(absl::StrCat("a q8_0 KV cache needs a head dimension that is a multiple of 32; ",
                                                   spec.architecture, " has ", spec.head_dim));
  }
  if (layout.layers != spec.layer_count || layout.kv_dim != kv_dim || layout.block_size <= 0 ||
      layout.num_blocks <= 0 || layout.num_blocks > (int64_t{1} << 31)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "KV layout (", layout.layers, " layers, kv_dim ", layout.kv_dim, ", ", layout.num_blocks, " blocks of ",
        layout.block_size, ") does not fit the model (", spec.layer_count, " layers, kv_dim ", kv_dim, ")"));
  }
  return absl::OkStatus();
}

KvLayout SessionKvLayout(const TransformerSpec& spec, int64_t max_positions, KvType kv_type) {
  constexpr int64_t kBlock = 16;
  return KvLayout{.layers = spec.layer_count,
                  .kv_dim = spec.head_count_kv * spec.head_dim,
                  .block_size = kBlock,
                  .num_blocks = (max_positions + kBlock - 1) / kBlock,
                  .type = kv_type};
}

absl::Status CheckSessionLength(const TransformerSpec& spec, int64_t max_positions) {
  if (max_positions > 0 && max_positions <= spec.context_length) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("session length ", max_positions, " must be in [1, ",
                                                 spec.context_length, "] (the model's context length)"));
}

std::unique_ptr<DecoderSession> NewPagedSession(BackendModel& model, std::unique_ptr<KvStorage> kv, int64_t capacity) {
  return std::make_unique<PagedDecoderSession>(model, std::move(kv), capacity);
}

}  // namespace catena::inference
