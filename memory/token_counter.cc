#include "memory/token_counter.h"

#include <string>

#include "inference/tokenizer.h"

namespace catena::memory {
namespace {

std::string MessageText(const Message& message) {
  std::string text = message.content;
  auto add = [&text](std::string_view part) {
    if (part.empty()) return;
    text.push_back(' ');
    text.append(part);
  };
  add(message.name);
  for (const ToolCall& call : message.tool_calls) {
    add(call.name);
    add(call.arguments_json);
  }
  add(message.tool_call_id);
  return text;
}

}  // namespace

int32_t EstimateTextTokens(std::string_view text) {
  int64_t code_points = 0;
  for (char byte : text) {
    // Continuation bytes (10xxxxxx) belong to the code point before them.
    if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) ++code_points;
  }
  return static_cast<int32_t>((code_points + 3) / 4);
}

int32_t CountTextTokens(std::string_view text, const inference::Tokenizer* tokenizer) {
  if (tokenizer == nullptr) return EstimateTextTokens(text);
  return static_cast<int32_t>(tokenizer->Encode(text).size());
}

int32_t CountMessageTokens(const Message& message, const inference::Tokenizer* tokenizer) {
  return CountTextTokens(MessageText(message), tokenizer) + kMessageOverheadTokens;
}

}  // namespace catena::memory
