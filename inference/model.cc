#include "inference/model.h"

#include "common/status.h"
#include "inference/gguf_tokenizer.h"
#include "inference/models/architectures.h"

namespace catena::inference {

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path, const ModelOptions& options) {
  std::unique_ptr<Model> model(new Model());
  model->path_ = path;
  CATENA_ASSIGN_OR_RETURN(model->file_, GgufFile::Open(path));
  auto spec = models::BuildTransformerSpec(*model->file_);
  if (!spec.ok()) return Annotate(spec.status(), path);
  auto vocabulary = VocabularyFromGguf(model->file_->metadata());
  if (!vocabulary.ok()) return Annotate(vocabulary.status(), path + ": tokenizer");
  auto tokenizer = TextTokenizer::Create(std::move(*vocabulary));
  if (!tokenizer.ok()) return Annotate(tokenizer.status(), path + ": tokenizer");
  model->tokenizer_ = std::move(*tokenizer);
  CATENA_ASSIGN_OR_RETURN(model->backend_, CreateBackend(options.backend, BackendOptions{.threads = options.threads}));
  CATENA_ASSIGN_OR_RETURN(model->backend_model_, model->backend_->Load(*spec));
  return model;
}

}  // namespace catena::inference
