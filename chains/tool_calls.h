// Tool calls written in a model's reply: chat models that were offered tools answer with calls in the text,
// and ParseToolCalls turns them into ChatToolCall values for ChatResult, with the inference runtime's parser
// (inference/tool_call_parser.h: Hermes/Qwen2.5 <tool_call> blocks, Llama 3.1 JSON, Mistral [TOOL_CALLS]).
// Used by EngineChatModel and TestChatModel. Pure function; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chains/chat_model.h"

namespace catena::chains {

struct ParsedReply {
  std::string text;                  // the reply without the calls (trimmed)
  std::vector<ChatToolCall> calls;   // ids "call_0", "call_1", ... in order
};

// Splits `reply` into text and calls to `tools`; no tools -> the reply unchanged and no calls.
ParsedReply ParseToolCalls(std::string_view reply, const std::vector<ChatTool>& tools);

}  // namespace catena::chains
