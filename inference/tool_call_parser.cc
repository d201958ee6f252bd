// Call formats, as the chat templates in common use prompt for them:
//   Hermes / Qwen2.5:  <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>   (one block per call)
//   Llama 3.1 JSON:    {"name": "f", "parameters": {...}}                             (the whole reply)
//   Mistral v3:        [TOOL_CALLS] [{"name": "f", "arguments": {...}}, ...]
//   Mistral v11:       [TOOL_CALLS]f[ARGS]{...}[TOOL_CALLS]g[ARGS]{...}
// A bare JSON array of call objects is read as Mistral's (its [TOOL_CALLS] token may be skipped as special).
#include "inference/tool_call_parser.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace catena::inference {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kMistralMarker = "[TOOL_CALLS]";
constexpr std::string_view kMistralArgs = "[ARGS]";
constexpr std::string_view kPythonTag = "<|python_tag|>";

std::string_view Trim(std::string_view text) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(absl::string_view(text.data(), text.size()));
  return std::string_view(trimmed.data(), trimmed.size());
}

Json ParseJson(std::string_view text) { return Json::parse(text.begin(), text.end(), nullptr, false); }

// A call object {"name": ..., "arguments"|"parameters": {...} or "<json object>"} naming a known tool; nullopt
// otherwise. Other keys than name, arguments, parameters, type and id make it not a call.
std::optional<ChatToolCall> CallFrom(const Json& value, std::span<const std::string> tool_names) {
  if (!value.is_object() || !value.contains("name") || !value["name"].is_string()) return std::nullopt;
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (key != "name" && key != "arguments" && key != "parameters" && key != "type" && key != "id") {
      return std::nullopt;
    }
  }
  if (value.contains("arguments") && value.contains("parameters")) return std::nullopt;
  const std::string name = value["name"].get<std::string>();
  if (std::find(tool_names.begin(), tool_names.end(), name) == tool_names.end()) return std::nullopt;
  Json arguments = Json::object();
  for (const char* key : {"arguments", "parameters"}) {
    if (!value.contains(key)) continue;
    arguments = value[key];
    if (arguments.is_string()) arguments = ParseJson(arguments.get<std::string>());
  }
  if (!arguments.is_object()) return std::nullopt;
  return ChatToolCall{.id = "", .name = name, .arguments_json = arguments.dump()};
}

// Every element of `value` (an array of call objects) as calls; nullopt unless all are calls.
std::optional<std::vector<ChatToolCall>> CallsFromArray(const Json& value, std::span<const std::string> tool_names) {
  if (!value.is_array() || value.empty()) return std::nullopt;
  std::vector<ChatToolCall> calls;
  for (const Json& element : value) {
    std::optional<ChatToolCall> call = CallFrom(element, tool_names);
    if (!call.has_value()) return std::nullopt;
    calls.push_back(std::move(*call));
  }
  return calls;
}

// Hermes blocks: each valid block becomes a call and leaves the content; an unclosed last block counts when
// the rest of the text is exactly one call object.
ToolCallParse ParseHermes(std::string_view text, std::span<const std::string> tool_names) {
  ToolCallParse out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t open = text.find(kHermesOpen, pos);
    if (open == std::string_view::npos) break;
    const size_t body = open + kHermesOpen.size();
    const size_t close = text.find(kHermesClose, body);
    const size_t end = close == std::string_view::npos ? text.size() : close + kHermesClose.size();
    const std::string_view inner = text.substr(body, (close == std::string_view::npos ? text.size() : close) - body);
    std::optional<ChatToolCall> call = CallFrom(ParseJson(Trim(inner)), tool_names);
    absl::StrAppend(&out.content, std::string(text.substr(pos, open - pos)));
    if (call.has_value()) {
      out.calls.push_back(std::move(*call));
    } else {
      absl::StrAppend(&out.content, std::string(text.substr(open, end - open)));
    }
    pos = end;
  }
  if (pos < text.size()) absl::StrAppend(&out.content, std::string(text.substr(pos)));
  return out;
}

// Mistral v11's `name[ARGS]{...}` segments, each after a marker; nullopt unless every segment is a call.
std::optional<std::vector<ChatToolCall>> MistralSegments(std::string_view calls_text,
                                                         std::span<const std::string> tool_names) {
  std::vector<ChatToolCall> calls;
  for (size_t pos = 0; pos <= calls_text.size();) {
    size_t next = calls_text.find(kMistralMarker, pos);
    if (next == std::string_view::npos) next = calls_text.size();
    const std::string_view segment = calls_text.substr(pos, next - pos);
    const size_t args = segment.find(kMistralArgs);
    if (args == std::string_view::npos) return std::nullopt;
    const Json call = {{"name", std::string(Trim(segment.substr(0, args)))},
                       {"arguments", ParseJson(Trim(segment.substr(args + kMistralArgs.size())))}};
    std::optional<ChatToolCall> parsed = CallFrom(call, tool_names);
    if (!parsed.has_value()) return std::nullopt;
    calls.push_back(std::move(*parsed));
    pos = next + kMistralMarker.size();
  }
  return calls;
}

