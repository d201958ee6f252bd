// MemoryClient: typed wrapper of catena.v1.MemoryService (sessions, messages, context windows, facts,
// checkpoints, erasure), reached through Client::memory(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/v1/memory.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

class MemoryClient {
 public:
  explicit MemoryClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // Creates a session (id generated when empty). Not retried.
  absl::StatusOr<v1::Session> CreateSession(const v1::CreateSessionRequest& request,
                                            const CallOptions& options = {}) const;
  // A session; NOT_FOUND when missing. Idempotent.
  absl::StatusOr<v1::Session> GetSession(const v1::GetSessionRequest& request, const CallOptions& options = {}) const;
  // One page of sessions (optionally of one user). Idempotent.
  absl::StatusOr<v1::ListSessionsResponse> ListSessions(const v1::ListSessionsRequest& request,
                                                        const CallOptions& options = {}) const;
  // Deletes a session with its messages. Not retried.
  absl::StatusOr<v1::DeleteSessionResponse> DeleteSession(const v1::DeleteSessionRequest& request,
                                                          const CallOptions& options = {}) const;
  // Appends messages; their sequence numbers. Idempotent (retried) only with an idempotency_key.
  absl::StatusOr<v1::AppendMessagesResponse> AppendMessages(const v1::AppendMessagesRequest& request,
                                                            const CallOptions& options = {}) const;
  // One page of a session's messages in order. Idempotent.
  absl::StatusOr<v1::ListMessagesResponse> ListMessages(const v1::ListMessagesRequest& request,
                                                        const CallOptions& options = {}) const;
  // The messages that fit a token budget (with summary). Idempotent.
  absl::StatusOr<v1::GetContextResponse> GetContext(const v1::GetContextRequest& request,
                                                    const CallOptions& options = {}) const;
  // Sets key/value facts of a session or user. Idempotent.
  absl::StatusOr<v1::PutFactsResponse> PutFacts(const v1::PutFactsRequest& request,
                                                const CallOptions& options = {}) const;
  // Facts by key (all when no keys). Idempotent.
  absl::StatusOr<v1::GetFactsResponse> GetFacts(const v1::GetFactsRequest& request,
                                                const CallOptions& options = {}) const;
  // Stores an engine checkpoint of a run. Not retried.
  absl::StatusOr<v1::Checkpoint> PutCheckpoint(const v1::PutCheckpointRequest& request,
                                               const CallOptions& options = {}) const;
  // A checkpoint by step (-1 = the latest); NOT_FOUND when there is none. Idempotent.
  absl::StatusOr<v1::Checkpoint> GetCheckpoint(const v1::GetCheckpointRequest& request,
                                               const CallOptions& options = {}) const;
  // One page of a run's checkpoints. Idempotent.
  absl::StatusOr<v1::ListCheckpointsResponse> ListCheckpoints(const v1::ListCheckpointsRequest& request,
                                                              const CallOptions& options = {}) const;
  // Erases everything stored for a user (sessions, facts, checkpoints). Idempotent.
  absl::StatusOr<v1::EraseUserResponse> EraseUser(const v1::EraseUserRequest& request,
                                                  const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
