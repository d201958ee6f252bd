// GrpcEmbedders: inference::EmbedderSource over catena.v1.EmbeddingService, used by the pipeline service when
// services.embedding.address is set (the embed node). Find() learns the service's embedders with
// ListEmbedders (cached; refreshed when a name is missing) and returns embedders whose Embed() calls Embed on
// the service. Both calls are reads and retried on UNAVAILABLE. Thread-safe.
#pragma once

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "catena/v1/embedding.grpc.pb.h"
#include "inference/embedder.h"
#include "remote/remote_call.h"

namespace catena::remote {

class GrpcEmbedders final : public inference::EmbedderSource {
 public:
  explicit GrpcEmbedders(RemoteServiceOptions options);

  // The service's embedder `name` ("" = its default); NOT_FOUND lists the names it serves.
  absl::StatusOr<std::shared_ptr<const inference::Embedder>> Find(std::string_view name) const override;

 private:
  absl::StatusOr<std::vector<inference::EmbedderInfo>> FetchInfos() const;

  std::shared_ptr<const RemoteCaller> caller_;
  std::shared_ptr<v1::EmbeddingService::Stub> stub_;
  mutable absl::Mutex mutex_;
  mutable std::vector<inference::EmbedderInfo> infos_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace catena::remote
