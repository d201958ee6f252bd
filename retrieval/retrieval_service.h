// gRPC handlers of catena.v1.RetrievalService over a RetrievalEngine. Handlers validate requests (field
// rules from retrieval.proto), convert proto <-> domain types and map Status codes; logic lives in the engine.
#pragma once

#include <grpcpp/impl/service_type.h>

#include <memory>

#include "retrieval/retrieval_engine.h"

namespace catena::retrieval {

// The service; keeps `engine` alive for as long as it lives.
std::unique_ptr<grpc::Service> NewRetrievalService(std::shared_ptr<RetrievalEngine> engine);

}  // namespace catena::retrieval
