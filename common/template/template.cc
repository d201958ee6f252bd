// Public API of the template engine: parsing into a shared immutable tree, rendering and evaluation.
#include "common/template/template.h"

#include <algorithm>

#include "common/status.h"
#include "common/template/ast.h"
#include "common/template/lexer.h"
#include "common/template/parser.h"
#include "common/template/renderer.h"
#include "common/template/source.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

std::vector<std::string> WithoutGlobals(std::vector<std::string> names, const TemplateOptions& options) {
  names.erase(std::remove_if(names.begin(), names.end(),
                             [&](const std::string& name) { return options.globals.count(name) > 0; }),
              names.end());
  return names;
}

// Strips one enclosing "{{ ... }}" (with optional whitespace control) from an expression source.
std::string_view StripPrintTag(std::string_view source) {
  std::string_view trimmed = text::Strip(source, nullptr, true, true);
  if (!trimmed.starts_with("{{") || !trimmed.ends_with("}}") || trimmed.size() < 4) return source;
  trimmed = trimmed.substr(2, trimmed.size() - 4);
  if (trimmed.starts_with("-") || trimmed.starts_with("+")) trimmed.remove_prefix(1);
  if (trimmed.ends_with("-")) trimmed.remove_suffix(1);
  return trimmed;
}

}  // namespace

struct Template::Impl {
  TemplateOptions options;
  std::shared_ptr<const TemplateAst> ast;
};

Template::Template() {
  auto impl = std::make_shared<Impl>();
  impl->ast = std::make_shared<const TemplateAst>();
  impl_ = std::move(impl);
}

absl::StatusOr<Template> Template::Parse(std::string_view source, TemplateOptions options) {
  const std::string normalized = NormalizeSource(source, options.keep_trailing_newline);
  CATENA_ASSIGN_OR_RETURN(TemplateAst ast, ParseTemplate(normalized, options));
  auto impl = std::make_shared<Impl>();
  impl->options = std::move(options);
  impl->ast = std::make_shared<const TemplateAst>(std::move(ast));
  return Template(std::move(impl));
}

absl::StatusOr<std::string> Template::Render(const Value& context) const {
  Renderer renderer(impl_->options, context, impl_->ast);
  return renderer.RenderTemplate();
}

absl::StatusOr<std::string> Template::Render(const nlohmann::json& context) const {
  return Render(Value::FromJson(context));
}

absl::StatusOr<std::string> Template::Render(const nlohmann::ordered_json& context) const {
  return Render(Value::FromJson(context));
}

std::vector<std::string> Template::ReferencedVariables() const {
  return WithoutGlobals(FreeVariables(impl_->ast->body), impl_->options);
}

std::vector<VariablePath> Template::ReferencedPaths() const { return FreePaths(impl_->ast->body); }

const TemplateOptions& Template::options() const { return impl_->options; }

struct Expression::Impl {
  TemplateOptions options;
  ExprPtr expr;
};

Expression::Expression() {
  auto impl = std::make_shared<Impl>();
  impl->expr = std::make_unique<LiteralExpr>(SourcePos{}, Value::None());
  impl_ = std::move(impl);
}

absl::StatusOr<Expression> Expression::Parse(std::string_view source, TemplateOptions options) {
  auto impl = std::make_shared<Impl>();
  const std::string normalized = NormalizeSource(StripPrintTag(source), /*keep_trailing_newline=*/true);
  CATENA_ASSIGN_OR_RETURN(impl->expr, ParseExpression(normalized, options));
  impl->options = std::move(options);
  return Expression(std::move(impl));
}

absl::StatusOr<Value> Expression::Evaluate(const Value& context) const {
  Renderer renderer(impl_->options, context, nullptr);
  return renderer.EvaluateExpression(*impl_->expr);
}

absl::StatusOr<Value> Expression::Evaluate(const nlohmann::json& context) const {
  return Evaluate(Value::FromJson(context));
}

absl::StatusOr<bool> Expression::EvaluateCondition(const Value& context) const {
  Renderer renderer(impl_->options, context, nullptr);
  CATENA_ASSIGN_OR_RETURN(Value value, renderer.EvaluateExpression(*impl_->expr));
  absl::StatusOr<bool> truth = renderer.Truth(value);
  if (!truth.ok()) return WithLocation(truth.status(), impl_->options.name, impl_->expr->pos);
  return truth;
}

std::vector<std::string> Expression::ReferencedVariables() const {
  return WithoutGlobals(FreeVariables(*impl_->expr), impl_->options);
}

std::vector<VariablePath> Expression::ReferencedPaths() const { return FreePaths(*impl_->expr); }

}  // namespace catena::tmpl
