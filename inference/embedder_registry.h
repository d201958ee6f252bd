// EmbedderRegistry: the named embedders one process serves (EmbeddingService, retrieval and memory look them
// up by name). Embedders are registered explicitly at startup; the first one registered is the default.
// All methods are thread-safe; returned embedders are shared and stay valid after the registry is gone.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "inference/embedder.h"

namespace catena::inference {

class EmbedderRegistry final : public EmbedderSource {
 public:
  // Adds `embedder` under info().name. INVALID_ARGUMENT for null or an empty name; ALREADY_EXISTS when the
  // name is taken.
  absl::Status Register(std::shared_ptr<const Embedder> embedder);
  // The embedder named `name`; an empty name picks the default (the first registered). NOT_FOUND lists the
  // known names (or says none are registered).
  absl::StatusOr<std::shared_ptr<const Embedder>> Find(std::string_view name) const override;
  // Infos of all embedders, in registration order.
  std::vector<EmbedderInfo> List() const;

 private:
  mutable absl::Mutex mutex_;
  std::vector<std::shared_ptr<const Embedder>> embedders_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace catena::inference
