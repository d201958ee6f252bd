// Chat and text completions answered by a chains::ChatModel (catenad's router over the test models, the
// in-process engine and configured remote models): maps the OpenAI request onto a ChatRequest (tool_choice
// "required" or a named tool constrains the reply to a call object; a text completion's prompt goes raw, without
// the chat template), streams content deltas while holding back tool-call markup, and cancels the model call when
// the client disconnects. Thread-safe.
#pragma once

#include <memory>

#include "chains/chat_model.h"
#include "server/http_server.h"
#include "server/openai_request.h"

namespace catena {
class Executor;
}

namespace catena::server {

// Tokens generated when the request gives no max_tokens (the engine also stops at the context's end).
inline constexpr int kDefaultMaxTokens = 1024;

// Answers `request` (a chat completion, or a text completion when request.raw_prompt) through `responder` with
// `models`. `executor` releases finished calls off the model's thread.
void ChatWithModel(std::shared_ptr<chains::ChatModel> models, Executor* executor, ChatCompletionRequest request,
                   std::shared_ptr<HttpResponder> responder);

// How much of streamed `raw` text may be shown as content: up to the first tool-call marker ("<tool_call>",
// "[TOOL_CALLS]"), holding back a suffix that could start one, and nothing while the text (trimmed) starts with
// '{' (a JSON call). Exposed for tests.
size_t ShowableToolText(std::string_view raw);

}  // namespace catena::server
