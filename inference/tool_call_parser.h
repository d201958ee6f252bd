// Tool calls in a chat model's generated text: ParseToolCalls finds the call markup of the common chat-template
// formats (Hermes/Qwen2.5 `<tool_call>` blocks, a Llama-3.1 JSON reply, Mistral `[TOOL_CALLS] [...]`) and splits
// the text into the calls and the content around them; ToolCallStreamFilter holds call markup back from streamed
// deltas. Used by the Chat RPC. ParseToolCalls is a pure function; a filter belongs to one stream (one thread).
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inference/chat_template.h"

namespace catena::inference {

struct ToolCallParse {
  std::string content;               // the text without the calls (trimmed when calls were found)
  std::vector<ChatToolCall> calls;   // ids "call_0", "call_1", ... in order; arguments as compact JSON objects
};

// Finds the calls in `text` to tools named in `tool_names`. A call with an unknown name, arguments that are not
// a JSON object, or invalid JSON is not a call: its markup stays in `content`. No tools: `text` unchanged.
ToolCallParse ParseToolCalls(std::string_view text, std::span<const std::string> tool_names);

// Streams a reply's text while keeping possible call markup out of it: Push returns the part of the text so far
// that can no longer belong to a call; Finish parses the whole text and returns the rest of the content.
class ToolCallStreamFilter {
 public:
  explicit ToolCallStreamFilter(std::vector<std::string> tool_names) : tool_names_(std::move(tool_names)) {}

  // Appends `delta`; returns the text that is safe to show now (possibly empty).
  std::string Push(std::string_view delta);
  // The parse of everything pushed; `content` holds only what Push has not returned yet.
  ToolCallParse Finish();

 private:
  std::vector<std::string> tool_names_;
  std::string text_;
  size_t emitted_ = 0;
};

}  // namespace catena::inference
