// Model: a GGUF file loaded for inference: the mapped file, its architecture (TransformerSpec), its tokenizer
// and the backend's prepared form. The plain single-sequence API of the runtime (Generate, embeddings) and
// the engine build on it. Immutable after Load; sessions created from it are per-thread.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "inference/backend.h"
#include "inference/gguf.h"
#include "inference/serving_options.h"
#include "inference/text_tokenizer.h"
#include "inference/transformer_spec.h"

namespace catena::inference {

class Model {
 public:
  // Maps `path`, builds its architecture and tokenizer and prepares it on the chosen backend. Errors name the
  // file and what is wrong with it (corrupt container, unsupported architecture, missing tensor, bad shape).
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& path, const ModelOptions& options = {});

  const std::string& path() const { return path_; }
  const GgufFile& file() const { return *file_; }
  const TransformerSpec& spec() const { return backend_model_->spec(); }
  const TextTokenizer& tokenizer() const { return *tokenizer_; }
  std::string_view backend_name() const { return backend_->name(); }
  BackendModel& backend_model() const { return *backend_model_; }

 private:
  Model() = default;
  std::string path_;
  std::unique_ptr<GgufFile> file_;
  std::unique_ptr<TextTokenizer> tokenizer_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<BackendModel> backend_model_;
};

}  // namespace catena::inference
