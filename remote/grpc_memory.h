// GrpcMemory: memory::ConversationMemory over catena.v1.MemoryService, used by the pipeline service when
// services.memory.address is set (memory nodes, the memory_lookup tool and run checkpoints, so Resume works
// across pipeline replicas). Reads, PutFacts (an upsert) and appends with an idempotency key are retried on
// UNAVAILABLE; CreateSession and PutCheckpoint are not (a retry could not tell its own write from another's).
// Thread-safe.
#pragma once

#include <memory>

#include "catena/v1/memory.grpc.pb.h"
#include "memory/conversation_memory.h"
#include "remote/remote_call.h"

namespace catena::remote {

class GrpcMemory final : public memory::ConversationMemory {
 public:
  explicit GrpcMemory(RemoteServiceOptions options);

  absl::StatusOr<memory::Session> CreateSession(std::string_view tenant, memory::Session session) override;
  absl::StatusOr<memory::Session> GetSession(std::string_view tenant, std::string_view session_id) const override;
  absl::StatusOr<std::vector<int64_t>> AppendMessages(std::string_view tenant, std::string_view session_id,
                                                      std::span<const memory::Message> messages,
                                                      std::string_view idempotency_key) override;
  absl::StatusOr<memory::ContextResult> GetContext(std::string_view tenant,
                                                   const memory::ContextRequest& request) override;
  absl::Status PutFacts(std::string_view tenant, std::string_view user_id,
                        const std::map<std::string, std::string>& facts) override;
  absl::StatusOr<std::map<std::string, std::string>> GetFacts(std::string_view tenant,
                                                              std::string_view user_id) const override;
  absl::StatusOr<memory::Checkpoint> PutCheckpoint(std::string_view tenant, memory::Checkpoint checkpoint,
                                                   bool sync) override;
  absl::StatusOr<memory::Checkpoint> GetCheckpoint(std::string_view tenant, std::string_view run_id,
                                                   int64_t step) const override;

 private:
  RemoteCaller caller_;
  std::unique_ptr<v1::MemoryService::Stub> stub_;
};

// The domain session of a v1.Session (metadata as JSON text).
absl::StatusOr<memory::Session> SessionFromProto(const v1::Session& proto);

}  // namespace catena::remote
