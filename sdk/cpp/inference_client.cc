#include "catena/inference_client.h"

#include "catena/v1/inference.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using Stub = v1::InferenceService::Stub;

StreamReader<v1::GenerateResponse> InferenceClient::Generate(const v1::GenerateRequest& request,
                                                             const CallOptions& options) const {
  return transport_->Stream(&Stub::Generate, request, /*idempotent=*/true, options);
}

StreamReader<v1::ChatResponse> InferenceClient::Chat(const v1::ChatRequest& request, const CallOptions& options) const {
  return transport_->Stream(&Stub::Chat, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::TokenizeResponse> InferenceClient::Tokenize(const v1::TokenizeRequest& request,
                                                               const CallOptions& options) const {
  return transport_->Unary(&Stub::Tokenize, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ListModelsResponse> InferenceClient::ListModels(const v1::ListModelsRequest& request,
                                                                   const CallOptions& options) const {
  return transport_->Unary(&Stub::ListModels, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ModelInfo> InferenceClient::LoadModel(const v1::LoadModelRequest& request,
                                                         const CallOptions& options) const {
  return transport_->Unary(&Stub::LoadModel, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::UnloadModelResponse> InferenceClient::UnloadModel(const v1::UnloadModelRequest& request,
                                                                     const CallOptions& options) const {
  return transport_->Unary(&Stub::UnloadModel, request, /*idempotent=*/false, options);
}

}  // namespace catena::sdk
