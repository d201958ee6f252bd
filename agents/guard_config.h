// Internal to the guard.* node types (agents/guard_*.cc): reading policy parameters that must be written
// literally in the pipeline file (policies are compiled once, at load time), with problems reported at the
// value's file:line:column, and the text fields of items (strings, or dicts with `text` / `content`).
// Stateless; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chains/node_type.h"
#include "common/template/value.h"

namespace catena::agents::guard {

// The literal list of strings `name` (empty when absent); nullopt after reporting a problem.
std::optional<std::vector<std::string>> LiteralStrings(const chains::NodeSpec& spec,
                                                        chains::NodeCompileContext& context, std::string_view name);
// The literal mapping of strings `name` ({label: regex}); nullopt after reporting a problem.
std::optional<std::vector<std::pair<std::string, std::string>>> LiteralStringMap(
    const chains::NodeSpec& spec, chains::NodeCompileContext& context, std::string_view name);
// The literal string `name`, `fallback` when absent; nullopt after reporting a problem.
std::optional<std::string> LiteralString(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                         std::string_view name, std::string fallback);
// The literal number `name` within [min, max], `fallback` when absent; nullopt after reporting a problem.
std::optional<double> LiteralNumber(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                    std::string_view name, double fallback, double min, double max);
// The literal bool `name`, `fallback` when absent; nullopt after reporting a problem.
std::optional<bool> LiteralBool(const chains::NodeSpec& spec, chains::NodeCompileContext& context,
                                std::string_view name, bool fallback);
// Reports a problem at parameter `name` (at the node's type when it is absent).
void ReportAt(const chains::NodeSpec& spec, chains::NodeCompileContext& context, std::string_view name,
              std::string message);

// The text of an item: the string itself, or the string field `text` or else `content` of a dict; nullptr
// when it has none.
const std::string* ItemText(const tmpl::Value& item);
// `item` with its text replaced by `text` (a dict is copied with the field replaced).
tmpl::Value WithItemText(const tmpl::Value& item, std::string text);
// The parameter `name` as a list of items: a list as is, a single string as a one-item list, absent as empty.
absl::StatusOr<std::vector<tmpl::Value>> Items(const tmpl::Value& params, std::string_view name);

}  // namespace catena::agents::guard
