// guard.grounding: "no citation, no answer". Every sentence of the answer with enough content words must be
// supported by the passages (guardrails/grounding.h); otherwise the answer is replaced by a refusal, handed to a
// human (the run interrupts; resumed approved keeps the answer, rejected refuses), or only flagged.
#include "absl/strings/str_cat.h"
#include "agents/guard_config.h"
#include "agents/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "guardrails/grounding.h"

namespace catena::agents {
namespace {

using chains::FieldType;
using chains::NodeCall;
namespace nodes = chains::nodes;

tmpl::Value SentencesValue(const guardrails::GroundingReport& report, std::vector<tmpl::Value>& unsupported) {
  std::vector<tmpl::Value> sentences;
  for (const guardrails::SentenceSupport& s : report.sentences) {
    std::vector<tmpl::Value> cited;
    for (int n : s.cited) cited.emplace_back(static_cast<int64_t>(n));
    sentences.push_back(nodes::MakeDict({{"sentence", s.sentence}, {"supported", s.supported},
                                         {"checked", s.checked}, {"overlap", s.overlap},
                                         {"cited", tmpl::Value::List(std::move(cited))}, {"problem", s.problem}}));
    if (!s.supported) unsupported.emplace_back(s.sentence);
  }
  return tmpl::Value::List(std::move(sentences));
}

class GroundingNode final : public chains::NodeImpl {
 public:
  GroundingNode(guardrails::GroundingOptions options, std::string action, std::string refusal)
      : options_(options), action_(std::move(action)), refusal_(std::move(refusal)) {}

  void Start(NodeCall& call) const override {
    absl::StatusOr<std::string> answer = nodes::GetString(call.params(), "answer");
    absl::StatusOr<std::vector<tmpl::Value>> items = guard::Items(call.params(), "passages");
    if (!answer.ok() || !items.ok()) return call.Finish(!answer.ok() ? answer.status() : items.status());
    std::vector<std::string> passages;
    for (const tmpl::Value& item : *items) {
      const std::string* text = guard::ItemText(item);
      passages.push_back(text != nullptr ? *text : std::string());
    }
    const guardrails::GroundingReport report = guardrails::CheckGrounding(*answer, passages, options_);
    std::vector<tmpl::Value> unsupported;
    tmpl::Value sentences = SentencesValue(report, unsupported);
    bool approved = report.grounded;
    if (!report.grounded && action_ == "handoff") {
      const tmpl::Value* resume = call.resume_data();
      if (resume == nullptr || resume->is_none() || resume->is_undefined()) {
        return call.Interrupt("answer not supported by the retrieved passages",
                              nodes::MakeDict({{"answer", *answer},
                                               {"unsupported", tmpl::Value::List(unsupported)}}));
      }
      absl::StatusOr<bool> decision = resume->is_map() ? nodes::GetBool(*resume, "approved", false) : false;
      if (!decision.ok()) return call.Finish(decision.status());
      approved = *decision;
    }
    const bool refuse = !approved && action_ != "flag";
    call.Finish(nodes::MakeDict({{"grounded", report.grounded}, {"approved", approved},
                                 {"answer", refuse ? refusal_ : *answer},
                                 {"unsupported", tmpl::Value::List(std::move(unsupported))},
                                 {"sentences", std::move(sentences)}}));
  }

 private:
  const guardrails::GroundingOptions options_;
  const std::string action_;
  const std::string refusal_;
};

std::unique_ptr<chains::NodeImpl> CompileGrounding(const chains::NodeSpec& spec, chains::NodeCompileContext& context) {
  auto overlap = guard::LiteralNumber(spec, context, "min_overlap", 0.6, 0, 1);
  auto citations = guard::LiteralBool(spec, context, "require_citations", true);
  auto words = guard::LiteralNumber(spec, context, "min_content_words", 2, 1, 100);
  auto action = guard::LiteralString(spec, context, "action", "refuse");
  auto refusal = guard::LiteralString(spec, context, "refusal",
                                      "I can't answer that from the available sources.");
  if (!overlap || !citations || !words || !action || !refusal) return nullptr;
  if (*action != "refuse" && *action != "handoff" && *action != "flag") {
    guard::ReportAt(spec, context, "action", "parameter 'action' must be one of refuse, handoff, flag");
    return nullptr;
  }
  guardrails::GroundingOptions options{.min_overlap = *overlap, .require_citations = *citations,
                                       .min_content_words = static_cast<int>(*words)};
  return std::make_unique<GroundingNode>(options, *action, *refusal);
}

}  // namespace

std::unique_ptr<chains::NodeType> NewGuardGroundingNodeType() {
  chains::NodeTypeInfo info{
      .name = "guard.grounding",
      .summary = "No citation, no answer: every answer sentence must be supported by the passages it cites "
                 "(content-word overlap); else refuse, hand off to a human, or flag.",
      .params = {{"answer", FieldType::kString, true, false, "", "The answer; [n] markers cite passages[n-1]."},
                 {"passages", FieldType::kAny, true, false, "", "Strings or documents with text (e.g. "
                  "nodes.search.documents)."},
                 {"min_overlap", FieldType::kNumber, false, false, "0.6", "Share of a sentence's content words "
                  "its passages must contain (literal)."},
                 {"require_citations", FieldType::kBool, false, false, "true", "Sentences without [n] markers "
                  "are unsupported (literal)."},
                 {"min_content_words", FieldType::kInt, false, false, "2", "Sentences with fewer content words "
                  "are not checked (literal)."},
                 {"action", FieldType::kString, false, false, "refuse", "refuse, handoff (interrupt for a "
                  "person) or flag (literal)."},
                 {"refusal", FieldType::kString, false, false, "", "The answer given instead of an unsupported "
                  "one."}},
      .outputs = {{"grounded", FieldType::kBool, "Every checked sentence is supported."},
                  {"approved", FieldType::kBool, "Grounded, or approved by a person after a handoff."},
                  {"answer", FieldType::kString, "The answer, or the refusal."},
                  {"unsupported", FieldType::kList, "The unsupported sentences."},
                  {"sentences", FieldType::kList, "[{sentence, supported, checked, overlap, cited, problem}]."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileGrounding);
}

}  // namespace catena::agents
