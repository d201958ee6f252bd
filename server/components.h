// ServerComponents: the parts several services share, created once on first use and owned by catenad:
// the embedder registry (EmbeddingService, RetrievalService) and the retrieval engine. Thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::inference {
class EmbedderRegistry;
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
  // fsync every retrieval write (off: WAL without fsync, survives kill -9 but not power loss).
  bool retrieval_sync_writes = false;
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

 private:
  absl::StatusOr<std::shared_ptr<const inference::EmbedderRegistry>> EmbeddersLocked();

  const ComponentOptions options_;
  std::mutex mutex_;
  std::shared_ptr<const inference::EmbedderRegistry> embedders_;
  std::shared_ptr<retrieval::RetrievalEngine> retrieval_;
};

}  // namespace catena::server
