// RunServices: what node types may use while a run executes: models, tools, embedders, retrieval, memory (each an
// interface: in-process engines, or gRPC clients in catenad's distributed mode), the executor for timers and parallel work, and the pipeline resolver for subpipelines. Owned by whoever owns the
// Runner (PipelineService in catenad, tests, benchmarks); any member may be null when not configured, and a
// node that needs it reports FAILED_PRECONDITION naming the missing service. Outlives every run.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace catena {
class Executor;
}
namespace catena::inference {
class EmbedderSource;
}
namespace catena::retrieval {
class CollectionSearcher;
}
namespace catena::memory {
class ConversationMemory;
}

namespace catena::chains {

class ChatModel;
class ToolSet;
struct CompiledPipeline;

// Finds stored pipelines by name (subpipeline nodes, Resume). Thread-safe.
class PipelineResolver {
 public:
  virtual ~PipelineResolver() = default;
  // The pipeline `name` at `version` ("" = latest); NOT_FOUND naming it.
  virtual absl::StatusOr<std::shared_ptr<const CompiledPipeline>> Resolve(std::string_view tenant,
                                                                          std::string_view name,
                                                                          std::string_view version) const = 0;
};

struct RunServices {
  Executor* executor = nullptr;  // required: timers, parallel branches
  ChatModel* models = nullptr;
  const inference::EmbedderSource* embedders = nullptr;
  const retrieval::CollectionSearcher* retrieval = nullptr;
  memory::ConversationMemory* memory = nullptr;
  const PipelineResolver* pipelines = nullptr;
  const ToolSet* tools = nullptr;  // tool and agent nodes (chains/tool.h)
};

}  // namespace catena::chains
