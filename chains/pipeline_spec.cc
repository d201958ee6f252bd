#include "chains/pipeline_spec.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "chains/node_spec_parser.h"
#include "chains/spec_messages.h"
#include "chains/spec_reader.h"

namespace catena::chains {
namespace {

using Kind = SpecValue::Kind;

const std::vector<std::string>& TopKeys() {
  static const auto* keys =
      new std::vector<std::string>{"apiVersion", "kind", "metadata", "inputs", "nodes", "outputs", "tests"};
  return *keys;
}
const std::vector<std::string>& BodyKeys() {
  static const auto* keys = new std::vector<std::string>{"inputs", "nodes", "outputs", "description"};
  return *keys;
}
bool IsWordChar(char c, std::string_view extra) {
  return std::isalnum(static_cast<unsigned char>(c)) || extra.find(c) != std::string_view::npos;
}

// First character a letter (or one of `first_extra`), then letters, digits or `extra`, at most `max` in all.
bool IsName(const std::string& name, std::string_view first_extra, std::string_view extra, size_t max,
            bool digit_first = false) {
  if (name.empty() || name.size() > max) return false;
  const unsigned char first = static_cast<unsigned char>(name[0]);
  if (!std::isalpha(first) && !(digit_first && std::isdigit(first)) &&
      first_extra.find(name[0]) == std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [&](char c) { return IsWordChar(c, extra); });
}

bool IsNodeId(const std::string& id) { return IsName(id, "_", "_", 64); }
bool IsPipelineName(const std::string& name) { return IsName(name, "", "_.-", 128, /*digit_first=*/true); }
bool IsFieldName(const std::string& name) { return IsName(name, "_", "_", 128); }

std::optional<FieldType> ParseFieldType(const std::string& name) {
  static const auto* types = new std::vector<std::pair<std::string, FieldType>>{
      {"string", FieldType::kString}, {"int", FieldType::kInt},   {"number", FieldType::kNumber},
      {"bool", FieldType::kBool},     {"list", FieldType::kList}, {"map", FieldType::kMap},
      {"any", FieldType::kAny}};
  for (const auto& [type_name, type] : *types) {
    if (type_name == name) return type;
  }
  return std::nullopt;
}

// Names people write for our types, mapped to ours (for suggestions).
std::string TypeSynonym(const std::string& name) {
  static const auto* synonyms = new std::vector<std::pair<std::string, std::string>>{
      {"integer", "int"}, {"float", "number"}, {"double", "number"}, {"boolean", "bool"}, {"str", "string"},
      {"text", "string"}, {"dict", "map"},     {"object", "map"},    {"mapping", "map"},  {"array", "list"}};
  for (const auto& [synonym, type] : *synonyms) {
    if (synonym == name) return type;
  }
  return ClosestName(name, {"string", "int", "number", "bool", "list", "map", "any"});
}

// Reads one pipeline (a file's top level or a nested body) into a PipelineSpec, reporting problems.
class SpecParser {
 public:
  SpecParser(ProblemList& problems, std::string owner) : problems_(problems), owner_(std::move(owner)) {}

  void ParseFile(const SpecValue& root, PipelineSpec& spec);
  void ParseBody(const SpecValue& body, PipelineSpec& spec);

 private:
  void Add(SourcePos pos, const std::string& node, std::string message) {
    problems_.Add(pos, node, std::move(message));
  }
  // The node name used in problems: "owner/id" inside bodies.
  std::string NodeName(const std::string& id) const { return owner_.empty() ? id : owner_ + "/" + id; }
  void CheckKeys(const SpecValue& map, const std::vector<std::string>& allowed, const std::string& node,
                 const std::string& prefix, const std::string& where);
  bool Expect(const SpecValue& value, Kind kind, const std::string& node, const std::string& what);
  void ParseHeader(const SpecValue& root, PipelineSpec& spec);
  void ParseMetadata(const SpecValue& metadata, PipelineSpec& spec);
  void ParseLabels(const SpecValue& labels);
  void ParseInputs(const SpecValue& inputs, PipelineSpec& spec);
  void ParseInput(const std::string& name, const SpecValue& value, InputSpec& input);
  void ParseInputField(const std::string& key, const SpecValue& field, InputSpec& input);
  void CheckDefault(InputSpec& input);
  void ParseNodes(const SpecValue& nodes, PipelineSpec& spec);
  void ParseOutputs(const SpecValue& outputs, PipelineSpec& spec);
  void ParsePipelineParts(const SpecValue& root, PipelineSpec& spec);

