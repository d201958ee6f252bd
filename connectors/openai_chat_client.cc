// OpenAiChatClient: the non-streaming and streaming calls over OpenAiTransport.
#include "connectors/openai_chat_client.h"

#include "common/status.h"
#include "connectors/sse.h"

namespace catena::connectors {

absl::StatusOr<std::unique_ptr<OpenAiChatClient>> OpenAiChatClient::Create(OpenAiClientOptions options) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<OpenAiTransport> transport, OpenAiTransport::Create(std::move(options)));
  return std::make_unique<OpenAiChatClient>(std::move(transport));
}

absl::StatusOr<OpenAiChatResponse> OpenAiChatClient::Complete(const OpenAiChatRequest& request) {
  CATENA_ASSIGN_OR_RETURN(std::string body, BuildChatRequestJson(request, /*stream=*/false));
  CATENA_ASSIGN_OR_RETURN(HttpResponse response,
                          transport_->PostJson("/chat/completions", body, request.deadline, request.cancel));
  return transport_->Redact(ParseChatResponseJson(response.body));
}

absl::StatusOr<OpenAiChatResponse> OpenAiChatClient::Stream(const OpenAiChatRequest& request,
                                                            const std::function<bool(std::string_view)>& on_delta) {
  CATENA_ASSIGN_OR_RETURN(std::string body, BuildChatRequestJson(request, /*stream=*/true));
  std::unique_ptr<SseParser> parser;
  std::unique_ptr<ChatStreamAccumulator> accumulator;
  absl::Status stream_status;
  auto on_attempt = [&] {
    parser = std::make_unique<SseParser>();
    accumulator = std::make_unique<ChatStreamAccumulator>(on_delta);
    stream_status = absl::OkStatus();
  };
  auto on_data = [&](std::string_view chunk) {
    stream_status = parser->Feed(chunk, [&](const SseEvent& event) { return accumulator->Feed(event.data); });
    return stream_status.ok();
  };
  auto committed = [&] { return accumulator != nullptr && accumulator->delivered(); };
  absl::StatusOr<HttpResponse> response = transport_->PostStream("/chat/completions", body, request.deadline, on_data,
                                                                 on_attempt, committed, request.cancel);
  if (!stream_status.ok()) return transport_->Redact(stream_status);
  if (!response.ok()) return response.status();
  return transport_->Redact(accumulator->Finish(parser->HasPartialEvent()));
}

}  // namespace catena::connectors
