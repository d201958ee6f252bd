#include "inference/tool_call_grammar.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/json_schema_grammar.h"
#include "inference/tool_choice.h"

namespace catena::inference {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kMistralMarker = "[TOOL_CALLS]";
constexpr std::string_view kPythonTag = "<|python_tag|>";
constexpr std::string_view kLlama3Reply = "\"parameters\"";   // Llama 3.1: {"name": ..., "parameters": ...}
constexpr std::string_view kLlama3Trigger = "{\"name\": \"";  // canonical JSON's first bytes of a call object

// The call schema with each tool's "arguments" property renamed "parameters" (Llama 3's key), order kept.
std::string WithParametersKey(const std::string& call_schema) {
  Json root = Json::parse(call_schema);
  auto rename = [](Json& call) {
    Json properties = Json::object();
    for (auto it = call["properties"].begin(); it != call["properties"].end(); ++it) {
      properties[it.key() == "arguments" ? "parameters" : it.key()] = it.value();
    }
    call["properties"] = std::move(properties);
    call["required"] = {"name", "parameters"};
  };
  if (root.contains("anyOf")) {
    for (Json& call : root["anyOf"]) rename(call);
  } else {
    rename(root);
  }
  return root.dump();
}

// Mistral's calls come as an array; the call schema's $defs stay at the root so its $refs still resolve.
std::string ArrayOfCalls(const std::string& call_schema) {
  Json call = Json::parse(call_schema);
  Json root = {{"type", "array"}, {"minItems", 1}};
  for (const char* key : {"$defs", "definitions"}) {
    if (!call.contains(key)) continue;
    root[key] = call[key];
    call.erase(key);
  }
  root["items"] = std::move(call);
  return root.dump();
}

}  // namespace

ToolCallFormat ToolCallFormatOf(const ChatTemplate& chat_template) {
  const std::string& source = chat_template.source();
  if (source.find(kHermesOpen) != std::string::npos) return ToolCallFormat::kHermes;
  if (source.find(kMistralMarker) != std::string::npos) return ToolCallFormat::kMistral;
  if (source.find(kPythonTag) != std::string::npos ||
      (source.find(kLlama3Reply) != std::string::npos && source.find("{\"name\"") != std::string::npos)) {
    return ToolCallFormat::kLlama3Json;
  }
  // A template that never reads `tools` is rendered with a preamble that asks for Hermes blocks (ChatTemplate).
  if (!chat_template.supports_tools()) return ToolCallFormat::kHermes;
  return ToolCallFormat::kNone;
}

absl::StatusOr<TriggeredGrammarSpec> ToolCallTriggerSpec(ToolCallFormat format, std::span<const ToolDefinition> tools,
                                                         const TextTokenizer& tokenizer) {
  if (format == ToolCallFormat::kNone) {
    return absl::InvalidArgumentError("tool calls: the chat template has no triggered call format");
  }
  CATENA_ASSIGN_OR_RETURN(std::string call_schema, ToolCallSchema(tools));
  TriggeredGrammarSpec spec;
  if (format == ToolCallFormat::kHermes) {
    spec.trigger = std::string(kHermesOpen);
    spec.schema_json = std::move(call_schema);
    spec.before = {"", "\n"};
    spec.after = {"\n</tool_call>", "</tool_call>"};
  } else if (format == ToolCallFormat::kMistral) {
    spec.trigger = std::string(kMistralMarker);
    spec.schema_json = ArrayOfCalls(call_schema);
    spec.before = {"", " "};
  } else {
    spec.trigger = std::string(kLlama3Trigger);
    spec.trigger_starts_value = true;
    spec.schema_json = WithParametersKey(call_schema);
  }
  const int32_t id = tokenizer.TokenId(format == ToolCallFormat::kLlama3Json ? kPythonTag : spec.trigger);
  if (id >= 0 && tokenizer.IsSpecial(id)) spec.trigger_tokens.push_back(id);
  return spec;
}

absl::StatusOr<std::shared_ptr<const TriggeredGrammar>> ToolGrammarCache::Get(ToolCallFormat format,
                                                                              std::span<const ToolDefinition> tools) {
  CATENA_ASSIGN_OR_RETURN(std::string schema, ToolCallSchema(tools));
  const std::string key = absl::StrCat(static_cast<int>(format), ":", schema);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) return it->second;
  }
  CATENA_ASSIGN_OR_RETURN(TriggeredGrammarSpec spec, ToolCallTriggerSpec(format, tools, tokenizer_));
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const TriggeredGrammar> grammar,
                          TriggeredGrammar::Compile(spec, vocabulary_));
  std::lock_guard<std::mutex> lock(mutex_);
  ++compilations_;
  if (entries_.emplace(key, grammar).second) order_.push_back(key);
  while (order_.size() > capacity_) {
    entries_.erase(order_.front());
    order_.pop_front();
  }
  return grammar;
}

size_t ToolGrammarCache::compilations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return compilations_;
}

}  // namespace catena::inference
