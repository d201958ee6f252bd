// PipelineClient: typed wrapper of catena.v1.PipelineService (store, validate and run pipelines, stream and
// resume runs, traces), reached through Client::pipelines(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/stream_reader.h"
#include "catena/v1/pipeline.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

class PipelineClient {
 public:
  explicit PipelineClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // Validates and stores a pipeline; versions are content hashes, so storing twice is idempotent (retried).
  absl::StatusOr<v1::Pipeline> PutPipeline(const v1::PutPipelineRequest& request,
                                           const CallOptions& options = {}) const;
  // Every problem of a pipeline source, without storing it. Idempotent.
  absl::StatusOr<v1::ValidatePipelineResponse> ValidatePipeline(const v1::ValidatePipelineRequest& request,
                                                                const CallOptions& options = {}) const;
  // One page of stored pipelines. Idempotent.
  absl::StatusOr<v1::ListPipelinesResponse> ListPipelines(const v1::ListPipelinesRequest& request,
                                                          const CallOptions& options = {}) const;
  // A stored pipeline (latest version unless one is named). Idempotent.
  absl::StatusOr<v1::Pipeline> GetPipeline(const v1::GetPipelineRequest& request,
                                           const CallOptions& options = {}) const;
  // Deletes a pipeline with its versions. Not retried.
  absl::StatusOr<v1::DeletePipelineResponse> DeletePipeline(const v1::DeletePipelineRequest& request,
                                                            const CallOptions& options = {}) const;
  // Runs a pipeline to its end (or a human handoff). Idempotent (retried) only with a run_id.
  absl::StatusOr<v1::RunResponse> Run(const v1::RunRequest& request, const CallOptions& options = {}) const;
  // Runs a pipeline, streaming its events (tokens, node ends, final). Not retried.
  StreamReader<v1::RunEvent> RunStream(const v1::RunRequest& request, const CallOptions& options = {}) const;
  // Resumes an interrupted run with a human decision, streaming its events. Not retried.
  StreamReader<v1::RunEvent> Resume(const v1::ResumeRequest& request, const CallOptions& options = {}) const;
  // The trace of a run (state, events, outputs, usage). Idempotent.
  absl::StatusOr<v1::RunTrace> GetRun(const v1::GetRunRequest& request, const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
