// RunVaults: the PII placeholder vaults of the runs in this process, keyed by (tenant, run id), so that
// guard.pii_redact and guard.pii_restore of one run share placeholders while the originals stay out of node
// outputs, events and traces. Bounded (least recently used runs are forgotten first); a vault is lost on
// restart, and then nothing is restored (placeholders stay). Process-wide; thread-safe.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>

#include "common/template/value.h"
#include "guardrails/pii_vault.h"

namespace catena::agents {

class RunVaults {
 public:
  // The instance shared by the guard nodes and the pipeline service's output filter.
  static RunVaults& Global();
  explicit RunVaults(size_t capacity = 4096) : capacity_(capacity) {}

  // The vault of a run, created when missing.
  std::shared_ptr<guardrails::PiiVault> ForRun(std::string_view tenant, std::string_view run_id);
  // The vault of a run, or nullptr.
  std::shared_ptr<guardrails::PiiVault> Find(std::string_view tenant, std::string_view run_id) const;
  // Asks that the run's pipeline outputs be restored when delivered to the caller, except labels in `keep`.
  void RequestRestore(std::string_view tenant, std::string_view run_id, std::set<std::string> keep);
  // `outputs` with placeholders restored in every string, when the run asked for it; else `outputs` as is.
  tmpl::Value RestoreOutputs(std::string_view tenant, std::string_view run_id, const tmpl::Value& outputs) const;

 private:
  struct Entry {
    std::shared_ptr<guardrails::PiiVault> vault;
    bool restore = false;
    std::set<std::string> keep;
    std::list<std::string>::iterator lru;
  };
  Entry& Touch(std::string_view tenant, std::string_view run_id);  // with mutex_ held

  const size_t capacity_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;  // tenant + '\n' + run id
  std::list<std::string> lru_;            // most recent first
};

// A copy of `value` with every string (in lists and dicts too) passed through `fn`.
tmpl::Value MapStrings(const tmpl::Value& value, const std::function<std::string(const std::string&)>& fn);

}  // namespace catena::agents
