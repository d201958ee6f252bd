// output.json: reads the JSON value out of text (```json fences and prose around it tolerated) and validates it
// against `schema`. When that fails and `repair` is on, one model call (services().models, `model`) gets the
// text and the problem and is asked for the corrected JSON; a reply that is still bad is an error naming both
// problems. Without repair, schema-invalid JSON is returned with valid = false; unparseable text is an error.
#include "absl/strings/str_cat.h"
#include "chains/json_schema_check.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"

namespace catena::chains {
namespace {

using Json = nlohmann::ordered_json;

struct Settings {
  std::string text;
  std::optional<Json> schema;
  bool repair = true;
  std::string model;
};

absl::StatusOr<Settings> SettingsFrom(const tmpl::Value& params) {
  Settings settings;
  CATENA_ASSIGN_OR_RETURN(settings.text, nodes::GetString(params, "text"));
  CATENA_ASSIGN_OR_RETURN(tmpl::Value schema, nodes::GetMap(params, "schema"));
  if (schema.is_map()) {
    CATENA_ASSIGN_OR_RETURN(Json json, tmpl::ToOrderedJson(schema));
    settings.schema = std::move(json);
  }
  CATENA_ASSIGN_OR_RETURN(settings.repair, nodes::GetBool(params, "repair", true));
  CATENA_ASSIGN_OR_RETURN(settings.model, nodes::GetString(params, "model"));
  return settings;
}

// The parsed value, or the problem; `schema_problem` tells a valid-JSON-but-wrong-shape failure apart.
struct Checked {
  std::optional<Json> json;
  absl::Status problem;
  bool schema_problem = false;
};

Checked CheckText(const std::string& text, const std::optional<Json>& schema) {
  Checked checked;
  absl::StatusOr<Json> json = ExtractJson(text);
  if (!json.ok()) {
    checked.problem = json.status();
    return checked;
  }
  checked.json = *std::move(json);
  if (schema.has_value()) checked.problem = CheckJsonSchema(*schema, *checked.json);
  checked.schema_problem = !checked.problem.ok();
  return checked;
}

tmpl::Value Output(const Json& json, bool valid, bool repaired) {
  return nodes::MakeDict({{"json", tmpl::Value::FromJson(json)}, {"valid", valid}, {"repaired", repaired}});
}

ChatRequest RepairRequest(const Settings& settings, const absl::Status& problem, absl::Time deadline) {
  ChatRequest request;
  request.model = settings.model;
  request.deadline = deadline;
  request.max_tokens = 1024;
  std::string user = absl::StrCat("This text should be one JSON value", settings.schema ? " valid for the schema below" : "",
                                  ", but it is not: ", problem.message(), "\n\nText:\n", settings.text);
  if (settings.schema) {
    request.json_schema = settings.schema->dump();
    absl::StrAppend(&user, "\n\nSchema:\n", request.json_schema);
  }
  request.messages = {{.role = "system", .content = "You repair JSON. Reply with the corrected JSON value only."},
                      {.role = "user", .content = std::move(user)}};
  return request;
}

class OutputJsonNode final : public NodeImpl {
 public:
  void Start(NodeCall& call) const override {
    absl::StatusOr<Settings> settings = SettingsFrom(call.params());
    if (!settings.ok()) return call.Finish(settings.status());
    Checked first = CheckText(settings->text, settings->schema);
    if (first.problem.ok()) return call.Finish(Output(*first.json, true, false));
    if (!settings->repair && first.schema_problem) return call.Finish(Output(*first.json, false, false));
    if (!settings->repair || call.services().models == nullptr) {
      return call.Finish(absl::InvalidArgumentError(
          absl::StrCat("output.json: ", first.problem.message(),
                       settings->repair ? " (no model service to repair it)" : "")));
    }
    Repair(call, *std::move(settings), first.problem);
  }

 private:
  static void Repair(NodeCall& call, Settings settings, absl::Status problem) {
    auto slot = std::make_shared<nodes::CancelSlot>();
    call.OnCancel([slot] { slot->Cancel(); });
    ChatRequest request = RepairRequest(settings, problem, call.deadline());
    auto on_done = [&call, settings, problem](absl::StatusOr<ChatResult> result) {
      if (!result.ok()) {
        return call.Finish(absl::Status(result.status().code(),
                                        absl::StrCat("output.json: ", problem.message(),
                                                     "; the repair call failed: ", result.status().message())));
      }
      call.AddUsage(result->usage);
      Checked second = CheckText(result->text, settings.schema);
      if (second.problem.ok()) return call.Finish(Output(*second.json, true, true));
      call.Finish(absl::InvalidArgumentError(absl::StrCat("output.json: ", problem.message(),
                                                          "; the repaired reply is still bad: ",
                                                          second.problem.message())));
    };
    slot->Set(call.services().models->Chat(std::move(request), [](std::string_view) {}, std::move(on_done)));
  }
};

}  // namespace

std::unique_ptr<NodeType> NewOutputJsonNodeType() {
  NodeTypeInfo info{
      .name = "output.json",
      .summary = "Parses JSON out of text, validates it against a schema and repairs it once with a model.",
      .params = {{"text", FieldType::kString, true, false, "", "The text holding JSON (e.g. a model reply)."},
                 {"schema", FieldType::kMap, false, false, "", "JSON Schema the value must satisfy."},
                 {"repair", FieldType::kBool, false, false, "true",
                  "On failure, ask the model once to fix the JSON; off: schema-invalid JSON gives valid = false."},
                 {"model", FieldType::kString, false, false, "\"\"", "Model used for the repair; empty = default."}},
      .outputs = {{"json", FieldType::kAny, "The parsed value."},
                  {"valid", FieldType::kBool, "Whether it satisfies the schema."},
                  {"repaired", FieldType::kBool, "Whether the model's repair produced it."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec&, NodeCompileContext&) {
    return std::make_unique<OutputJsonNode>();
  });
}

}  // namespace catena::chains
