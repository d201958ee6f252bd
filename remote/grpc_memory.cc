#include "remote/grpc_memory.h"

#include "common/status.h"
#include "memory/proto_convert.h"

namespace catena::remote {
namespace {

v1::ContextStrategy StrategyToProto(memory::ContextStrategy strategy) {
  switch (strategy) {
    case memory::ContextStrategy::kTokenBudget:
      return v1::CONTEXT_STRATEGY_TOKEN_BUDGET;
    case memory::ContextStrategy::kSummary:
      return v1::CONTEXT_STRATEGY_SUMMARY;
    case memory::ContextStrategy::kSemantic:
      return v1::CONTEXT_STRATEGY_SEMANTIC;
    case memory::ContextStrategy::kWindow:
      break;
  }
  return v1::CONTEXT_STRATEGY_WINDOW;
}

}  // namespace

absl::StatusOr<memory::Session> SessionFromProto(const v1::Session& proto) {
  CATENA_ASSIGN_OR_RETURN(std::string metadata, memory::StructToJson(proto.metadata(), "session.metadata"));
  return memory::Session{.id = proto.id(),
                         .user_id = proto.user_id(),
                         .metadata_json = std::move(metadata),
                         .created_at_unix_ms = proto.created_at_unix_ms(),
                         .updated_at_unix_ms = proto.updated_at_unix_ms(),
                         .message_count = proto.message_count()};
}

GrpcMemory::GrpcMemory(RemoteServiceOptions options)
    : caller_(std::move(options)), stub_(v1::MemoryService::NewStub(caller_.channel())) {}

absl::StatusOr<memory::Session> GrpcMemory::CreateSession(std::string_view tenant, memory::Session session) {
  v1::CreateSessionRequest request;
  request.set_id(session.id);
  request.set_user_id(session.user_id);
  if (!session.metadata_json.empty()) *request.mutable_metadata() = memory::JsonToStruct(session.metadata_json);
  v1::Session response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.CreateSession", false, [&](grpc::ClientContext& context) {
    return stub_->CreateSession(&context, request, &response);
  }));
  return SessionFromProto(response);
}

absl::StatusOr<memory::Session> GrpcMemory::GetSession(std::string_view tenant, std::string_view session_id) const {
  v1::GetSessionRequest request;
  request.set_id(std::string(session_id));
  v1::Session response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.GetSession", true, [&](grpc::ClientContext& context) {
    return stub_->GetSession(&context, request, &response);
  }));
  return SessionFromProto(response);
}

absl::StatusOr<std::vector<int64_t>> GrpcMemory::AppendMessages(std::string_view tenant, std::string_view session_id,
                                                                std::span<const memory::Message> messages,
                                                                std::string_view idempotency_key) {
  v1::AppendMessagesRequest request;
  request.set_session_id(std::string(session_id));
  request.set_idempotency_key(std::string(idempotency_key));
  for (const memory::Message& message : messages) *request.add_messages() = memory::MessageToProto(message);
  v1::AppendMessagesResponse response;
  CATENA_RETURN_IF_ERROR(
      caller_.Call(tenant, "MemoryService.AppendMessages", !idempotency_key.empty(),
                   [&](grpc::ClientContext& context) { return stub_->AppendMessages(&context, request, &response); }));
  return std::vector<int64_t>(response.seqs().begin(), response.seqs().end());
}

absl::StatusOr<memory::ContextResult> GrpcMemory::GetContext(std::string_view tenant,
                                                             const memory::ContextRequest& domain) {
  v1::GetContextRequest request;
  request.set_session_id(domain.session_id);
  request.set_strategy(StrategyToProto(domain.strategy));
  request.set_last_n(domain.last_n);
  request.set_max_tokens(domain.max_tokens);
  request.set_model(domain.model);
  request.set_query(domain.query);
  request.set_k(domain.k);
  v1::GetContextResponse response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.GetContext", true, [&](grpc::ClientContext& context) {
    return stub_->GetContext(&context, request, &response);
  }));
  memory::ContextResult result{.summary = response.summary(), .token_count = response.token_count()};
  for (const v1::ChatMessage& proto : response.messages()) {
    CATENA_ASSIGN_OR_RETURN(memory::Message message, memory::MessageFromProto(proto));
    result.messages.push_back({.message = std::move(message)});
  }
  return result;
}

absl::Status GrpcMemory::PutFacts(std::string_view tenant, std::string_view user_id,
                                  const std::map<std::string, std::string>& facts) {
  v1::PutFactsRequest request;
  request.set_user_id(std::string(user_id));
  request.mutable_facts()->insert(facts.begin(), facts.end());
  v1::PutFactsResponse response;
  return caller_.Call(tenant, "MemoryService.PutFacts", true,
                      [&](grpc::ClientContext& context) { return stub_->PutFacts(&context, request, &response); });
}

absl::StatusOr<std::map<std::string, std::string>> GrpcMemory::GetFacts(std::string_view tenant,
                                                                        std::string_view user_id) const {
  v1::GetFactsRequest request;
  request.set_user_id(std::string(user_id));
  v1::GetFactsResponse response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.GetFacts", true, [&](grpc::ClientContext& context) {
    return stub_->GetFacts(&context, request, &response);
  }));
  return std::map<std::string, std::string>(response.facts().begin(), response.facts().end());
}

absl::StatusOr<memory::Checkpoint> GrpcMemory::PutCheckpoint(std::string_view tenant, memory::Checkpoint checkpoint,
                                                             bool /*sync: the memory service's own setting*/) {
  v1::PutCheckpointRequest request;
  *request.mutable_checkpoint() = memory::CheckpointToProto(checkpoint);
  v1::Checkpoint response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.PutCheckpoint", false, [&](grpc::ClientContext& context) {
    return stub_->PutCheckpoint(&context, request, &response);
  }));
  memory::Checkpoint stored = memory::CheckpointFromProto(response);
  stored.created_at_unix_ms = response.created_at_unix_ms();
  return stored;
}

absl::StatusOr<memory::Checkpoint> GrpcMemory::GetCheckpoint(std::string_view tenant, std::string_view run_id,
                                                             int64_t step) const {
  v1::GetCheckpointRequest request;
  request.set_run_id(std::string(run_id));
  request.set_step(step);
  v1::Checkpoint response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "MemoryService.GetCheckpoint", true, [&](grpc::ClientContext& context) {
    return stub_->GetCheckpoint(&context, request, &response);
  }));
  memory::Checkpoint checkpoint = memory::CheckpointFromProto(response);
  checkpoint.created_at_unix_ms = response.created_at_unix_ms();
  return checkpoint;
}

}  // namespace catena::remote
