// ServerComponents: the parts several services share, created once on first use and owned by catenad:
// the embedder registry (EmbeddingService, RetrievalService, pipelines), the retrieval engine, the memory store
// (MemoryService, pipeline checkpoints and memory nodes) and the model registry (InferenceService, llm nodes).
// Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/remote_chat_model.h"
#include "chains/remote_embedder.h"
#include "inference/serving_options.h"
#include "memory/memory_service.h"

namespace catena {
class MetricsRegistry;
}
namespace catena::inference {
class EmbedderRegistry;
class ModelRegistry;
}  // namespace catena::inference
namespace catena::memory {
class MemoryStore;
}
namespace catena::retrieval {
class RetrievalEngine;
}

namespace catena::server {

struct ComponentOptions {
  std::filesystem::path data_dir;
  // npm assets (word vectors); empty = $CATENA_ASSET_DIR, else ~/.cache/catena/assets.
  std::filesystem::path asset_dir;
  // Dimension of the always-present hashing embedder ("hashing-<dimension>", the default embedder).
  int hashing_dimension = 384;
  // GGUF encoder models served as embedders, as "name=path" items (embedding.gguf_models).
  std::vector<std::string> gguf_embedders;
  // OpenAI-compatible embedders (embedding.remote) and chat models (models.remote).
  std::vector<chains::RemoteEmbedderSpec> remote_embedders;
  std::vector<chains::RemoteChatModelSpec> remote_chat_models;
  // fsync every retrieval write (off: WAL without fsync, survives kill -9 but not power loss).
  bool retrieval_sync_writes = false;
  // memory.* settings of the store at <data_dir>/memory.
  memory::MemoryServiceSettings memory;
  // inference.* models, and whether Models() loads them all when first called.
  std::vector<inference::ModelConfig> inference_models;
  bool inference_autoload = true;
  // Where loaded models export their metrics; may be null.
  MetricsRegistry* metrics = nullptr;
};

class ServerComponents {
 public:
  explicit ServerComponents(ComponentOptions options) : options_(std::move(options)) {}
  ~ServerComponents();

  // hashing-<dim> (default), glove-100d when the word-vector asset is installed, and the configured GGUF
  // encoders (a model that cannot load is an error naming it).
  absl::StatusOr<std::shared_ptr<const inference::EmbedderRegistry>> Embedders();
  // Opens <data_dir>/retrieval on first use.
  absl::StatusOr<std::shared_ptr<retrieval::RetrievalEngine>> Retrieval();
  // Opens <data_dir>/memory on first use (semantic recall with the default embedder).
  absl::StatusOr<std::shared_ptr<memory::MemoryStore>> Memory();
  // The configured models, all loaded on first use when inference_autoload is set (a model that cannot load is
  // an error naming it).
  absl::StatusOr<std::shared_ptr<inference::ModelRegistry>> Models();
  // The models.remote chat models, created once (null when none are configured); shared by pipelines and the
  // gateway.
  absl::StatusOr<std::shared_ptr<chains::RemoteChatModel>> RemoteChatModels();

 private:
  absl::StatusOr<std::shared_ptr<const inference::EmbedderRegistry>> EmbeddersLocked();

  const ComponentOptions options_;
  std::mutex mutex_;
  std::shared_ptr<const inference::EmbedderRegistry> embedders_;
  std::shared_ptr<retrieval::RetrievalEngine> retrieval_;
  std::shared_ptr<memory::MemoryStore> memory_;
  std::shared_ptr<inference::ModelRegistry> models_;
  std::shared_ptr<chains::RemoteChatModel> remote_chat_models_;
};

}  // namespace catena::server
