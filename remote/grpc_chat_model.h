// GrpcChatModel: chains::ChatModel over catena.v1.InferenceService (Chat, or Generate for llm.generate's raw
// prompts), used by the pipeline service when services.inference.address is set. Streams deltas as the
// service sends them without holding a thread (gRPC callback reactor); Cancel() cancels the RPC. Model calls
// are not retried (they are not idempotent once tokens were streamed). Thread-safe.
#pragma once

#include <memory>

#include "catena/v1/inference.grpc.pb.h"
#include "chains/chat_model.h"
#include "remote/remote_call.h"

namespace catena::remote {

class GrpcChatModel final : public chains::ChatModel {
 public:
  explicit GrpcChatModel(RemoteServiceOptions options);

  // The call's deadline is the earlier of request.deadline and now + options.deadline.
  std::unique_ptr<chains::ChatCancel> Chat(chains::ChatRequest request,
                                           std::function<void(std::string_view delta)> on_delta,
                                           std::function<void(absl::StatusOr<chains::ChatResult>)> on_done) override;
  // True for every name: the inference service decides (an unknown model fails the call with NOT_FOUND).
  bool HasModel(std::string_view model) const override { return true; }
  // The inference service reports log-probabilities for every model it serves.
  bool ReportsLogprobs(std::string_view model) const override { return true; }

 private:
  std::shared_ptr<const RemoteCaller> caller_;
  std::shared_ptr<v1::InferenceService::Stub> stub_;
};

// The v1 request of a chat call (sampling, stop strings, tools, JSON schema).
v1::ChatRequest ChatRequestToProto(const chains::ChatRequest& request);

}  // namespace catena::remote
