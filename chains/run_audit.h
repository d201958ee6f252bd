// RunAudit: collects what the audit log keeps of one run (or one resumed part of it) from its events: node
// types, prompts (prompt-node text), model nodes, retrieved chunk ids, tool calls, interrupts, the reviewer's
// decision on resume, outputs and error, and appends one record to the guardrails::AuditLog when the run ends
// or interrupts. Every string passes a default PII detector before it is written. Internal to PipelineService;
// thread-safe.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "catena/v1/pipeline.pb.h"
#include "chains/runner.h"
#include "guardrails/audit_log.h"
#include "nlohmann/json.hpp"

namespace catena::chains {

class RunAudit {
 public:
  // Audits run header.run_id() of `tenant` into `log` (shared; outlives nothing else). `resume_approved` is set
  // for a resumed run.
  RunAudit(std::shared_ptr<guardrails::AuditLog> log, std::string tenant, const v1::RunTrace& header,
           std::optional<bool> resume_approved);

  void Record(const v1::RunEvent& event);
  // Appends the record; failures are logged (the run's result does not change).
  void Finish(const RunResult& result, int64_t now_unix_ms);

  // The record as it stands (tests).
  nlohmann::json record() const;

 private:
  std::shared_ptr<guardrails::AuditLog> log_;
  mutable std::mutex mutex_;
  nlohmann::json record_;
  std::map<std::string, std::string> node_types_;
};

// `value` with personal data in every string replaced by placeholders ([EMAIL_1], ...), numbered per call.
nlohmann::json RedactForAudit(const nlohmann::json& value);

}  // namespace catena::chains
