// Helpers shared by the built-in node types (chains/nodes/*.cc): typed access to resolved parameters with
// errors that name the parameter, chat-message conversion between run values and ChatMessage, compile-time
// checks of literal parameters, and two small building blocks (SimpleNodeType, a NodeImpl for synchronous
// bodies). Internal to chains/nodes and the node types of agents/ (tool, agent); stateless and thread-safe.
#pragma once

#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/chat_model.h"
#include "chains/node_type.h"
#include "common/template/value.h"

namespace catena::chains::nodes {

// ---- Resolved parameters (NodeCall::params()) ----

// The parameter `name`, or nullptr when it is absent, undefined or none.
const tmpl::Value* FindParam(const tmpl::Value& params, std::string_view name);
// A string parameter; `fallback` when absent. Numbers and booleans are not strings (INVALID_ARGUMENT).
absl::StatusOr<std::string> GetString(const tmpl::Value& params, std::string_view name, std::string fallback = "");
// A string parameter that must be present and non-empty.
absl::StatusOr<std::string> RequireString(const tmpl::Value& params, std::string_view name);
// An int parameter (an int, an integral float or a decimal string) within [min, max]; `fallback` when absent.
absl::StatusOr<int64_t> GetInt(const tmpl::Value& params, std::string_view name, int64_t fallback, int64_t min,
                               int64_t max);
// A number parameter within [min, max]; `fallback` when absent.
absl::StatusOr<double> GetNumber(const tmpl::Value& params, std::string_view name, double fallback, double min,
                                 double max);
// A bool parameter; `fallback` when absent.
absl::StatusOr<bool> GetBool(const tmpl::Value& params, std::string_view name, bool fallback);
// A list parameter; an empty list when absent.
absl::StatusOr<tmpl::Value> GetList(const tmpl::Value& params, std::string_view name);
// A list of strings; empty when absent.
absl::StatusOr<std::vector<std::string>> GetStringList(const tmpl::Value& params, std::string_view name);
// A mapping parameter; nullopt-like undefined Value when absent (check is_map()).
absl::StatusOr<tmpl::Value> GetMap(const tmpl::Value& params, std::string_view name);
// INVALID_ARGUMENT unless `value` is one of `choices` ("parameter 'mode' must be one of dense, sparse, ...").
absl::Status CheckChoice(std::string_view name, const std::string& value,
                         std::initializer_list<std::string_view> choices);
// FAILED_PRECONDITION naming `service` when `pointer` is null.
absl::Status NeedService(const void* pointer, std::string_view service);

// ---- Values ----

// A new dict holding `fields` in order.
tmpl::Value MakeDict(std::vector<std::pair<std::string, tmpl::Value>> fields);
// A new dict holding the entries of `base` (shared, not copied deeply) plus `key` = `value`.
tmpl::Value WithRoot(const tmpl::Value& base, std::string_view key, tmpl::Value value);
// The value converted to JSON text; INVALID_ARGUMENT naming `what` when it cannot be.
absl::StatusOr<std::string> ToJsonText(const tmpl::Value& value, std::string_view what);

// ---- Chat messages ----

// Messages from a list of {role, content} dicts; errors name "<param>[i].role" etc.
absl::StatusOr<std::vector<ChatMessage>> MessagesFromValue(const tmpl::Value& list, std::string_view param);
// A list of {role, content} dicts.
tmpl::Value MessagesToValue(const std::vector<ChatMessage>& messages);
// Every content joined with "\n\n" (empty contents left out).
std::string JoinContents(const std::vector<ChatMessage>& messages);

// ---- Compile time ----

// The field `key` of a mapping SpecValue, or nullptr (SpecValue::Find without the front end's sources).
const SpecValue* FindField(const SpecValue& map, std::string_view key);
// True for a string holding no template syntax (its value is known at compile time).
bool IsLiteralString(const SpecValue& value);
// Reports when the literal string parameter `name` is not one of `choices`.
void CheckLiteralChoice(const NodeSpec& spec, NodeCompileContext& context, std::string_view name,
                        std::initializer_list<std::string_view> choices);
// Reports when the literal int parameter `name` is outside [min, max].
void CheckLiteralRange(const NodeSpec& spec, NodeCompileContext& context, std::string_view name, int64_t min,
                       int64_t max);
// Reports when none of `names` is written.
void RequireAnyOf(const NodeSpec& spec, NodeCompileContext& context, std::initializer_list<std::string_view> names);

// ---- Building blocks ----

using CompileFn = std::function<std::unique_ptr<NodeImpl>(const NodeSpec&, NodeCompileContext&)>;
using SyncBody = std::function<absl::StatusOr<tmpl::Value>(NodeCall&)>;

// A NodeType made of its description and a compile function.
class SimpleNodeType final : public NodeType {
 public:
  SimpleNodeType(NodeTypeInfo info, CompileFn compile) : info_(std::move(info)), compile_(std::move(compile)) {}
  const NodeTypeInfo& info() const override { return info_; }
  std::unique_ptr<NodeImpl> Compile(const NodeSpec& spec, NodeCompileContext& context) const override {
    return compile_(spec, context);
  }

 private:
  NodeTypeInfo info_;
  CompileFn compile_;
};

// Holds the cancel handle of a model call, which arrives after ChatModel::Chat returns, while the run's
// cancellation may come first (NodeCall::OnCancel is registered before the call starts).
class CancelSlot {
 public:
  void Cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    if (handle_ != nullptr) handle_->Cancel();
  }
  void Set(std::unique_ptr<ChatCancel> handle) {
    std::lock_guard lock(mutex_);
    handle_ = std::move(handle);
    if (cancelled_ && handle_ != nullptr) handle_->Cancel();
  }

 private:
  std::mutex mutex_;
  bool cancelled_ = false;
  std::unique_ptr<ChatCancel> handle_;
};

// A node whose work finishes inline: Start calls Finish(body(call)).
std::unique_ptr<NodeImpl> MakeSyncNode(SyncBody body);
// A compile function that checks nothing and returns MakeSyncNode(body).
CompileFn SyncCompile(SyncBody body);

}  // namespace catena::chains::nodes
