// RunAudit (run_audit.h).
#include "chains/run_audit.h"

#include <google/protobuf/util/json_util.h>

#include "guardrails/pii_detector.h"
#include "guardrails/pii_vault.h"
#include "spdlog/spdlog.h"

namespace catena::chains {
namespace {

using Json = nlohmann::json;

Json StructJson(const google::protobuf::Struct& value) {
  std::string text;
  if (!google::protobuf::util::MessageToJsonString(value, &text).ok()) return Json::object();
  Json json = Json::parse(text, nullptr, false);
  return json.is_discarded() ? Json::object() : json;
}

const guardrails::PiiDetector& Detector() {
  static const guardrails::PiiDetector* detector = guardrails::PiiDetector::Create({}).value().release();
  return *detector;
}

Json Redact(const Json& value, guardrails::PiiVault& vault) {
  if (value.is_string()) return vault.Redact(Detector(), value.get<std::string>()).text;
  if (value.is_array() || value.is_object()) {
    Json out = value;
    for (auto& item : out) item = Redact(item, vault);
    return out;
  }
  return value;
}

const char* StateName(RunResult::State state) {
  switch (state) {
    case RunResult::State::kCompleted: return "completed";
    case RunResult::State::kInterrupted: return "interrupted";
    case RunResult::State::kFailed: return "failed";
    default: return "cancelled";
  }
}

}  // namespace

Json RedactForAudit(const Json& value) {
  guardrails::PiiVault vault;
  return Redact(value, vault);
}

RunAudit::RunAudit(std::shared_ptr<guardrails::AuditLog> log, std::string tenant, const v1::RunTrace& header,
                   std::optional<bool> resume_approved)
    : log_(std::move(log)) {
  record_ = {{"run_id", header.run_id()}, {"tenant", std::move(tenant)}, {"user_id", header.user_id()},
             {"pipeline", header.pipeline()}, {"pipeline_version", header.version()},
             {"inputs", StructJson(header.inputs())}, {"prompts", Json::array()}, {"model_nodes", Json::array()},
             {"retrieved", Json::array()}, {"tool_calls", Json::array()}, {"interrupts", Json::array()}};
  if (resume_approved.has_value()) record_["resumed"] = {{"approved", *resume_approved}};
}

void RunAudit::Record(const v1::RunEvent& event) {
  std::lock_guard lock(mutex_);
  if (event.has_node_started()) {
    node_types_[event.node_started().node()] = event.node_started().node_type();
    const std::string& type = event.node_started().node_type();
    if (type.rfind("llm.", 0) == 0 || type == "agent") {
      record_["model_nodes"].push_back({{"node", event.node_started().node()}, {"type", type}});
    }
  } else if (event.has_node_finished() && node_types_[event.node_finished().node()] == "prompt") {
    const Json output = StructJson(event.node_finished().output());
    record_["prompts"].push_back({{"node", event.node_finished().node()}, {"text", output.value("text", "")}});
  } else if (event.has_retrieved()) {
    Json ids = Json::array();
    for (const auto& document : event.retrieved().documents()) ids.push_back(document.id());
    record_["retrieved"].push_back({{"node", event.retrieved().node()}, {"ids", std::move(ids)}});
  } else if (event.has_tool_call()) {
    record_["tool_calls"].push_back({{"node", event.tool_call().node()}, {"name", event.tool_call().call().name()},
                                     {"arguments", event.tool_call().call().arguments_json()}});
  } else if (event.has_interrupt()) {
    record_["interrupts"].push_back({{"node", event.interrupt().node()}, {"reason", event.interrupt().reason()}});
  } else if (event.has_final()) {
    record_["outputs"] = StructJson(event.final().outputs());
  } else if (event.has_error()) {
    record_["error"] = {{"node", event.error().node()}, {"message", event.error().message()}};
  }
}

void RunAudit::Finish(const RunResult& result, int64_t now_unix_ms) {
  Json record = this->record();
  record["state"] = StateName(result.state);
  record["ended_unix_ms"] = now_unix_ms;
  if (!result.status.ok() && !record.contains("error")) record["error"] = {{"message", result.status.ToString()}};
  absl::StatusOr<int64_t> index = log_->Append(RedactForAudit(record));
  if (!index.ok()) spdlog::error("audit log: run {}: {}", record.value("run_id", ""), index.status().ToString());
}

Json RunAudit::record() const {
  std::lock_guard lock(mutex_);
  return record_;
}

}  // namespace catena::chains
