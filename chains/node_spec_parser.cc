#include "chains/node_spec_parser.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chains/spec_messages.h"

namespace catena::chains {
namespace {

using Kind = SpecValue::Kind;

const std::vector<std::string>& NodeKeys() {
  static const auto* keys = new std::vector<std::string>{"type",    "with",  "needs",    "when",  "join",
                                                         "timeout", "retry", "fallback", "cache", "description"};
  return *keys;
}

bool HasTemplateSyntax(const std::string& text) {
  return text.find("{{") != std::string::npos || text.find("{%") != std::string::npos;
}

// Reads one node; `name_` is the node as problems name it ("owner/id" inside bodies).
class NodeSpecParser {
 public:
  NodeSpecParser(ProblemList& problems, std::string name) : problems_(problems), name_(std::move(name)) {}

  void ParseNode(const std::string& id, const SpecValue& value, NodeSpec& node);

 private:
  void Add(SourcePos pos, const std::string& node, std::string message) {
    problems_.Add(pos, node, std::move(message));
  }
  void CheckKeys(const SpecValue& map, const std::vector<std::string>& allowed, const std::string& node,
                 const std::string& prefix, const std::string& where) {
    ReportUnknownKeys(map, allowed, node, prefix, where, problems_);
  }
  bool Expect(const SpecValue& value, Kind kind, const std::string& node, const std::string& what) {
    return ExpectKind(value, kind, node, what, problems_);
  }
  void ParseNodeField(const std::string& key, const SpecValue& field, const std::string& name, NodeSpec& node);
  void ParseNeeds(const SpecValue& field, const std::string& name, NodeSpec& node);
  void ParseWhen(const SpecValue& field, const std::string& name, NodeSpec& node);
  void ParseJoin(const SpecValue& field, const std::string& name, NodeSpec& node);
  void ParseRetry(const SpecValue& field, const std::string& name, NodePolicy& policy);
  void ParseCache(const SpecValue& field, const std::string& name, NodePolicy& policy);
  std::optional<absl::Duration> Duration(const SpecValue& field, const std::string& name, const std::string& what,
                                         bool allow_zero);

