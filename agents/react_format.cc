// ReAct prompt and parser (react_format.h). The parser reads labelled sections at line starts, case-insensitive
// ("Thought:", "Action:", "Action Input:", "Final Answer:"); a section runs until the next label.
#include "agents/react_format.h"

#include <cctype>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chains/json_schema_check.h"

namespace catena::agents {
namespace {

enum class Label { kNone, kThought, kAction, kActionInput, kFinalAnswer, kObservation };

struct LabelName {
  Label label;
  std::string_view text;
};
// Longer labels first: "Action Input:" before "Action:".
constexpr LabelName kLabels[] = {{Label::kActionInput, "action input:"},
                                 {Label::kFinalAnswer, "final answer:"},
                                 {Label::kThought, "thought:"},
                                 {Label::kAction, "action:"},
                                 {Label::kObservation, "observation:"}};

// The label a line starts with (after spaces), and where its content begins.
Label LabelOf(std::string_view line, size_t& content) {
  size_t start = 0;
  while (start < line.size() && (line[start] == ' ' || line[start] == '\t')) ++start;
  const std::string lower = absl::AsciiStrToLower(std::string(line.substr(start, 16)));
  for (const LabelName& name : kLabels) {
    if (lower.rfind(name.text, 0) == 0) {
      content = start + name.text.size();
      return name.label;
    }
  }
  return Label::kNone;
}

struct Sections {
  std::string thought, action, action_input, final_answer;
  bool has_action = false, has_input = false, has_final = false;
};

Sections Split(std::string_view text) {
  Sections sections;
  std::string* current = nullptr;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t content = 0;
    const Label label = LabelOf(line, content);
    if (label == Label::kObservation) break;  // the model wrote an observation itself: ignore the rest
    if (label != Label::kNone) {
      current = label == Label::kThought       ? &sections.thought
                : label == Label::kAction      ? &sections.action
                : label == Label::kActionInput ? &sections.action_input
                                               : &sections.final_answer;
      sections.has_action |= label == Label::kAction;
      sections.has_input |= label == Label::kActionInput;
      sections.has_final |= label == Label::kFinalAnswer;
      current->clear();
      line = line.substr(content);
    } else if (current == nullptr) {
      current = &sections.thought;  // text before any label is thinking
    }
    if (!current->empty()) current->push_back('\n');
    current->append(line);
    pos = end + 1;
  }
  for (std::string* field : {&sections.thought, &sections.action, &sections.action_input, &sections.final_answer}) {
    *field = std::string(absl::StripAsciiWhitespace(*field));
  }
  return sections;
}

std::string ToolNames(const std::vector<chains::ToolDefinition>& tools) {
  std::vector<std::string> names;
  for (const chains::ToolDefinition& tool : tools) names.push_back(tool.name);
  return names.empty() ? "none" : absl::StrJoin(names, ", ");
}

}  // namespace

std::string ReactInstructions(const std::vector<chains::ToolDefinition>& tools) {
  std::string out = "You can use these tools:\n";
  for (const chains::ToolDefinition& tool : tools) {
    absl::StrAppend(&out, "- ", tool.name, ": ", tool.description, "\n  Arguments (JSON Schema): ",
                    tool.parameters_json_schema, "\n");
  }
  absl::StrAppend(&out,
                  "\nTo use a tool, reply exactly:\nThought: <why you act>\nAction: <one tool name>\n"
                  "Action Input: <the arguments as one JSON object>\n"
                  "Then wait: the result comes back as \"Observation: ...\".\n"
                  "When you can answer, reply:\nThought: <your reasoning>\nFinal Answer: <the answer>");
  return out;
}

std::vector<std::string> ReactStopStrings() { return {"\nObservation:"}; }

absl::StatusOr<ReactReply> ParseReactReply(std::string_view text, const std::vector<chains::ToolDefinition>& tools) {
  const Sections sections = Split(text);
  ReactReply reply;
  reply.thought = sections.thought;
  if (sections.has_final && !sections.has_action) {
    reply.is_final = true;
    reply.final_answer = sections.final_answer;
    return reply;
  }
  if (!sections.has_action) {
    return absl::InvalidArgumentError("your reply has no 'Action:' line and no 'Final Answer:' line");
  }
  if (sections.has_final) {
    return absl::InvalidArgumentError("your reply has both 'Action:' and 'Final Answer:'; give only one of them");
  }
  bool known = false;
  for (const chains::ToolDefinition& tool : tools) known = known || tool.name == sections.action;
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown tool '", sections.action, "' in 'Action:' (available: ", ToolNames(tools), ")"));
  }
  if (!sections.has_input) {
    return absl::InvalidArgumentError(
        absl::StrCat("'Action: ", sections.action, "' has no 'Action Input:' line with its JSON arguments"));
  }
  absl::StatusOr<nlohmann::ordered_json> input =
      sections.action_input.empty() ? nlohmann::ordered_json::object() : chains::ExtractJson(sections.action_input);
  if (!input.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("'Action Input' is not valid JSON: ", input.status().message()));
  }
  if (!input->is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("'Action Input' must be a JSON object, got ", input->type_name()));
  }
  reply.action = sections.action;
  reply.action_input_json = input->dump();
  return reply;
}

std::string ReactObservation(std::string_view result, bool is_error) {
  return absl::StrCat("Observation: ", is_error ? "error: " : "", std::string(result));
}

std::string ReactFormatError(const absl::Status& error) {
  return absl::StrCat("Observation: invalid reply format: ", error.message(),
                      ". Reply with 'Thought:', then either 'Action:' and 'Action Input:' or 'Final Answer:'.");
}

}  // namespace catena::agents
