// InferenceService gRPC handlers (catena.v1.InferenceService) over a ModelRegistry: Generate and Chat stream
// text deltas from the serving engine (usage and finish reason last), Tokenize, and list/load/unload models.
// A client that goes away cancels its request in the engine. Handlers only validate and convert; thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <memory>

#include "inference/model_registry.h"

namespace catena::inference {

std::unique_ptr<grpc::Service> NewInferenceService(std::shared_ptr<ModelRegistry> registry);

}  // namespace catena::inference
