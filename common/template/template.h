// Public API of the Jinja2-compatible template engine (namespace catena::tmpl): Template renders prompt
// and chat templates (pipeline files, GGUF tokenizer.chat_template), Expression evaluates pipeline conditions.
// Both are immutable after Parse, cheap to copy (shared syntax tree) and safe to use from many threads.
// Errors are absl::Status with messages "<name>:<line>:<column>: <what went wrong>".
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "common/template/options.h"
#include "common/template/value.h"

namespace catena::tmpl {

struct TemplateAst;
struct Expr;

// A constant attribute path read from the context, e.g. {"nodes", "search", "documents"} for
// `nodes.search.documents` or `nodes["search"].documents`, with the position of its outermost access.
struct VariablePath {
  std::vector<std::string> parts;
  int line = 0;
  int column = 0;
};

// A parsed template.
class Template {
 public:
  // An empty template that renders "" (so Template can be a default-constructed member).
  Template();
  // Parses `source`; syntax errors, unknown filters/tests and unclosed blocks are INVALID_ARGUMENT.
  static absl::StatusOr<Template> Parse(std::string_view source, TemplateOptions options = {});

  // Renders with a JSON object as context (object key order is kept for ordered_json).
  absl::StatusOr<std::string> Render(const nlohmann::json& context) const;
  absl::StatusOr<std::string> Render(const nlohmann::ordered_json& context) const;
  // Renders with a dict Value as context (may hold callables, e.g. per-render functions).
  absl::StatusOr<std::string> Render(const Value& context) const;

  // Top-level names the template reads from the context (not set or bound locally), first use first.
  std::vector<std::string> ReferencedVariables() const;
  // Constant attribute paths the template reads from the context (pipelines check node references with it).
  std::vector<VariablePath> ReferencedPaths() const;
  // Options the template was parsed with.
  const TemplateOptions& options() const;

 private:
  struct Impl;
  explicit Template(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

// A parsed expression such as `nodes.search.documents | length == 0` (an enclosing "{{ }}" is accepted).
class Expression {
 public:
  // An expression that evaluates to none.
  Expression();
  // Parses `source` as one expression.
  static absl::StatusOr<Expression> Parse(std::string_view source, TemplateOptions options = {});

  // Evaluates against a dict context; the result may be undefined unless options.strict_undefined.
  absl::StatusOr<Value> Evaluate(const Value& context) const;
  absl::StatusOr<Value> Evaluate(const nlohmann::json& context) const;
  // Evaluates and applies Python truthiness (strict_undefined makes an undefined result an error).
  absl::StatusOr<bool> EvaluateCondition(const Value& context) const;
  // Top-level names the expression reads from the context.
  std::vector<std::string> ReferencedVariables() const;
  // Constant attribute paths the expression reads from the context.
  std::vector<VariablePath> ReferencedPaths() const;

 private:
  struct Impl;
  explicit Expression(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace catena::tmpl
