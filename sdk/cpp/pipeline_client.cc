#include "catena/pipeline_client.h"

#include "catena/v1/pipeline.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using Stub = v1::PipelineService::Stub;

absl::StatusOr<v1::Pipeline> PipelineClient::PutPipeline(const v1::PutPipelineRequest& request,
                                                         const CallOptions& options) const {
  return transport_->Unary(&Stub::PutPipeline, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ValidatePipelineResponse> PipelineClient::ValidatePipeline(
    const v1::ValidatePipelineRequest& request, const CallOptions& options) const {
  return transport_->Unary(&Stub::ValidatePipeline, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::ListPipelinesResponse> PipelineClient::ListPipelines(const v1::ListPipelinesRequest& request,
                                                                        const CallOptions& options) const {
  return transport_->Unary(&Stub::ListPipelines, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::Pipeline> PipelineClient::GetPipeline(const v1::GetPipelineRequest& request,
                                                         const CallOptions& options) const {
  return transport_->Unary(&Stub::GetPipeline, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::DeletePipelineResponse> PipelineClient::DeletePipeline(const v1::DeletePipelineRequest& request,
                                                                          const CallOptions& options) const {
  return transport_->Unary(&Stub::DeletePipeline, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::RunResponse> PipelineClient::Run(const v1::RunRequest& request, const CallOptions& options) const {
  return transport_->Unary(&Stub::Run, request, /*idempotent=*/!request.run_id().empty(), options);
}

StreamReader<v1::RunEvent> PipelineClient::RunStream(const v1::RunRequest& request, const CallOptions& options) const {
  return transport_->Stream(&Stub::RunStream, request, /*idempotent=*/false, options);
}

StreamReader<v1::RunEvent> PipelineClient::Resume(const v1::ResumeRequest& request, const CallOptions& options) const {
  return transport_->Stream(&Stub::Resume, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::RunTrace> PipelineClient::GetRun(const v1::GetRunRequest& request,
                                                    const CallOptions& options) const {
  return transport_->Unary(&Stub::GetRun, request, /*idempotent=*/true, options);
}

}  // namespace catena::sdk