  ProblemList& problems_;
  std::string owner_;
};

void SpecParser::CheckKeys(const SpecValue& map, const std::vector<std::string>& allowed, const std::string& node,
                           const std::string& prefix, const std::string& where) {
  ReportUnknownKeys(map, allowed, node, prefix, where, problems_);
}

bool SpecParser::Expect(const SpecValue& value, Kind kind, const std::string& node, const std::string& what) {
  return ExpectKind(value, kind, node, what, problems_);
}

void SpecParser::ParseFile(const SpecValue& root, PipelineSpec& spec) {
  if (!root.is_map()) {
    Add(root.pos, "",
        absl::StrCat("a pipeline file must be a mapping with apiVersion, kind, metadata and nodes, not ",
                     Describe(root)));
    return;
  }
  CheckKeys(root, TopKeys(), "", "", "");
  ParseHeader(root, spec);
  if (const SpecValue* tests = root.Find("tests")) spec.tests = *tests;
  ParsePipelineParts(root, spec);
}

void SpecParser::ParseHeader(const SpecValue& root, PipelineSpec& spec) {
  const SpecValue* api_version = root.Find("apiVersion");
  if (api_version == nullptr) {
    Add(root.pos, "", "missing 'apiVersion' (add apiVersion: catena/v1)");
  } else if (!api_version->is_string() || api_version->string_value != "catena/v1") {
    Add(api_version->pos, "", absl::StrCat("apiVersion must be 'catena/v1', not ", Describe(*api_version)));
  } else {
    spec.api_version = api_version->string_value;
  }
  const SpecValue* kind = root.Find("kind");
  if (kind == nullptr) {
    Add(root.pos, "", "missing 'kind' (add kind: Pipeline)");
  } else if (!kind->is_string() || kind->string_value != "Pipeline") {
    Add(kind->pos, "", absl::StrCat("kind must be 'Pipeline', not ", Describe(*kind)));
  }
  const SpecValue* metadata = root.Find("metadata");
  if (metadata == nullptr) {
    Add(root.pos, "", "missing 'metadata' (add metadata: {name: my-pipeline})");
  } else {
    ParseMetadata(*metadata, spec);
  }
}

void SpecParser::ParseMetadata(const SpecValue& metadata, PipelineSpec& spec) {
  if (!Expect(metadata, Kind::kMap, "", "'metadata' must be a mapping with a name")) return;
  CheckKeys(metadata, {"name", "description", "labels"}, "", "", " in metadata");
  const SpecValue* name = metadata.Find("name");
  if (name == nullptr) {
    Add(metadata.pos, "", "missing 'name' in metadata");
  } else if (!name->is_string()) {
    Add(name->pos, "", absl::StrCat("pipeline name must be a string, not ", Describe(*name)));
  } else if (!IsPipelineName(name->string_value)) {
    Add(name->pos, "",
        absl::StrCat("bad pipeline name '", name->string_value,
                     "': use up to 128 letters, digits, '_', '.' and '-', starting with a letter "
                     "or digit"));
  } else {
    spec.name = name->string_value;
  }
  if (const SpecValue* description = metadata.Find("description")) {
    if (Expect(*description, Kind::kString, "", "'description' must be a string")) {
      spec.description = description->string_value;
    }
  }
  if (const SpecValue* labels = metadata.Find("labels")) ParseLabels(*labels);
}

void SpecParser::ParseLabels(const SpecValue& labels) {
  if (!Expect(labels, Kind::kMap, "", "'labels' must be a mapping of names to strings")) return;
  for (const auto& [key, value] : labels.fields) {
    if (value.is_list() || value.is_map() || value.kind == Kind::kNull) {
      Add(value.pos, "", absl::StrCat("label '", key, "' must be a string, not ", Describe(value)));
    }
  }
}

void SpecParser::ParsePipelineParts(const SpecValue& root, PipelineSpec& spec) {
  if (const SpecValue* inputs = root.Find("inputs")) ParseInputs(*inputs, spec);
  const SpecValue* nodes = root.Find("nodes");
  if (nodes == nullptr) {
    Add(root.pos, owner_,
        owner_.empty() ? "missing 'nodes'; a pipeline needs at least one node"
                       : "missing 'nodes' in body; a body needs at least one node");
  } else {
    ParseNodes(*nodes, spec);
  }
  if (const SpecValue* outputs = root.Find("outputs")) ParseOutputs(*outputs, spec);
}

void SpecParser::ParseBody(const SpecValue& body, PipelineSpec& spec) {
  if (!Expect(body, Kind::kMap, owner_, "'body' must be a mapping with nodes (and optional inputs, outputs)")) {
    return;
  }
  CheckKeys(body, BodyKeys(), owner_, "", " in body");
  ParsePipelineParts(body, spec);
}

void SpecParser::ParseInputs(const SpecValue& inputs, PipelineSpec& spec) {
  if (!Expect(inputs, Kind::kMap, owner_, "'inputs' must be a mapping from input name to type or spec")) return;
  for (const auto& [name, value] : inputs.fields) {
    if (!IsFieldName(name)) {
      Add(value.key_pos, owner_,
          absl::StrCat("bad input name '", name, "': use letters, digits and '_', starting with a letter or '_'"));
      continue;
    }
    InputSpec input;
    input.name = name;
    input.pos = value.key_pos;
    ParseInput(name, value, input);
    spec.inputs.push_back(std::move(input));
  }
}

void SpecParser::ParseInput(const std::string& name, const SpecValue& value, InputSpec& input) {
  const std::string prefix = absl::StrCat("input '", name, "': ");
  if (value.is_string()) {
    SpecValue type_spec;
    type_spec.kind = Kind::kMap;
    type_spec.fields.emplace_back("type", value);
    return ParseInput(name, type_spec, input);
  }
  if (value.kind == Kind::kNull) return;
  if (!value.is_map()) {
    Add(value.pos, owner_,
        absl::StrCat(prefix,
                     "expected a type such as 'string' or a mapping such as "
                     "{type: int, default: 5}, not ",
                     Describe(value)));
    return;
  }
  CheckKeys(value, {"type", "required", "default", "description"}, owner_, prefix, "");
  for (const auto& [key, field] : value.fields) ParseInputField(key, field, input);
  CheckDefault(input);
}

void SpecParser::ParseInputField(const std::string& key, const SpecValue& field, InputSpec& input) {
  const std::string prefix = absl::StrCat("input '", input.name, "': ");
  if (key == "type") {
    if (!Expect(field, Kind::kString, owner_, prefix + "'type' must be a type name")) return;
    if (std::optional<FieldType> type = ParseFieldType(field.string_value)) {
      input.type = *type;
      return;
    }
    const std::string closest = TypeSynonym(field.string_value);
    Add(field.pos, owner_,
        absl::StrCat(prefix, "unknown type '", field.string_value, "'",
                     closest.empty() ? "; use string, int, number, bool, list, map or any"
                                     : absl::StrCat(" (did you mean '", closest, "'?)")));
  } else if (key == "required") {
    if (Expect(field, Kind::kBool, owner_, prefix + "'required' must be a boolean")) input.required = field.bool_value;
  } else if (key == "default") {
    input.default_value = field;
  } else if (key == "description") {
    if (Expect(field, Kind::kString, owner_, prefix + "'description' must be a string")) {
      input.description = field.string_value;
    }
  }
}

void SpecParser::CheckDefault(InputSpec& input) {
  if (!input.default_value.has_value()) return;
  const SpecValue& value = *input.default_value;
  const std::string prefix = absl::StrCat("input '", input.name, "': ");
  if (input.required) {
    Add(value.pos, owner_, prefix + "a required input never uses its default; drop one of them");
  }
  if (value.kind != Kind::kNull && !HasType(value, input.type)) {
    Add(value.pos, owner_, absl::StrCat(prefix, "default must be ", TypeNoun(input.type), ", not ", Describe(value)));
  }
}

void SpecParser::ParseNodes(const SpecValue& nodes, PipelineSpec& spec) {
  if (!Expect(nodes, Kind::kMap, owner_, "'nodes' must be a mapping from node id to node")) return;
  if (nodes.fields.empty()) {
    Add(nodes.pos, owner_, "'nodes' is empty; a pipeline needs at least one node");
    return;
  }
  for (const auto& [id, value] : nodes.fields) {
    if (!IsNodeId(id)) {
      Add(value.key_pos, owner_,
          absl::StrCat("bad node id '", id, "': use up to 64 letters, digits and '_', starting with a letter or '_'"));
      continue;
    }
    spec.nodes.push_back(ParseNodeSpec(id, value, NodeName(id), problems_));
  }
}

void SpecParser::ParseOutputs(const SpecValue& outputs, PipelineSpec& spec) {
  if (!Expect(outputs, Kind::kMap, owner_, "'outputs' must be a mapping from output name to value")) return;
  for (const auto& [name, value] : outputs.fields) {
    if (!IsFieldName(name)) {
      Add(value.key_pos, owner_,
          absl::StrCat("bad output name '", name, "': use letters, digits and '_', starting with a letter or '_'"));
      continue;
    }
    spec.outputs.push_back(OutputSpec{name, value, value.key_pos});
  }
}

}  // namespace

const SpecValue* SpecValue::Find(std::string_view key) const {
  for (const auto& [name, value] : fields) {
    if (name == key) return &value;
  }
  return nullptr;
}

std::string_view SpecValue::KindName() const {
  switch (kind) {
    case Kind::kNull:
      return "null";
    case Kind::kBool:
      return "bool";
    case Kind::kInt:
      return "int";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kMap:
      return "mapping";
  }
  return "value";
}

tmpl::Value SpecToValue(const SpecValue& value) {
  switch (value.kind) {
    case SpecValue::Kind::kBool:
      return tmpl::Value(value.bool_value);
    case SpecValue::Kind::kInt:
      return tmpl::Value(value.int_value);
    case SpecValue::Kind::kFloat:
      return tmpl::Value(value.float_value);
    case SpecValue::Kind::kString:
      return tmpl::Value(value.string_value);
    case SpecValue::Kind::kList: {
      std::vector<tmpl::Value> items;
      items.reserve(value.items.size());
      for (const SpecValue& item : value.items) items.push_back(SpecToValue(item));
      return tmpl::Value::List(std::move(items));
    }
    case SpecValue::Kind::kMap: {
      tmpl::Value map = tmpl::Value::Dict();
      for (const auto& [key, field] : value.fields) map.map().Set(key, SpecToValue(field));
      return map;
    }
    case SpecValue::Kind::kNull:
      break;
  }
  return tmpl::Value::None();
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "string";
    case FieldType::kInt:
      return "int";
    case FieldType::kNumber:
      return "number";
    case FieldType::kBool:
      return "bool";
    case FieldType::kList:
      return "list";
    case FieldType::kMap:
      return "map";
    case FieldType::kAny:
      break;
  }
  return "any";
}

