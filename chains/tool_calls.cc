#include "chains/tool_calls.h"

#include "inference/tool_call_parser.h"

namespace catena::chains {

ParsedReply ParseToolCalls(std::string_view reply, const std::vector<ChatTool>& tools) {
  std::vector<std::string> names;
  names.reserve(tools.size());
  for (const ChatTool& tool : tools) names.push_back(tool.name);
  inference::ToolCallParse parse = inference::ParseToolCalls(reply, names);
  ParsedReply parsed{.text = std::move(parse.content)};
  for (inference::ChatToolCall& call : parse.calls) {
    parsed.calls.push_back(
        {.id = std::move(call.id), .name = std::move(call.name), .arguments_json = std::move(call.arguments_json)});
  }
  return parsed;
}

}  // namespace catena::chains
