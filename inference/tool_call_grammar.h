// Constrained decoding of tool calls under tool_choice "auto": which call format a chat template prompts for
// (the markers ParseToolCalls reads), the triggered grammar of calls to a tool set in that format, and a
// per-model cache of those grammars keyed by format and tool set. Used by InferenceService and the chains
// engine chat model. The cache is thread-safe.
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "inference/chat_template.h"
#include "inference/text_tokenizer.h"
#include "inference/triggered_grammar.h"

namespace catena::inference {

enum class ToolCallFormat {
  kNone,        // no triggered format: "auto" calls decode freely
  kHermes,      // <tool_call>\n{"name": ..., "arguments": ...}\n</tool_call>, one block per call (Qwen2.5, Hermes)
  kMistral,     // [TOOL_CALLS] [{"name": ..., "arguments": ...}, ...]
  kLlama3Json,  // the reply is {"name": ..., "parameters": ...} (Llama 3.1/3.2), optionally after <|python_tag|>
};

// The format `chat_template` asks the model to write calls in: Hermes when its source mentions <tool_call>,
// Mistral when it mentions [TOOL_CALLS], Llama 3 JSON when it mentions <|python_tag|> or asks for
// {"name": ..., "parameters": ...} replies, Hermes when it never reads `tools` (ChatTemplate::Render then
// describes the tools and that markup itself), else kNone.
ToolCallFormat ToolCallFormatOf(const ChatTemplate& chat_template);

// The triggered grammar spec of calls to `tools` in `format` (trigger, call schema, markup around it); the
// trigger's special token, if `tokenizer` has one, is a trigger too. Llama 3 JSON's trigger `{"name": "` is the
// start of the call object (trigger_starts_value), and the special token <|python_tag|>, where the tokenizer
// has one, starts a call too. INVALID_ARGUMENT for kNone or no tools;
// UNIMPLEMENTED as ToolCallSchema.
absl::StatusOr<TriggeredGrammarSpec> ToolCallTriggerSpec(ToolCallFormat format, std::span<const ToolDefinition> tools,
                                                         const TextTokenizer& tokenizer);

// Compiled triggered tool-call grammars of one model, by format and tool set (names, descriptions and
// schemas); the oldest entry is dropped past `capacity`.
class ToolGrammarCache {
 public:
  // `tokenizer` must outlive the cache.
  ToolGrammarCache(std::shared_ptr<const GrammarVocabulary> vocabulary, const TextTokenizer& tokenizer,
                   size_t capacity = 32)
      : vocabulary_(std::move(vocabulary)), tokenizer_(tokenizer), capacity_(capacity) {}

  // The grammar for calls to `tools` in `format`, compiled on first use. Errors as ToolCallTriggerSpec and
  // TriggeredGrammar::Compile.
  absl::StatusOr<std::shared_ptr<const TriggeredGrammar>> Get(ToolCallFormat format,
                                                              std::span<const ToolDefinition> tools);
  // Number of compilations so far (a repeated tool set is served from the cache).
  size_t compilations() const;

 private:
  std::shared_ptr<const GrammarVocabulary> vocabulary_;
  const TextTokenizer& tokenizer_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  absl::flat_hash_map<std::string, std::shared_ptr<const TriggeredGrammar>> entries_;
  std::deque<std::string> order_;  // keys, oldest first
  size_t compilations_ = 0;
};

}  // namespace catena::inference