PipelineSpec ParsePipelineSpec(std::string_view text, ProblemList& problems) {
  PipelineSpec spec;
  spec.file = problems.file();
  std::optional<SpecValue> root = ReadSpecValue(text, problems);
  if (root.has_value()) SpecParser(problems, "").ParseFile(*root, spec);
  return spec;
}

PipelineSpec ParseNestedSpec(const SpecValue& body, std::string_view owner, ProblemList& problems) {
  PipelineSpec spec;
  spec.file = problems.file();
  spec.name = std::string(owner);
  SpecParser(problems, std::string(owner)).ParseBody(body, spec);
  return spec;
}

std::optional<absl::Duration> ParseDuration(const SpecValue& value) {
  if (value.kind == Kind::kInt) {
    if (value.int_value < 0) return std::nullopt;
    return absl::Seconds(value.int_value);
  }
  if (value.kind == Kind::kFloat) {
    if (!(value.float_value >= 0) || value.float_value > 1e9) return std::nullopt;
    return absl::Seconds(value.float_value);
  }
  if (!value.is_string()) return std::nullopt;
  const std::string& text = value.string_value;
  const size_t number_end = text.find_first_not_of("0123456789.");
  const std::string_view number = std::string_view(text).substr(0, number_end);
  std::string_view unit = number_end == std::string::npos ? "" : std::string_view(text).substr(number_end);
  if (unit.starts_with(" ")) unit.remove_prefix(1);
  double amount = 0;
  auto [ptr, error] = std::from_chars(number.data(), number.data() + number.size(), amount);
  if (number.empty() || error != std::errc() || ptr != number.data() + number.size() || amount > 1e9) {
    return std::nullopt;
  }
  if (unit != "" && unit != "ms" && unit != "s" && unit != "m" && unit != "h") return std::nullopt;
  if (unit == "ms") return absl::Milliseconds(amount);
  if (unit == "m") return absl::Minutes(amount);
  if (unit == "h") return absl::Hours(amount);
  return absl::Seconds(amount);
}

}  // namespace catena::chains