// Mistral's marker followed by an array of calls (or v11 segments); the text before the marker is the content.
std::optional<ToolCallParse> ParseMistral(std::string_view text, std::span<const std::string> tool_names) {
  const size_t marker = text.find(kMistralMarker);
  if (marker == std::string_view::npos) return std::nullopt;
  const std::string_view rest = text.substr(marker + kMistralMarker.size());
  auto calls = Trim(rest).starts_with("[") ? CallsFromArray(ParseJson(Trim(rest)), tool_names)
                                           : MistralSegments(rest, tool_names);
  if (!calls.has_value()) return std::nullopt;
  return ToolCallParse{.content = std::string(text.substr(0, marker)), .calls = std::move(*calls)};
}

// The whole reply as one call object (Llama 3.1, optionally after <|python_tag|>) or an array of them.
std::optional<ToolCallParse> ParseWholeReply(std::string_view text, std::span<const std::string> tool_names) {
  std::string_view body = Trim(text);
  if (body.starts_with(kPythonTag)) body = Trim(body.substr(kPythonTag.size()));
  if (body.empty() || (body.front() != '{' && body.front() != '[')) return std::nullopt;
  const Json value = ParseJson(body);
  if (value.is_array()) {
    auto calls = CallsFromArray(value, tool_names);
    if (!calls.has_value()) return std::nullopt;
    return ToolCallParse{.content = "", .calls = std::move(*calls)};
  }
  std::optional<ChatToolCall> call = CallFrom(value, tool_names);
  if (!call.has_value()) return std::nullopt;
  return ToolCallParse{.content = "", .calls = {std::move(*call)}};
}

}  // namespace

ToolCallParse ParseToolCalls(std::string_view text, std::span<const std::string> tool_names) {
  std::optional<ToolCallParse> parsed;
  if (!tool_names.empty()) {
    parsed = ParseMistral(text, tool_names);
    if (!parsed.has_value()) parsed = ParseWholeReply(text, tool_names);
    if (!parsed.has_value() && text.find(kHermesOpen) != std::string_view::npos) {
      parsed = ParseHermes(text, tool_names);
    }
  }
  if (!parsed.has_value() || parsed->calls.empty()) return ToolCallParse{.content = std::string(text), .calls = {}};
  parsed->content = std::string(Trim(parsed->content));
  for (size_t i = 0; i < parsed->calls.size(); ++i) parsed->calls[i].id = absl::StrCat("call_", i);
  return *std::move(parsed);
}

namespace {

// Length of the longest suffix of `text` that begins a call marker (which a later delta may complete).
size_t PartialMarker(std::string_view text) {
  size_t longest = 0;
  for (std::string_view marker : {kHermesOpen, kMistralMarker}) {
    for (size_t n = std::min(marker.size() - 1, text.size()); n > longest; --n) {
      if (text.substr(text.size() - n) == marker.substr(0, n)) {
        longest = n;
        break;
      }
    }
  }
  return longest;
}

}  // namespace

std::string ToolCallStreamFilter::Push(std::string_view delta) {
  text_.append(delta.data(), delta.size());
  const std::string_view text = text_;
  const std::string_view body = Trim(text);
  if (body.empty() || body.front() == '{' || body.front() == '[' ||
      kPythonTag.starts_with(body.substr(0, kPythonTag.size()))) {
    return "";  // may be a whole-reply call: hold everything until Finish
  }
  size_t safe = std::min({text.find(kHermesOpen), text.find(kMistralMarker), text.size() - PartialMarker(text)});
  while (safe > emitted_ && absl::ascii_isspace(static_cast<unsigned char>(text[safe - 1]))) --safe;
  if (safe <= emitted_) return "";
  std::string out(text.substr(emitted_, safe - emitted_));
  emitted_ = safe;
  return out;
}

ToolCallParse ToolCallStreamFilter::Finish() {
  ToolCallParse parsed = ParseToolCalls(text_, tool_names_);
  if (parsed.calls.empty()) {
    parsed.content = text_.substr(emitted_);
    return parsed;
  }
  const std::string_view shown = Trim(std::string_view(text_).substr(0, emitted_));
  parsed.content = parsed.content.starts_with(shown) ? parsed.content.substr(shown.size()) : "";
  return parsed;
}

}  // namespace catena::inference
