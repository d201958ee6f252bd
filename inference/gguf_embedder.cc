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
  Embeddings out;
  out.dimension = info_.dimension;
  out.values.reserve(texts.size() * static_cast<size_t>(info_.dimension));
  for (const std::string& text : texts) {
    std::vector<int32_t> tokens = model_->tokenizer().Encode(text, EncodeOptions{.add_special = true});
    if (static_cast<int>(tokens.size()) > info_.max_input_tokens) {
      const int32_t last = tokens.back();  // keep the closing [SEP]
      tokens.resize(info_.max_input_tokens);
      tokens.back() = last;
    }
    CATENA_ASSIGN_OR_RETURN(std::vector<float> vector, model_->backend_model().Encode(tokens));
    out.values.insert(out.values.end(), vector.begin(), vector.end());
  }
  return out;
}

}  // namespace catena::inference
