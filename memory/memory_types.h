// Domain types of the memory component: sessions, chat messages as stored, context requests and results,
// run checkpoints and erasure counts. MemoryStore takes and returns these; memory_service.cc converts them to and
// from catena.v1 protos. Plain value types; no synchronization.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace catena::memory {

enum class Role { kUnspecified = 0, kSystem = 1, kUser = 2, kAssistant = 3, kTool = 4 };

// "system", "user", "assistant", "tool" ("unspecified" for kUnspecified).
const char* RoleName(Role role);

struct ToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;
};

// One chat message as a client sends it.
struct Message {
  Role role = Role::kUnspecified;
  std::string content;
  std::string name;
  std::vector<ToolCall> tool_calls;
  // Tool results: the id of the ToolCall answered.
  std::string tool_call_id;
  // Free-form metadata as a JSON object text; empty = none.
  std::string metadata_json;
};

// A message with what the store added on append.
struct StoredMessage {
  // 1, 2, ... within the session, in append order.
  int64_t seq = 0;
  Message message;
  int64_t created_at_unix_ms = 0;
  // Estimated (or tokenizer-counted) tokens of the message, including per-message overhead.
  int32_t token_count = 0;
};

struct Session {
  std::string id;
  std::string user_id;
  // JSON object text; empty = none.
  std::string metadata_json;
  int64_t created_at_unix_ms = 0;
  int64_t updated_at_unix_ms = 0;
  // Messages appended so far (also the last sequence number assigned).
  int64_t message_count = 0;
};

// A page request: at most `page_size` items after the opaque `page_token` ("" = from the start).
struct PageSpec {
  int page_size = 50;
  std::string page_token;
};

template <typename T>
struct Page {
  std::vector<T> items;
  // "" when there is nothing more.
  std::string next_page_token;
};

enum class ContextStrategy { kWindow, kTokenBudget, kSummary, kSemantic };

struct ContextRequest {
  std::string session_id;
  ContextStrategy strategy = ContextStrategy::kWindow;
  // kWindow: how many of the newest messages.
  int last_n = 20;
  // kTokenBudget / kSummary: budget of the returned messages (and summary).
  int max_tokens = 2048;
  // Model whose tokenizer counts tokens; empty = the estimator (see token_counter.h).
  std::string model;
  // kSemantic: the text to recall earlier turns for, and how many turns.
  std::string query;
  int k = 5;
};

struct ContextResult {
  // In conversation order (oldest first).
  std::vector<StoredMessage> messages;
  // kSummary: the running summary of the turns before `messages`; empty otherwise.
  std::string summary;
  int32_t token_count = 0;
};

struct Checkpoint {
  std::string run_id;
  int64_t step = 0;
  // -1 for the first checkpoint of a run.
  int64_t parent_step = -1;
  std::string state;
  int64_t created_at_unix_ms = 0;
  // Who the run works for; EraseUser removes the run's checkpoints.
  std::string user_id;
};

struct EraseCounts {
  int64_t sessions = 0;
  int64_t messages = 0;
  int64_t summaries = 0;
  int64_t facts = 0;
  int64_t checkpoints = 0;
};

}  // namespace catena::memory
