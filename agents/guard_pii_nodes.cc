// guard.pii_redact and guard.pii_restore. Redaction replaces personal data in `text` and `items` with the run's
// placeholders (RunVaults); outputs and events carry placeholders and per-kind counts only. Restoration puts
// originals back only in what the caller receives (PipelineService's output filter) unless `inline: true`.
#include "absl/strings/str_cat.h"
#include "agents/guard_config.h"
#include "agents/guard_vaults.h"
#include "agents/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "guardrails/pii_detector.h"

namespace catena::agents {
namespace {

using chains::FieldType;
using chains::NodeCall;
namespace nodes = chains::nodes;

class RedactNode final : public chains::NodeImpl {
 public:
  explicit RedactNode(std::unique_ptr<guardrails::PiiDetector> detector) : detector_(std::move(detector)) {}

  void Start(NodeCall& call) const override { call.Finish(Redact(call)); }

 private:
  absl::StatusOr<tmpl::Value> Redact(NodeCall& call) const {
    CATENA_ASSIGN_OR_RETURN(std::string text, nodes::GetString(call.params(), "text"));
    CATENA_ASSIGN_OR_RETURN(std::vector<tmpl::Value> items, guard::Items(call.params(), "items"));
    std::shared_ptr<guardrails::PiiVault> vault = RunVaults::Global().ForRun(call.tenant(), call.run_id());
    std::map<std::string, int> counts;
    auto redact = [&](const std::string& in) {
      guardrails::Redaction r = vault->Redact(*detector_, in);
      for (const auto& [label, n] : r.counts) counts[label] += n;
      return std::move(r.text);
    };
    std::string redacted = redact(text);
    std::vector<tmpl::Value> out_items;
    for (const tmpl::Value& item : items) {
      const std::string* item_text = guard::ItemText(item);
      out_items.push_back(item_text == nullptr ? item : guard::WithItemText(item, redact(*item_text)));
    }
    tmpl::Value count_map = tmpl::Value::Dict();
    int64_t total = 0;
    for (const auto& [label, n] : counts) {
      count_map.map().Set(label, static_cast<int64_t>(n));
      total += n;
    }
    return nodes::MakeDict({{"text", std::move(redacted)}, {"redacted", tmpl::Value::List(std::move(out_items))},
                            {"counts", std::move(count_map)}, {"total", total}});
  }

  std::unique_ptr<guardrails::PiiDetector> detector_;
};

// Builds the detector from the literal parameters; nullptr after reporting problems.
std::unique_ptr<guardrails::PiiDetector> DetectorFor(const chains::NodeSpec& spec,
                                                     chains::NodeCompileContext& context) {
  auto kinds = guard::LiteralStrings(spec, context, "kinds");
  auto patterns = guard::LiteralStringMap(spec, context, "patterns");
  auto dictionary = guard::LiteralStrings(spec, context, "dictionary");
  auto label = guard::LiteralString(spec, context, "dictionary_label", "TERM");
  if (!kinds || !patterns || !dictionary || !label) return nullptr;
  guardrails::PiiOptions options;
  if (nodes::FindField(spec.with, "kinds") != nullptr) {
    options.email = options.phone = options.iban = options.card = false;
    for (const std::string& kind : *kinds) {
      bool* flag = kind == "email" ? &options.email : kind == "phone" ? &options.phone
                 : kind == "iban" ? &options.iban : kind == "card" ? &options.card : nullptr;
      if (flag == nullptr) {
        guard::ReportAt(spec, context, "kinds", absl::StrCat("unknown PII kind '", kind,
                                                             "' (known: email, phone, iban, card)"));
        return nullptr;
      }
      *flag = true;
    }
  }
  for (auto& [name, regex] : *patterns) options.patterns.push_back({name, regex});
  options.dictionary = *std::move(dictionary);
  options.dictionary_label = *std::move(label);
  absl::StatusOr<std::unique_ptr<guardrails::PiiDetector>> detector = guardrails::PiiDetector::Create(options);
  if (!detector.ok()) {
    const std::string message(detector.status().message());
    guard::ReportAt(spec, context, message.rfind("patterns", 0) == 0 ? "patterns" : "dictionary", message);
    return nullptr;
  }
  return *std::move(detector);
}

class RestoreNode final : public chains::NodeImpl {
 public:
  RestoreNode(std::set<std::string> keep, bool in_place) : keep_(std::move(keep)), inline_(in_place) {}

