#include "chains/tool_calls.h"

#include <optional>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace catena::chains {
namespace {

using Json = nlohmann::ordered_json;

std::string_view Trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

bool Offered(const std::vector<ChatTool>& tools, const std::string& name) {
  for (const ChatTool& tool : tools) {
    if (tool.name == name) return true;
  }
  return false;
}

// A call from {"name", "arguments"|"parameters"} naming an offered tool, or nullopt.
std::optional<ChatToolCall> CallFrom(std::string_view text, const std::vector<ChatTool>& tools, size_t index) {
  const Json json = Json::parse(std::string(text), nullptr, false);
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string()) return std::nullopt;
  const std::string name = json["name"].get<std::string>();
  if (!Offered(tools, name)) return std::nullopt;
  Json arguments = Json::object();
  for (const char* key : {"arguments", "parameters"}) {
    if (!json.contains(key)) continue;
    arguments = json[key];
    if (arguments.is_string()) arguments = Json::parse(arguments.get<std::string>(), nullptr, false);
    if (arguments.is_discarded()) return std::nullopt;
  }
  return ChatToolCall{.id = absl::StrCat("call_", index), .name = name, .arguments_json = arguments.dump()};
}

}  // namespace

ParsedReply ParseToolCalls(std::string_view reply, const std::vector<ChatTool>& tools) {
  ParsedReply parsed;
  if (tools.empty()) {
    parsed.text = std::string(reply);
    return parsed;
  }
  constexpr std::string_view kOpen = "<tool_call>", kClose = "</tool_call>";
  std::string rest;
  size_t at = 0;
  while (at < reply.size()) {
    const size_t open = reply.find(kOpen, at);
    const size_t close = open == std::string_view::npos ? open : reply.find(kClose, open);
    if (close == std::string_view::npos) break;
    const std::string_view body = reply.substr(open + kOpen.size(), close - open - kOpen.size());
    std::optional<ChatToolCall> call = CallFrom(body, tools, parsed.calls.size());
    rest.append(reply.substr(at, open - at));
    if (call.has_value()) {
      parsed.calls.push_back(*std::move(call));
    } else {
      rest.append(reply.substr(open, close + kClose.size() - open));
    }
    at = close + kClose.size();
  }
  rest.append(reply.substr(std::min(at, reply.size())));
  std::string_view trimmed = Trim(rest);
  if (parsed.calls.empty()) {
    std::string_view json = trimmed;
    if (json.starts_with("<|python_tag|>")) json.remove_prefix(14);
    if (std::optional<ChatToolCall> call = CallFrom(json, tools, 0)) {
      parsed.calls.push_back(*std::move(call));
      trimmed = {};
    }
  }
  parsed.text = std::string(trimmed);
  return parsed;
}

}  // namespace catena::chains
