// Tool calls written in a model's reply: chat models that were offered tools answer with calls in the text,
// and ParseToolCalls turns them into ChatToolCall values for ChatResult. Used by EngineChatModel and
// TestChatModel. Pure function; thread-safe.
//
// Recognized forms (calls must name one of the offered tools; anything else stays text):
//   <tool_call>{"name": "lookup", "arguments": {...}}</tool_call>   (Hermes / Qwen 2.5; several allowed)
//   {"name": "lookup", "parameters": {...}}                          (Llama 3.1 JSON tool calling: the whole
//                                                                    reply, optionally after <|python_tag|>)
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