  void Start(NodeCall& call) const override {
    absl::StatusOr<std::string> text = nodes::GetString(call.params(), "text");
    if (!text.ok()) return call.Finish(text.status());
    std::string out = *text;
    if (inline_) {
      if (auto vault = RunVaults::Global().Find(call.tenant(), call.run_id()); vault != nullptr) {
        out = vault->Restore(*text, keep_);
      }
    } else {
      RunVaults::Global().RequestRestore(call.tenant(), call.run_id(), keep_);
    }
    call.Finish(nodes::MakeDict({{"text", std::move(out)}}));
  }

 private:
  const std::set<std::string> keep_;
  const bool inline_;
};

}  // namespace

std::unique_ptr<chains::NodeType> NewGuardPiiRedactNodeType() {
  chains::NodeTypeInfo info{
      .name = "guard.pii_redact",
      .summary = "Replaces personal data (e-mail, phone, IBAN, card, patterns, dictionary terms) with stable "
                 "per-run placeholders such as [EMAIL_1] and [CARD_1 ****1111].",
      .params = {{"text", FieldType::kString, false, false, "\"\"", "Text to redact."},
                 {"items", FieldType::kAny, false, false, "[]", "Strings, or dicts whose text/content field is "
                  "redacted (retrieved documents, messages, tool results)."},
                 {"kinds", FieldType::kList, false, false, "all", "Built-in kinds to find: email, phone, iban, "
                  "card (literal)."},
                 {"patterns", FieldType::kMap, false, false, "{}", "Extra kinds {LABEL: RE2 regex} (literal)."},
                 {"dictionary", FieldType::kList, false, false, "[]", "Terms redacted as whole words, ignoring "
                  "case (literal)."},
                 {"dictionary_label", FieldType::kString, false, false, "TERM", "Placeholder label of "
                  "dictionary terms."}},
      .outputs = {{"text", FieldType::kString, "The redacted text."},
                  {"redacted", FieldType::kList, "The items with their text redacted, other fields as given."},
                  {"counts", FieldType::kMap, "Findings per kind, e.g. {EMAIL: 2, CARD: 1} (never the values)."},
                  {"total", FieldType::kInt, "All findings."}}};
  return std::make_unique<nodes::SimpleNodeType>(
      std::move(info), [](const chains::NodeSpec& spec,
                          chains::NodeCompileContext& context) -> std::unique_ptr<chains::NodeImpl> {
        std::unique_ptr<guardrails::PiiDetector> detector = DetectorFor(spec, context);
        if (detector == nullptr) return nullptr;
        return std::make_unique<RedactNode>(std::move(detector));
      });
}

std::unique_ptr<chains::NodeType> NewGuardPiiRestoreNodeType() {
  chains::NodeTypeInfo info{
      .name = "guard.pii_restore",
      .summary = "Marks the run's answer for restoration: the caller receives the originals behind the "
                 "placeholders, traces keep the placeholders.",
      .params = {{"text", FieldType::kString, true, false, "", "The answer holding placeholders."},
                 {"keep", FieldType::kList, false, false, "[CARD]", "Labels that stay masked (literal)."},
                 {"inline", FieldType::kBool, false, false, "false", "Restore in this node's output too (the "
                  "originals then reach the trace)."}},
      .outputs = {{"text", FieldType::kString, "The text (restored only with inline: true)."}}};
  return std::make_unique<nodes::SimpleNodeType>(
      std::move(info), [](const chains::NodeSpec& spec,
                          chains::NodeCompileContext& context) -> std::unique_ptr<chains::NodeImpl> {
        auto keep = guard::LiteralStrings(spec, context, "keep");
        auto in_place = guard::LiteralBool(spec, context, "inline", false);
        if (!keep || !in_place) return nullptr;
        if (nodes::FindField(spec.with, "keep") == nullptr) keep->push_back("CARD");
        return std::make_unique<RestoreNode>(std::set<std::string>(keep->begin(), keep->end()), *in_place);
      });
}

}  // namespace catena::agents