  ProblemList& problems_;
  std::string name_;
};

void NodeSpecParser::ParseNode(const std::string& id, const SpecValue& value, NodeSpec& node) {
  node.id = id;
  node.pos = value.key_pos;
  node.type_pos = value.key_pos;
  node.with.kind = Kind::kMap;
  node.with.pos = value.key_pos;
  const std::string& name = name_;
  if (!value.is_map()) {
    Add(value.pos, name, absl::StrCat("must be a mapping with at least 'type', not ", Describe(value)));
    return;
  }
  CheckKeys(value, NodeKeys(), name, "", "");
  if (value.Find("type") == nullptr) Add(node.pos, name, "missing 'type'");
  for (const auto& [key, field] : value.fields) ParseNodeField(key, field, name, node);
}

void NodeSpecParser::ParseNodeField(const std::string& key, const SpecValue& field, const std::string& name,
                                    NodeSpec& node) {
  if (key == "type") {
    if (Expect(field, Kind::kString, name, "'type' must be a node type name")) node.type = field.string_value;
    node.type_pos = field.pos;
  } else if (key == "with") {
    if (field.kind == Kind::kNull) return;
    if (Expect(field, Kind::kMap, name, "'with' must be a mapping of parameters")) node.with = field;
  } else if (key == "needs") {
    ParseNeeds(field, name, node);
  } else if (key == "when") {
    ParseWhen(field, name, node);
  } else if (key == "join") {
    ParseJoin(field, name, node);
  } else if (key == "timeout") {
    node.policy.timeout = Duration(field, name, "timeout", /*allow_zero=*/false);
  } else if (key == "retry") {
    ParseRetry(field, name, node.policy);
  } else if (key == "fallback") {
    if (Expect(field, Kind::kString, name, "'fallback' must be a node id")) node.policy.fallback = field.string_value;
    node.fallback_pos = field.pos;
  } else if (key == "cache") {
    ParseCache(field, name, node.policy);
  } else if (key == "description") {
    if (Expect(field, Kind::kString, name, "'description' must be a string")) node.description = field.string_value;
  }
}

void NodeSpecParser::ParseNeeds(const SpecValue& field, const std::string& name, NodeSpec& node) {
  if (field.is_string()) {
    node.needs.push_back(field.string_value);
    node.needs_pos.push_back(field.pos);
    return;
  }
  if (!Expect(field, Kind::kList, name, "'needs' must be a node id or a list of node ids")) return;
  for (const SpecValue& item : field.items) {
    if (!Expect(item, Kind::kString, name, "'needs' items must be node ids")) continue;
    node.needs.push_back(item.string_value);
    node.needs_pos.push_back(item.pos);
  }
}

void NodeSpecParser::ParseWhen(const SpecValue& field, const std::string& name, NodeSpec& node) {
  if (field.kind == Kind::kBool || (field.is_string() && HasTemplateSyntax(field.string_value))) {
    node.when = field;
    return;
  }
  Add(field.pos, name,
      absl::StrCat("'when' must be a template such as \"{{ inputs.k > 0 }}\" or a boolean, not ", Describe(field)));
}

void NodeSpecParser::ParseJoin(const SpecValue& field, const std::string& name, NodeSpec& node) {
  if (field.is_string() && (field.string_value == "all" || field.string_value == "any")) {
    node.policy.join_any = field.string_value == "any";
    return;
  }
  Add(field.pos, name, absl::StrCat("'join' must be 'all' or 'any', not ", Describe(field)));
}

std::optional<absl::Duration> NodeSpecParser::Duration(const SpecValue& field, const std::string& name,
                                                       const std::string& what, bool allow_zero) {
  std::optional<absl::Duration> duration = ParseDuration(field);
  if (!duration.has_value()) {
    Add(field.pos, name,
        absl::StrCat("bad duration for '", what, "': ", Describe(field),
                     "; write 250ms, 5s, 2m, 1h or a number of seconds"));
  } else if (!allow_zero && *duration == absl::ZeroDuration()) {
    Add(field.pos, name, absl::StrCat("'", what, "' must be longer than zero"));
    return std::nullopt;
  }
  return duration;
}

void NodeSpecParser::ParseRetry(const SpecValue& field, const std::string& name, NodePolicy& policy) {
  if (!Expect(field, Kind::kMap, name, "'retry' must be a mapping such as {attempts: 3, backoff: 100ms}")) return;
  CheckKeys(field, {"attempts", "backoff"}, name, "", " in retry");
  if (const SpecValue* attempts = field.Find("attempts")) {
    if (attempts->kind != Kind::kInt || attempts->int_value < 1 || attempts->int_value > 100) {
      Add(attempts->pos, name,
          absl::StrCat("retry attempts must be an int from 1 to 100 (the first try included), not ",
                       Describe(*attempts)));
    } else {
      policy.retries = static_cast<int>(attempts->int_value - 1);
    }
  } else {
    Add(field.pos, name, "missing 'attempts' in retry");
  }
  if (const SpecValue* backoff = field.Find("backoff")) {
    if (auto duration = Duration(*backoff, name, "backoff", /*allow_zero=*/true)) policy.retry_backoff = *duration;
  }
}

void NodeSpecParser::ParseCache(const SpecValue& field, const std::string& name, NodePolicy& policy) {
  if (!Expect(field, Kind::kMap, name, "'cache' must be a mapping such as {ttl: 60s}")) return;
  CheckKeys(field, {"ttl"}, name, "", " in cache");
  const SpecValue* ttl = field.Find("ttl");
  if (ttl == nullptr) {
    Add(field.pos, name, "missing 'ttl' in cache");
    return;
  }
  policy.cache_ttl = Duration(*ttl, name, "ttl", /*allow_zero=*/false);
}

}  // namespace

NodeSpec ParseNodeSpec(const std::string& id, const SpecValue& value, const std::string& problem_node,
                       ProblemList& problems) {
  NodeSpec node;
  NodeSpecParser(problems, problem_node).ParseNode(id, value, node);
  return node;
}

}  // namespace catena::chains
