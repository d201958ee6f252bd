#include "chains/binding.h"

#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "chains/pipeline_globals.h"
#include "common/status.h"

namespace catena::chains {

// One compiled value: a literal, a typed expression, a rendered template, or a list/mapping of bindings.
struct Binding::Node {
  struct List {
    std::vector<Node> items;
  };
  struct Map {
    std::vector<std::pair<std::string, Node>> fields;
  };
  std::variant<tmpl::Value, tmpl::Expression, tmpl::Template, List, Map> value;
  SourcePos pos;
  std::string where;  // "file:line:column" for evaluation errors
  bool literal = true;
};

namespace {

enum class TextKind { kPlain, kExpression, kTemplate };

bool Contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// "{{ expr }}" alone is an expression; any other use of template syntax is a template.
TextKind Classify(std::string_view text) {
  const bool has_syntax = Contains(text, "{{") || Contains(text, "{%") ||
                          Contains(text, "{#");
  if (!has_syntax) return TextKind::kPlain;
  std::string_view trimmed = text;
  while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\n')) trimmed.remove_prefix(1);
  while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\n')) trimmed.remove_suffix(1);
  const bool single = trimmed.starts_with("{{") && trimmed.ends_with("}}") &&
                      trimmed.find("{{", 2) == std::string_view::npos &&
                      trimmed.find("}}") == trimmed.size() - 2 && !Contains(trimmed, "{%") &&
                      !Contains(trimmed, "{#");
  return single ? TextKind::kExpression : TextKind::kTemplate;
}

class Compiler {
 public:
  Compiler(const std::string& node, ProblemList& problems) : node_(node), problems_(problems) {}

  Binding::Node Compile(const SpecValue& value, const std::string& path) {
    Binding::Node out;
    out.pos = value.pos;
    out.where = absl::StrCat(problems_.file(), ":", value.pos.line, ":", value.pos.column);
    if (value.is_list()) {
      Binding::Node::List list;
      for (size_t i = 0; i < value.items.size(); ++i) {
        list.items.push_back(Compile(value.items[i], absl::StrCat(path, "[", i, "]")));
        out.literal = out.literal && list.items.back().literal;
      }
      out.value = std::move(list);
    } else if (value.is_map()) {
      Binding::Node::Map map;
      for (const auto& [key, field] : value.fields) {
        map.fields.emplace_back(key, Compile(field, path.empty() ? key : absl::StrCat(path, ".", key)));
        out.literal = out.literal && map.fields.back().second.literal;
      }
      out.value = std::move(map);
    } else if (value.is_string()) {
      CompileText(value, path, out);
    } else {
      out.value = SpecToValue(value);
    }
    return out;
  }

  std::vector<Reference> TakeReferences() { return std::move(references_); }

 private:
  void CompileText(const SpecValue& value, const std::string& path, Binding::Node& out) {
    const TextKind kind = Classify(value.string_value);
    if (kind == TextKind::kPlain) {
      out.value = tmpl::Value(value.string_value);
      return;
    }
    tmpl::TemplateOptions options;
    options.name = path.empty() ? "template" : path;
    options.globals = PipelineGlobals();
    out.literal = false;
    if (kind == TextKind::kExpression) {
      auto expression = tmpl::Expression::Parse(value.string_value, options);
      if (!expression.ok()) return Report(value.pos, expression.status());
      AddReferences(expression->ReferencedPaths(), value.pos);
      out.value = *std::move(expression);
    } else {
      auto parsed = tmpl::Template::Parse(value.string_value, options);
      if (!parsed.ok()) return Report(value.pos, parsed.status());
      AddReferences(parsed->ReferencedPaths(), value.pos);
      out.value = *std::move(parsed);
    }
  }

  void Report(SourcePos pos, const absl::Status& status) {
    problems_.Add(pos, node_, absl::StrCat("bad template: ", status.message()));
  }

  void AddReferences(const std::vector<tmpl::VariablePath>& paths, SourcePos pos) {
    for (const tmpl::VariablePath& path : paths) {
      Reference reference{.root = path.parts[0], .pos = pos};
      if (path.parts.size() > 1) reference.name = path.parts[1];
      if (path.parts.size() > 2) reference.field = path.parts[2];
      references_.push_back(std::move(reference));
    }
  }

  const std::string& node_;
  ProblemList& problems_;
  std::vector<Reference> references_;
};

absl::StatusOr<tmpl::Value> EvaluateNode(const Binding::Node& node, const tmpl::Value& context);

struct Evaluator {
  const Binding::Node& node;
  const tmpl::Value& context;

  absl::StatusOr<tmpl::Value> operator()(const tmpl::Value& literal) const { return literal; }
  absl::StatusOr<tmpl::Value> operator()(const tmpl::Expression& expression) const {
    auto value = expression.Evaluate(context);
    if (!value.ok()) return Annotate(value.status(), node.where);
    return value;
  }
  absl::StatusOr<tmpl::Value> operator()(const tmpl::Template& text) const {
    auto rendered = text.Render(context);
    if (!rendered.ok()) return Annotate(rendered.status(), node.where);
    return tmpl::Value(*std::move(rendered));
  }
  absl::StatusOr<tmpl::Value> operator()(const Binding::Node::List& list) const {
    std::vector<tmpl::Value> items;
    items.reserve(list.items.size());
    for (const Binding::Node& item : list.items) {
      CATENA_ASSIGN_OR_RETURN(tmpl::Value value, EvaluateNode(item, context));
      items.push_back(std::move(value));
    }
    return tmpl::Value::List(std::move(items));
  }
  absl::StatusOr<tmpl::Value> operator()(const Binding::Node::Map& map) const {
    tmpl::Value out = tmpl::Value::Dict();
    for (const auto& [key, field] : map.fields) {
      CATENA_ASSIGN_OR_RETURN(tmpl::Value value, EvaluateNode(field, context));
      out.map().Set(key, std::move(value));
    }
    return out;
  }
};

absl::StatusOr<tmpl::Value> EvaluateNode(const Binding::Node& node, const tmpl::Value& context) {
  return std::visit(Evaluator{node, context}, node.value);
}

}  // namespace

Binding Binding::Compile(const SpecValue& value, const std::string& node, ProblemList& problems) {
  Compiler compiler(node, problems);
  Binding binding;
  binding.node_ = std::make_shared<Node>(compiler.Compile(value, ""));
  binding.references_ = compiler.TakeReferences();
  return binding;
}

Binding Binding::Literal(tmpl::Value value) {
  Binding binding;
  auto node = std::make_shared<Node>();
  node->value = std::move(value);
  binding.node_ = std::move(node);
  return binding;
}

absl::StatusOr<tmpl::Value> Binding::Evaluate(const tmpl::Value& context) const {
  if (node_ == nullptr) return tmpl::Value();
  return EvaluateNode(*node_, context);
}

bool Binding::is_literal() const { return node_ == nullptr || node_->literal; }

const std::vector<Reference>& Binding::references() const { return references_; }

SourcePos Binding::pos() const { return node_ == nullptr ? SourcePos{} : node_->pos; }

}  // namespace catena::chains
