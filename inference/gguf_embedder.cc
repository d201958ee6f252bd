#include "inference/gguf_embedder.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::inference {

absl::StatusOr<std::unique_ptr<GgufEmbedder>> GgufEmbedder::Create(std::shared_ptr<const Model> model,
                                                                   std::string name) {
  const TransformerSpec& spec = model->spec();
  if (spec.kind != TransformerKind::kEncoder) {
    return absl::FailedPreconditionError(
        absl::StrCat(model->path(), " is a ", spec.architecture, " decoder; embeddings need an encoder model"));
  }
  EmbedderInfo info;
  info.name = name.empty() ? spec.name : std::move(name);
  info.dimension = static_cast<int>(spec.embedding_length);
  info.kind = "gguf";
  info.max_input_tokens = static_cast<int>(spec.context_length);
  return std::unique_ptr<GgufEmbedder>(new GgufEmbedder(std::move(model), std::move(info)));
}

absl::StatusOr<Embeddings> GgufEmbedder::Embed(std::span<const std::string> texts, EmbedInputKind) const {
  constexpr size_t kBatchTokens = 4096;  // rows per forward pass: enough to amortize reading the weights
  Embeddings out;
  out.dimension = info_.dimension;
  out.values.reserve(texts.size() * static_cast<size_t>(info_.dimension));
  std::vector<std::vector<int32_t>> batch;
  size_t batch_tokens = 0;
  auto flush = [&]() -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(std::vector<float> vectors, model_->backend_model().Encode(batch));
    out.values.insert(out.values.end(), vectors.begin(), vectors.end());
    batch.clear();
    batch_tokens = 0;
    return absl::OkStatus();
  };
  for (const std::string& text : texts) {
    std::vector<int32_t> tokens = model_->tokenizer().Encode(text, EncodeOptions{.add_special = true});
    if (static_cast<int>(tokens.size()) > info_.max_input_tokens) {
      return absl::InvalidArgumentError(absl::StrCat("input ", out.values.size() / info_.dimension + batch.size(),
                                                     " has ", tokens.size(), " tokens; embedder '", info_.name,
                                                     "' reads at most ", info_.max_input_tokens));
    }
    if (tokens.empty()) return absl::InvalidArgumentError("the tokenizer produced no tokens for an input text");
    batch_tokens += tokens.size();
    batch.push_back(std::move(tokens));
    if (batch_tokens >= kBatchTokens) CATENA_RETURN_IF_ERROR(flush());
  }
  if (!batch.empty()) CATENA_RETURN_IF_ERROR(flush());
  return out;
}

}  // namespace catena::inference
