// Chat completions answered by deployed pipelines, through catenad's own PipelineService over an in-process gRPC
// channel (so runs are validated, traced and limited exactly like gRPC runs). A pipeline with an input named
// `messages` gets the whole conversation as a list of {role, content}; otherwise its first required string input
// (else its first string input) gets the last user message. The answer is the output named `answer`, else
// `text`, else the only string output; its node's token events are streamed as content deltas. A client that
// disconnects cancels the run. Thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "server/http_server.h"
#include "server/openai_request.h"

namespace grpc {
class Channel;
}

namespace catena::server {

class PipelineChat {
 public:
  // `channel` reaches catenad's PipelineService.
  explicit PipelineChat(std::shared_ptr<grpc::Channel> channel);
  ~PipelineChat();

  // Answers `request` with the tenant's pipeline named request.model; calls `not_found` (on a gRPC thread)
  // instead when the tenant has no such pipeline.
  void Chat(std::string tenant, ChatCompletionRequest request, std::shared_ptr<HttpResponder> responder,
            std::function<void()> not_found);

  // Names of the tenant's pipelines (at most `limit`), delivered to `done` on a gRPC thread.
  void List(std::string tenant, int limit, std::function<void(absl::StatusOr<std::vector<std::string>>)> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace catena::server
