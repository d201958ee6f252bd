// Built-ins of the template engine, matching jinja2's: filters (`x | upper`), tests (`x is defined`),
// global functions (range, namespace, dict, raise_exception, ...) and Python methods of strings, dicts and
// lists (`s.strip()`, `d.items()`). Registries are immutable after first use; safe from any thread.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/call_context.h"
#include "common/template/value.h"

namespace catena::tmpl {

// A filter: receives the piped value and the call's arguments.
using FilterFn = absl::StatusOr<Value> (*)(CallContext& ctx, const Value& input, const CallArgs& args);
// A test: receives the tested value and the test's arguments.
using TestFn = absl::StatusOr<bool> (*)(CallContext& ctx, const Value& input, const CallArgs& args);

// The filter named `name`, or nullptr.
FilterFn FindFilter(std::string_view name);
// The test named `name`, or nullptr.
TestFn FindTest(std::string_view name);
// The built-in global named `name` (range, namespace, dict, cycler, joiner, raise_exception), or nullptr.
const Value* FindGlobal(std::string_view name);
// `obj.name` as a bound Python method of a string, dict or list; undefined when there is no such method.
Value BindMethod(const Value& obj, std::string_view name);

// Call arguments bound to a Python-like signature (positional first, then by keyword).
class BoundArgs {
 public:
  // Binds `args` to `params`; fails on unknown keywords, duplicates or too many positionals.
  static absl::StatusOr<BoundArgs> Bind(std::string_view fn, const CallArgs& args,
                                        std::initializer_list<std::string_view> params);

  // Whether parameter `i` was given.
  bool Has(size_t i) const { return values_[i].has_value(); }
  // Parameter `i`, or an undefined value when not given.
  const Value& Get(size_t i) const;
  // Parameter `i`, or `fallback` when not given.
  Value Get(size_t i, Value fallback) const { return Has(i) ? *values_[i] : std::move(fallback); }
  // Parameter `i` as an integer (bools allowed).
  absl::StatusOr<int64_t> Int(size_t i, int64_t fallback) const;
  // Parameter `i` as Python truthiness.
  bool Bool(size_t i, bool fallback) const { return Has(i) ? Truthy(*values_[i]) : fallback; }
  // Parameter `i` as a string (must be a string when given).
  absl::StatusOr<std::string> String(size_t i, std::string fallback) const;

 private:
  std::string fn_;
  std::vector<std::string_view> names_;
  std::vector<std::optional<Value>> values_;
};

// Registration hooks of the built-in tables, one per source file.
void RegisterStringFilters(std::vector<std::pair<std::string_view, FilterFn>>* table);
void RegisterSequenceFilters(std::vector<std::pair<std::string_view, FilterFn>>* table);
void RegisterTests(std::vector<std::pair<std::string_view, TestFn>>* table);

// Shared helpers of the filter files.
// Python len(); undefined is 0 (or an error when strict).
absl::StatusOr<int64_t> Length(CallContext& ctx, const Value& v);
// jinja2's attribute getter for "a.b.0" paths (item lookup first, integer parts index lists).
absl::StatusOr<Value> GetAttributePath(CallContext& ctx, const Value& obj, std::string_view path);
// Applies the test named `name` (args after the name are the test's arguments).
absl::StatusOr<bool> ApplyTest(CallContext& ctx, std::string_view name, const Value& v, const CallArgs& args);
// HTML-escapes & < > " ' like markupsafe.escape.
std::string HtmlEscape(std::string_view s);

}  // namespace catena::tmpl
