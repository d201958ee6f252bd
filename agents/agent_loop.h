// AgentLoop: the state machine of one `agent` node, kept apart from the node so it can be tested without a
// runner. It builds each model request (native tools, or the ReAct instructions), reads the reply (native tool
// calls, ReAct text, or a final answer), records each step with the model's stated reason, decides which calls
// need a person's approval, takes tool results and stops on a final answer or a limit (max_steps, max_tokens,
// timeout). Its state round-trips through tmpl::Values (ToProgress: a snapshot; TakeDelta: what changed since
// the previous delta; Restore replays them) so the node checkpoints each step with a small record. Not
// thread-safe: one driver at a time.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agents/approval.h"
#include "agents/tool_dispatch.h"
#include "chains/chat_model.h"
#include "chains/tool.h"
#include "common/template/value.h"
#include "nlohmann/json.hpp"

namespace catena::agents {

class JsonText;

// kNative: tools go through ChatRequest.tools; kReact: the text protocol of react_format.h; kAuto: native, and
// a reply without native calls that is written in the ReAct format is read as such.
enum class AgentMode { kNative, kReact, kAuto };

struct AgentConfig {
  std::string model;
  double temperature = 0;
  AgentMode mode = AgentMode::kAuto;
  int max_steps = 8;                                  // model calls
  int64_t max_tokens = 4096;                          // completion tokens over all model calls
  absl::Duration timeout = absl::InfiniteDuration();  // active time (waiting for approval does not count)
  bool parallel_tool_calls = true;
  std::vector<chains::ToolDefinition> tools;
  ApprovalOverrides approval;
};

struct AgentToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;
  std::string result;
  bool is_json = false;
  bool is_error = false;
  bool done = false;
  bool needs_approval = false;
  std::optional<bool> approved;  // set once a reviewer decided
};

struct AgentStep {
  std::string reason;  // the assistant text with the calls, or the ReAct Thought
  std::string error;   // a reply the agent could not read (fed back to the model)
  bool react = false;  // calls came as ReAct text: results go back as "Observation:" user messages
  std::vector<AgentToolCall> calls;
  bool observed = false;  // the results were appended to the conversation
};

enum class AgentPhase { kCallModel, kAwaitApproval, kRunTools, kFinished };

class AgentLoop {
 public:
  // A fresh loop over `messages` (the system message, when wanted, is already first).
  AgentLoop(AgentConfig config, std::vector<chains::ChatMessage> messages, absl::Time now);
  // The loop saved by ToProgress; DATA_LOSS naming the field when malformed.
  static absl::StatusOr<AgentLoop> Restore(AgentConfig config, const tmpl::Value& progress, absl::Time now);
  // The loop from an optional ToProgress snapshot followed by TakeDelta values in order (the first delta of a
  // loop holds its whole state); DATA_LOSS naming the delta when malformed.
  static absl::StatusOr<AgentLoop> Restore(AgentConfig config, const tmpl::Value* snapshot,
                                           const std::vector<tmpl::Value>& deltas, absl::Time now);
  AgentLoop(AgentLoop&&) = default;
  AgentLoop& operator=(AgentLoop&&) = default;

  AgentPhase phase() const;
  // Ends the loop when a limit is exhausted before the next model call (max_steps, max_tokens, timeout);
  // returns true when it did.
  bool StopIfExhausted(absl::Time now);
  // When the agent's active time runs out if it keeps running from `now` (InfiniteFuture without a timeout).
  absl::Time Deadline(absl::Time now) const;
  // The next model request (phase kCallModel); `deadline` is the node's.
  chains::ChatRequest NextRequest(absl::Time deadline, absl::Time now) const;
  // Records the reply as a step and adds its usage (counted against max_tokens). Returns the indexes of the step's calls already done (unknown tool, invalid
  // arguments for approval, not run because of max_steps) so the driver can report their results.
  std::vector<size_t> OnModelReply(const chains::ChatResult& reply);
  // Ends the loop with finish_reason "timeout" (the model call ran out of the agent's time).
  void FinishTimeout();

