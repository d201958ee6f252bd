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
  } else {
    spec.trigger = std::string(kMistralMarker);
    spec.schema_json = ArrayOfCalls(call_schema);
    spec.before = {"", " "};
  }
  const int32_t id = tokenizer.TokenId(spec.trigger);
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
