// The LanguageModel interface: completes a chat conversation. The inference engine implements it in
// process, connectors implement it for OpenAI-compatible APIs; memory uses it for running summaries and the
// chain engine for LLM nodes. Implementations are safe to call from many threads at once.
#pragma once

#include <span>
#include <string>

#include "absl/status/statusor.h"

namespace catena::inference {

// One turn of a conversation; role is "system", "user", "assistant" or "tool".
struct ChatTurn {
  std::string role;
  std::string content;
};

struct CompletionOptions {
  int max_tokens = 256;
  float temperature = 0;
};

class LanguageModel {
 public:
  virtual ~LanguageModel() = default;
  // The assistant's reply to `conversation`.
  virtual absl::StatusOr<std::string> Complete(std::span<const ChatTurn> conversation,
                                               const CompletionOptions& options) const = 0;
};

}  // namespace catena::inference
