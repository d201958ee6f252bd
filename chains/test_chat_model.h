// TestChatModel: a deterministic ChatModel for pipeline tests, examples and benchmarks (documented in
// docs/pipelines.md). Built-in models: "test" and "test-echo" reply "echo: <last user message>"; "test-json"
// replies the minimal valid instance of request.json_schema ("{}" without one); "" means "test". Scripted
// models (TestModelSpec) pick a reply by substring of the last user message. "Last user message" means the
// last message with role user or tool (a tool result after the user's question counts, for agent tests). Replies stream in
// whitespace-separated pieces; with delays the pieces are delivered by Executor::PostAfter timers (no thread
// ever sleeps), without delays everything is delivered inline. Thread-safe; the executor must outlive calls.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "chains/chat_model.h"

namespace catena {
class Executor;
}

namespace catena::chains {

struct TestModelReply {
  std::string contains;  // chosen when the last user message contains this ("" matches everything)
  std::string text;
};

struct TestModelSpec {
  std::string name;
  std::vector<TestModelReply> replies;  // first match wins
  std::string default_text;             // when no reply matches
  absl::Duration first_token_delay = absl::ZeroDuration();
  absl::Duration token_interval = absl::ZeroDuration();
  // > 0: the reply is token_count synthetic tokens "t0 t1 ..." instead of the text (load tests).
  int token_count = 0;
};

class TestChatModel final : public ChatModel {
 public:
  // `executor` delivers delayed pieces; it may be null when no model has delays (everything runs inline).
  explicit TestChatModel(Executor* executor = nullptr);

  // Adds a scripted model (replaces one of the same name, built-in names included).
  void AddModel(TestModelSpec spec);

  // Replies as described above. Honours max_tokens (finish "length": the first max_tokens pieces) and stop
  // strings (finish "stop", text cut before the stop string). When the request offers tools, tool calls in
  // the reply (see tool_calls.h) become ChatResult.tool_calls (finish "tool_calls"). Usage: prompt_tokens = whitespace-separated words
  // of all messages, completion_tokens = pieces streamed. NOT_FOUND for unknown models; CANCELLED after Cancel.
  std::unique_ptr<ChatCancel> Chat(ChatRequest request, std::function<void(std::string_view delta)> on_delta,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override;
  bool HasModel(std::string_view model) const override;

  // The reply text a call would produce before max_tokens and stop strings (tests compare with it).
  absl::StatusOr<std::string> ReplyFor(const ChatRequest& request) const;

 private:
  Executor* const executor_;
  mutable std::mutex mutex_;
  std::map<std::string, TestModelSpec, std::less<>> models_;
};

// Splits `text` into streamed pieces: each word with the whitespace before it ("a b" -> "a", " b").
std::vector<std::string> SplitTestTokens(std::string_view text);

}  // namespace catena::chains
