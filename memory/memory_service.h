// MemoryServiceImpl: the catena.v1.MemoryService handlers (gRPC callback API). Each handler reads the tenant from
// the x-catena-tenant header, validates the request, calls MemoryStore and converts the result; no memory logic
// lives here. catenad creates it through CreateMemoryService over its shared store; tests may wrap their own
// store. Thread-safe.
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "catena/v1/memory.grpc.pb.h"
#include "memory/memory_store.h"

namespace catena::memory {

// What catenad's config (memory.*) sets for the memory service.
struct MemoryServiceSettings {
  bool sync_writes = false;
  int64_t default_ttl_seconds = 0;
  std::map<std::string, int64_t, std::less<>> tenant_ttl_seconds;
};

class MemoryServiceImpl final : public v1::MemoryService::CallbackService {
 public:
  // Serves `store`; when it is an error (the store failed to open), every call answers UNAVAILABLE with it.
  explicit MemoryServiceImpl(absl::StatusOr<std::shared_ptr<MemoryStore>> store);

  using Ctx = grpc::CallbackServerContext;
  using Reactor = grpc::ServerUnaryReactor;
  Reactor* CreateSession(Ctx*, const v1::CreateSessionRequest*, v1::Session*) override;
  Reactor* GetSession(Ctx*, const v1::GetSessionRequest*, v1::Session*) override;
  Reactor* ListSessions(Ctx*, const v1::ListSessionsRequest*, v1::ListSessionsResponse*) override;
  Reactor* DeleteSession(Ctx*, const v1::DeleteSessionRequest*, v1::DeleteSessionResponse*) override;
  Reactor* AppendMessages(Ctx*, const v1::AppendMessagesRequest*, v1::AppendMessagesResponse*) override;
  Reactor* ListMessages(Ctx*, const v1::ListMessagesRequest*, v1::ListMessagesResponse*) override;
  Reactor* GetContext(Ctx*, const v1::GetContextRequest*, v1::GetContextResponse*) override;
  Reactor* PutFacts(Ctx*, const v1::PutFactsRequest*, v1::PutFactsResponse*) override;
  Reactor* GetFacts(Ctx*, const v1::GetFactsRequest*, v1::GetFactsResponse*) override;
  Reactor* PutCheckpoint(Ctx*, const v1::PutCheckpointRequest*, v1::Checkpoint*) override;
  Reactor* GetCheckpoint(Ctx*, const v1::GetCheckpointRequest*, v1::Checkpoint*) override;
  Reactor* ListCheckpoints(Ctx*, const v1::ListCheckpointsRequest*, v1::ListCheckpointsResponse*) override;
  Reactor* EraseUser(Ctx*, const v1::EraseUserRequest*, v1::EraseUserResponse*) override;

 private:
  absl::StatusOr<std::shared_ptr<MemoryStore>> store_;
};

// The options that open the store at `path` with `settings`; `embedder` (may be null; must outlive the store)
// enables semantic recall.
MemoryStoreOptions MemoryStoreOptionsFor(const std::string& path, const MemoryServiceSettings& settings,
                                         const inference::Embedder* embedder = nullptr);

// The handlers over `store`, which catenad opens once and shares with other components (pipeline checkpoints,
// memory nodes).
std::unique_ptr<grpc::Service> CreateMemoryService(std::shared_ptr<MemoryStore> store);

}  // namespace catena::memory
