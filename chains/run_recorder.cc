#include "chains/run_recorder.h"

#include <utility>

#include "chains/proto_convert.h"
#include "spdlog/spdlog.h"

namespace catena::chains {

RunRecorder::RunRecorder(PipelineStore* store, std::string tenant, v1::RunTrace header, int64_t next_index)
    : store_(store), tenant_(std::move(tenant)), header_(std::move(header)), next_index_(next_index) {}

absl::Status RunRecorder::Begin(int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  header_.set_state("running");
  if (header_.started_at_unix_ms() == 0) header_.set_started_at_unix_ms(now_unix_ms);
  header_.set_finished_at_unix_ms(0);
  header_.clear_error();
  return store_->PutRun(tenant_, header_);
}

void RunRecorder::Record(const v1::RunEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.has_interrupt()) last_interrupt_ = event.interrupt();
  if (event.has_error()) error_node_ = event.error().node();
  buffer_.push_back(event);
  if (buffer_.size() >= kBatch || event.has_interrupt() || event.has_error() || event.has_final()) FlushLocked();
}

void RunRecorder::FlushLocked() {
  if (buffer_.empty()) return;
  absl::Status status = store_->AppendRunEvents(tenant_, header_.run_id(), next_index_, buffer_);
  if (!status.ok()) spdlog::warn("pipeline run {}: cannot store trace events: {}", header_.run_id(), status.ToString());
  next_index_ += static_cast<int64_t>(buffer_.size());
  buffer_.clear();
}

void RunRecorder::Finish(const RunResult& result, int64_t now_unix_ms) {
  std::lock_guard lock(mutex_);
  FlushLocked();
  header_.set_state(RunStateName(result.state));
  if (result.state == RunResult::State::kCompleted) *header_.mutable_outputs() = ValueToStruct(result.outputs);
  // Usage accumulates over the parts of a resumed run.
  const v1::Usage usage = UsageToProto(result.usage);
  header_.mutable_usage()->set_prompt_tokens(header_.usage().prompt_tokens() + usage.prompt_tokens());
  header_.mutable_usage()->set_completion_tokens(header_.usage().completion_tokens() + usage.completion_tokens());
  header_.mutable_usage()->set_total_tokens(header_.usage().total_tokens() + usage.total_tokens());
  header_.mutable_usage()->set_cached_prompt_tokens(header_.usage().cached_prompt_tokens() +
                                                    usage.cached_prompt_tokens());
  if (result.state != RunResult::State::kInterrupted) header_.set_finished_at_unix_ms(now_unix_ms);
  if (result.state == RunResult::State::kFailed || result.state == RunResult::State::kCancelled) {
    v1::RunError* error = header_.mutable_error();
    error->set_node(error_node_);
    const absl::Status reason = result.status.ok() ? absl::CancelledError("the run was cancelled") : result.status;
    error->set_code(static_cast<int32_t>(reason.code()));
    error->set_message(std::string(reason.message()));
  }
  absl::Status status = store_->PutRun(tenant_, header_);
  if (!status.ok()) spdlog::warn("pipeline run {}: cannot store trace: {}", header_.run_id(), status.ToString());
}

v1::Interrupt RunRecorder::last_interrupt() const {
  std::lock_guard lock(mutex_);
  return last_interrupt_;
}

}  // namespace catena::chains
