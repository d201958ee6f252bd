#include "memory/memory_service.h"

#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/grpc_util.h"
#include "common/status.h"
#include "memory/proto_convert.h"

namespace catena::memory {
namespace {

// Runs `body(tenant, store)` after the common call checks (FinishUnary) and finishes the call with its status.
template <typename Body>
grpc::ServerUnaryReactor* Handle(grpc::CallbackServerContext* context,
                                 const absl::StatusOr<std::shared_ptr<MemoryStore>>& store, Body body) {
  return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
    if (!store.ok()) return absl::UnavailableError(absl::StrCat("memory store: ", store.status().message()));
    return body(call.tenant, **store);
  });
}

template <typename T, typename Repeated, typename Convert>
void AppendAll(const std::vector<T>& items, Repeated* out, Convert convert) {
  for (const T& item : items) *out->Add() = convert(item);
}

}  // namespace

MemoryServiceImpl::MemoryServiceImpl(absl::StatusOr<std::shared_ptr<MemoryStore>> store) : store_(std::move(store)) {}

MemoryStoreOptions MemoryStoreOptionsFor(const std::string& path, const MemoryServiceSettings& settings,
                                         const inference::Embedder* embedder) {
  return {.path = path,
          .sync_writes = settings.sync_writes,
          .default_ttl_seconds = settings.default_ttl_seconds,
          .tenant_ttl_seconds = settings.tenant_ttl_seconds,
          .embedder = embedder};
}

std::unique_ptr<grpc::Service> CreateMemoryService(std::shared_ptr<MemoryStore> store) {
  return std::make_unique<MemoryServiceImpl>(std::move(store));
}

grpc::ServerUnaryReactor* MemoryServiceImpl::CreateSession(Ctx* context, const v1::CreateSessionRequest* request,
                                                           v1::Session* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    if (request->user_id().empty()) return absl::InvalidArgumentError("user_id: required");
    CATENA_ASSIGN_OR_RETURN(std::string metadata, StructToJson(request->metadata(), "metadata"));
    CATENA_ASSIGN_OR_RETURN(Session session, store.CreateSession(tenant, {.id = request->id(),
                                                                          .user_id = request->user_id(),
                                                                          .metadata_json = std::move(metadata)}));
    *response = SessionToProto(session);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::GetSession(Ctx* context, const v1::GetSessionRequest* request,
                                                        v1::Session* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(Session session, store.GetSession(tenant, request->id()));
    *response = SessionToProto(session);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::ListSessions(Ctx* context, const v1::ListSessionsRequest* request,
                                                          v1::ListSessionsResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(PageSpec page, PageFromProto(request->page()));
    CATENA_ASSIGN_OR_RETURN(Page<Session> sessions, store.ListSessions(tenant, request->user_id(), page));
    AppendAll(sessions.items, response->mutable_sessions(), SessionToProto);
    response->set_next_page_token(sessions.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::DeleteSession(Ctx* context, const v1::DeleteSessionRequest* request,
                                                           v1::DeleteSessionResponse*) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) {
    return store.DeleteSession(tenant, request->id());
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::AppendMessages(Ctx* context, const v1::AppendMessagesRequest* request,
                                                            v1::AppendMessagesResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    std::vector<Message> messages;
    messages.reserve(request->messages_size());
    for (int i = 0; i < request->messages_size(); ++i) {
      absl::StatusOr<Message> message = MessageFromProto(request->messages(i));
      if (!message.ok()) return Annotate(message.status(), absl::StrCat("messages[", i, "]"));
      messages.push_back(*std::move(message));
    }
    CATENA_ASSIGN_OR_RETURN(std::vector<int64_t> seqs,
                            store.AppendMessages(tenant, request->session_id(), messages, request->idempotency_key()));
    response->mutable_seqs()->Add(seqs.begin(), seqs.end());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::ListMessages(Ctx* context, const v1::ListMessagesRequest* request,
                                                          v1::ListMessagesResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(PageSpec page, PageFromProto(request->page()));
    CATENA_ASSIGN_OR_RETURN(Page<StoredMessage> messages,
                            store.ListMessages(tenant, request->session_id(), request->reverse(), page));
    AppendAll(messages.items, response->mutable_messages(), StoredMessageToProto);
    response->set_next_page_token(messages.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::GetContext(Ctx* context, const v1::GetContextRequest* request,
                                                        v1::GetContextResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(ContextStrategy strategy, StrategyFromProto(request->strategy()));
    ContextRequest domain{.session_id = request->session_id(),
                          .strategy = strategy,
                          .last_n = request->last_n(),
                          .max_tokens = request->max_tokens(),
                          .model = request->model(),
                          .query = request->query(),
                          .k = request->k()};
    CATENA_ASSIGN_OR_RETURN(ContextResult result, store.GetContext(tenant, domain));
    for (const StoredMessage& message : result.messages) *response->add_messages() = MessageToProto(message.message);
    response->set_summary(result.summary);
    response->set_token_count(result.token_count);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::PutFacts(Ctx* context, const v1::PutFactsRequest* request,
                                                      v1::PutFactsResponse*) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) {
    std::map<std::string, std::string> facts(request->facts().begin(), request->facts().end());
    return store.PutFacts(tenant, request->user_id(), facts);
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::GetFacts(Ctx* context, const v1::GetFactsRequest* request,
                                                      v1::GetFactsResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(auto facts, store.GetFacts(tenant, request->user_id()));
    response->mutable_facts()->insert(facts.begin(), facts.end());
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::PutCheckpoint(Ctx* context, const v1::PutCheckpointRequest* request,
                                                           v1::Checkpoint* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    if (!request->has_checkpoint()) return absl::InvalidArgumentError("checkpoint: required");
    CATENA_ASSIGN_OR_RETURN(Checkpoint stored, store.PutCheckpoint(tenant, CheckpointFromProto(request->checkpoint())));
    stored.state.clear();  // the caller has it; do not echo up to 16 MiB back
    *response = CheckpointToProto(stored);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::GetCheckpoint(Ctx* context, const v1::GetCheckpointRequest* request,
                                                           v1::Checkpoint* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(Checkpoint checkpoint, store.GetCheckpoint(tenant, request->run_id(), request->step()));
    *response = CheckpointToProto(checkpoint);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::ListCheckpoints(Ctx* context, const v1::ListCheckpointsRequest* request,
                                                             v1::ListCheckpointsResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(PageSpec page, PageFromProto(request->page()));
    CATENA_ASSIGN_OR_RETURN(Page<Checkpoint> checkpoints, store.ListCheckpoints(tenant, request->run_id(), page));
    AppendAll(checkpoints.items, response->mutable_checkpoints(), CheckpointToProto);
    response->set_next_page_token(checkpoints.next_page_token);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* MemoryServiceImpl::EraseUser(Ctx* context, const v1::EraseUserRequest* request,
                                                       v1::EraseUserResponse* response) {
  return Handle(context, store_, [&](const std::string& tenant, MemoryStore& store) -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(EraseCounts counts, store.EraseUser(tenant, request->user_id()));
    response->set_sessions_erased(counts.sessions);
    response->set_messages_erased(counts.messages);
    response->set_summaries_erased(counts.summaries);
    response->set_facts_erased(counts.facts);
    response->set_checkpoints_erased(counts.checkpoints);
    return absl::OkStatus();
  });
}

}  // namespace catena::memory
