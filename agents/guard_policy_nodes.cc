// guard.injection (screens retrieved chunks and tool outputs: drop, quote as data, or flag) and guard.topic
// (deny lists, allow lists and link domains on inputs and outputs: block, flag or fail).
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/guard_config.h"
#include "agents/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "guardrails/injection.h"
#include "guardrails/topic_policy.h"

namespace catena::agents {
namespace {

using chains::FieldType;
using chains::NodeCall;
namespace nodes = chains::nodes;

enum class InjectionAction { kDrop, kQuote, kFlag };

class InjectionNode final : public chains::NodeImpl {
 public:
  InjectionNode(std::unique_ptr<guardrails::InjectionScreen> screen, InjectionAction action)
      : screen_(std::move(screen)), action_(action) {}

  void Start(NodeCall& call) const override { call.Finish(Screen(call)); }

 private:
  absl::StatusOr<tmpl::Value> Screen(NodeCall& call) const {
    CATENA_ASSIGN_OR_RETURN(std::vector<tmpl::Value> items, guard::Items(call.params(), "items"));
    CATENA_ASSIGN_OR_RETURN(std::string text, nodes::GetString(call.params(), "text"));
    std::vector<tmpl::Value> kept;
    std::vector<tmpl::Value> flagged;
    int64_t dropped = 0;
    for (size_t i = 0; i < items.size(); ++i) {
      const std::string* item_text = guard::ItemText(items[i]);
      std::vector<guardrails::InjectionFinding> findings;
      if (item_text != nullptr) findings = screen_->Screen(*item_text);
      if (findings.empty()) { kept.push_back(items[i]); continue; }
      flagged.push_back(Flag(static_cast<int64_t>(i), findings));
      if (action_ == InjectionAction::kDrop) { ++dropped; continue; }
      kept.push_back(action_ == InjectionAction::kQuote ? guard::WithItemText(items[i], guardrails::QuoteAsData(*item_text))
                                                        : items[i]);
    }
    std::vector<guardrails::InjectionFinding> text_findings = screen_->Screen(text);
    if (!text_findings.empty()) {
      flagged.push_back(Flag(-1, text_findings));
      if (action_ == InjectionAction::kDrop) text.clear();
      if (action_ == InjectionAction::kQuote) text = guardrails::QuoteAsData(text);
    }
    const bool clean = flagged.empty();
    return nodes::MakeDict({{"kept", tmpl::Value::List(std::move(kept))}, {"text", std::move(text)},
                            {"flagged", tmpl::Value::List(std::move(flagged))}, {"dropped", dropped},
                            {"clean", clean}});
  }

  static tmpl::Value Flag(int64_t index, const std::vector<guardrails::InjectionFinding>& findings) {
    std::vector<tmpl::Value> rules;
    for (const auto& f : findings) rules.emplace_back(f.rule);
    return nodes::MakeDict({{"index", index}, {"rules", tmpl::Value::List(std::move(rules))}});
  }

  std::unique_ptr<guardrails::InjectionScreen> screen_;
  const InjectionAction action_;
};

std::unique_ptr<chains::NodeImpl> CompileInjection(const chains::NodeSpec& spec, chains::NodeCompileContext& context) {
  auto patterns = guard::LiteralStrings(spec, context, "patterns");
  auto action = guard::LiteralString(spec, context, "action", "quote");
  if (!patterns || !action) return nullptr;
  if (*action != "drop" && *action != "quote" && *action != "flag") {
    guard::ReportAt(spec, context, "action", "parameter 'action' must be one of drop, quote, flag");
    return nullptr;
  }
  auto screen = guardrails::InjectionScreen::Create({*patterns});
  if (!screen.ok()) {
    guard::ReportAt(spec, context, "patterns", std::string(screen.status().message()));
    return nullptr;
  }
  const InjectionAction a = *action == "drop" ? InjectionAction::kDrop
                            : *action == "flag" ? InjectionAction::kFlag : InjectionAction::kQuote;
  return std::make_unique<InjectionNode>(*std::move(screen), a);
}

class TopicNode final : public chains::NodeImpl {
 public:
  TopicNode(std::unique_ptr<guardrails::TopicPolicy> policy, std::string action, std::string message)
      : policy_(std::move(policy)), action_(std::move(action)), message_(std::move(message)) {}

