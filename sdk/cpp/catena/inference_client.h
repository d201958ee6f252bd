// InferenceClient: typed wrapper of catena.v1.InferenceService (models served by catenad: generation, chat,
// tokenization, load/unload), reached through Client::inference(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/stream_reader.h"
#include "catena/v1/inference.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

class InferenceClient {
 public:
  explicit InferenceClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // Streams the completion of a prompt (token deltas, then a final message with usage). Idempotent: retried on
  // UNAVAILABLE before the first message.
  StreamReader<v1::GenerateResponse> Generate(const v1::GenerateRequest& request,
                                              const CallOptions& options = {}) const;
  // Streams the reply to a conversation (deltas, tool calls, final). Idempotent like Generate.
  StreamReader<v1::ChatResponse> Chat(const v1::ChatRequest& request, const CallOptions& options = {}) const;
  // Token ids (and pieces) of a text under a loaded model. Idempotent.
  absl::StatusOr<v1::TokenizeResponse> Tokenize(const v1::TokenizeRequest& request,
                                                const CallOptions& options = {}) const;
  // Configured models and whether each is loaded. Idempotent.
  absl::StatusOr<v1::ListModelsResponse> ListModels(const v1::ListModelsRequest& request,
                                                    const CallOptions& options = {}) const;
  // Loads a configured model (a no-op when loaded); NOT_FOUND for an unknown name. Idempotent. Loading takes
  // time: pass a generous CallOptions::timeout.
  absl::StatusOr<v1::ModelInfo> LoadModel(const v1::LoadModelRequest& request, const CallOptions& options = {}) const;
  // Unloads a model. Not retried.
  absl::StatusOr<v1::UnloadModelResponse> UnloadModel(const v1::UnloadModelRequest& request,
                                                      const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