  // Phase kAwaitApproval: the first call waiting for a reviewer (in the last step).
  const AgentToolCall* PendingApproval() const;
  // The call the run was interrupted for (SaveInterrupt), cleared by ApplyDecision; "" when none.
  const std::string& interrupted_call() const { return interrupted_call_; }
  void MarkInterrupted(const std::string& call_id) { interrupted_call_ = call_id; }
  // Applies a reviewer's decision to PendingApproval(): approved (with edited arguments) or rejected (done,
  // "rejected by a reviewer"). Returns whether the call became done.
  bool ApplyDecision(const ApprovalDecision& decision);

  // Phase kRunTools: the last step's calls to run now.
  std::vector<size_t> RunnableCalls() const;
  const AgentToolCall& call(size_t index) const;
  // Stores a result; when the step's last result is in, appends the observations to the conversation.
  void OnToolResult(size_t index, const ToolCallOutcome& outcome);

  tmpl::Value ToProgress(absl::Time now) const;
  // What changed since the previous TakeDelta (or since Restore / construction): the new messages, the steps
  // from the first one still open then, and the scalar fields.
  // JSON text, written directly (no intermediate document: this runs on every step).
  std::string TakeDelta(absl::Time now);
  // The node output {text, steps, finish_reason, usage} (phase kFinished).
  tmpl::Value Output() const;
  const std::vector<AgentStep>& steps() const { return steps_; }
  const chains::TokenUsage& usage() const { return usage_; }
  const AgentConfig& config() const { return config_; }
  int model_calls() const { return model_calls_; }

 private:
  bool UsesReact() const { return config_.mode == AgentMode::kReact; }
  const chains::ToolDefinition* FindTool(const std::string& name) const;
  // Fills needs_approval, or marks the call done with an error; appends its index to `done` then.
  void Screen(AgentToolCall& call, size_t index, std::vector<size_t>& done) const;
  // Reads the reply into `step` (calls, reason, format error); returns the final answer when it is one.
  std::optional<std::string> Read(const chains::ChatResult& reply, AgentStep& step);
  std::string NewCallId(const std::string& proposed);
  void Finish(std::string reason, std::string text);
  void CloseStepIfDone();
  absl::Duration Elapsed(absl::Time now) const { return elapsed_ + (now - segment_start_); }
  std::vector<std::pair<std::string, tmpl::Value>> Scalars(absl::Time now) const;
  void WriteScalars(JsonText& out, absl::Time now) const;
  // Steps that can no longer change (all but an open last step).
  size_t ClosedSteps() const;
  // Applies a snapshot or a delta (agent_loop_state.cc); throws nlohmann or std exceptions when malformed.
  void ApplyJson(const nlohmann::ordered_json& state, bool is_delta);

  AgentConfig config_;
  std::vector<chains::ChatMessage> messages_;
  std::vector<AgentStep> steps_;
  chains::TokenUsage usage_;
  absl::Duration elapsed_ = absl::ZeroDuration();
  absl::Time segment_start_;
  std::string interrupted_call_;
  bool finished_ = false;
  std::string finish_reason_;
  std::string text_;
  std::string last_text_;  // the latest assistant text (the answer when a limit ends the loop)
  // ToProgress caches: messages and closed steps never change once added, so their values are built once and
  // shared (immutable) by every later progress value.
  mutable std::vector<tmpl::Value> message_values_;
  mutable std::vector<tmpl::Value> step_values_;
  size_t saved_messages_ = 0;  // TakeDelta: messages and closed steps already in a delta
  size_t saved_steps_ = 0;
  int model_calls_ = 0;
  int next_call_id_ = 0;
};

// Parses "native" | "react" | "auto".
absl::StatusOr<AgentMode> ParseAgentMode(std::string_view text);

}  // namespace catena::agents