  void Start(NodeCall& call) const override {
    absl::StatusOr<std::string> text = nodes::RequireString(call.params(), "text");
    if (!text.ok()) return call.Finish(text.status());
    const guardrails::TopicVerdict verdict = policy_->Check(*text);
    if (!verdict.allowed && action_ == "fail") {
      return call.Finish(absl::PermissionDeniedError(absl::StrCat("topic policy: ", verdict.reason,
                                                                  verdict.matched.empty() ? "" : " '",
                                                                  verdict.matched, verdict.matched.empty() ? "" : "'")));
    }
    const bool blocked = !verdict.allowed && action_ == "block";
    call.Finish(nodes::MakeDict({{"allowed", verdict.allowed}, {"text", blocked ? message_ : *text},
                                 {"reason", verdict.reason}, {"matched", verdict.matched}}));
  }

 private:
  std::unique_ptr<guardrails::TopicPolicy> policy_;
  const std::string action_;
  const std::string message_;
};

std::unique_ptr<chains::NodeImpl> CompileTopic(const chains::NodeSpec& spec, chains::NodeCompileContext& context) {
  auto deny = guard::LiteralStrings(spec, context, "deny");
  auto allow = guard::LiteralStrings(spec, context, "allow");
  auto domains = guard::LiteralStrings(spec, context, "allowed_domains");
  auto action = guard::LiteralString(spec, context, "action", "block");
  auto message = guard::LiteralString(spec, context, "message", "I can only help with questions about our services.");
  if (!deny || !allow || !domains || !action || !message) return nullptr;
  if (*action != "block" && *action != "flag" && *action != "fail") {
    guard::ReportAt(spec, context, "action", "parameter 'action' must be one of block, flag, fail");
    return nullptr;
  }
  if (deny->empty() && allow->empty() && domains->empty()) {
    context.Error(spec.type_pos, "guard.topic needs at least one of deny, allow, allowed_domains");
    return nullptr;
  }
  auto policy = guardrails::TopicPolicy::Create({*deny, *allow, *domains});
  if (!policy.ok()) {
    const std::string text(policy.status().message());
    guard::ReportAt(spec, context, text.substr(0, text.find('[')), text);
    return nullptr;
  }
  return std::make_unique<TopicNode>(*std::move(policy), *action, *message);
}

}  // namespace

std::unique_ptr<chains::NodeType> NewGuardInjectionNodeType() {
  chains::NodeTypeInfo info{
      .name = "guard.injection",
      .summary = "Screens retrieved chunks and tool outputs for instructions aimed at the model (role markers, "
                 "override phrasings, hidden text); drops them, quotes them as data, or flags them.",
      .params = {{"items", FieldType::kAny, false, false, "[]", "Strings, or dicts with a text/content field "
                  "(retrieved documents, tool results)."},
                 {"text", FieldType::kString, false, false, "\"\"", "One text to screen."},
                 {"action", FieldType::kString, false, false, "quote", "drop, quote (as inert data) or flag "
                  "(literal)."},
                 {"patterns", FieldType::kList, false, false, "[]", "Extra RE2 patterns, case-insensitive "
                  "(literal)."}},
      .outputs = {{"kept", FieldType::kList, "The items kept (quoted ones rewritten)."},
                  {"text", FieldType::kString, "The text (quoted, or \"\" when dropped)."},
                  {"flagged", FieldType::kList, "[{index, rules}] of suspicious items (index -1: text)."},
                  {"dropped", FieldType::kInt, "Items dropped."},
                  {"clean", FieldType::kBool, "Nothing was flagged."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileInjection);
}

std::unique_ptr<chains::NodeType> NewGuardTopicNodeType() {
  chains::NodeTypeInfo info{
      .name = "guard.topic",
      .summary = "Keeps inputs and outputs on allowed topics: deny lists, allow lists and allowed link domains.",
      .params = {{"text", FieldType::kString, true, false, "", "The text to check."},
                 {"deny", FieldType::kList, false, false, "[]", "Terms that must not appear (whole words, "
                  "any case; literal)."},
                 {"allow", FieldType::kList, false, false, "[]", "When set, one of these terms must appear "
                  "(literal)."},
                 {"allowed_domains", FieldType::kList, false, false, "[]", "When set, links must point to these "
                  "domains or their subdomains (literal)."},
                 {"action", FieldType::kString, false, false, "block", "block (text becomes message), flag, or "
                  "fail the node (literal)."},
                 {"message", FieldType::kString, false, false, "", "The text given instead of a blocked one."}},
      .outputs = {{"allowed", FieldType::kBool, "The text passed the policy."},
                  {"text", FieldType::kString, "The text, or the message when blocked."},
                  {"reason", FieldType::kString, "denied_term, off_topic or domain_not_allowed (\"\" if allowed)."},
                  {"matched", FieldType::kString, "The denied term or the host found."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), CompileTopic);
}

}  // namespace catena::agents
