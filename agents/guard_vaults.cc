// RunVaults (guard_vaults.h).
#include "agents/guard_vaults.h"

#include "absl/strings/str_cat.h"

namespace catena::agents {
namespace {

std::string Key(std::string_view tenant, std::string_view run_id) {
  return absl::StrCat(std::string(tenant), "\n", std::string(run_id));
}

}  // namespace

RunVaults& RunVaults::Global() {
  static RunVaults* vaults = new RunVaults();
  return *vaults;
}

RunVaults::Entry& RunVaults::Touch(std::string_view tenant, std::string_view run_id) {
  std::string key = Key(tenant, run_id);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second;
  }
  while (entries_.size() >= capacity_ && !lru_.empty()) {
    entries_.erase(lru_.back());
    lru_.pop_back();
  }
  lru_.push_front(key);
  Entry& entry = entries_[key];
  entry.vault = std::make_shared<guardrails::PiiVault>();
  entry.lru = lru_.begin();
  return entry;
}

std::shared_ptr<guardrails::PiiVault> RunVaults::ForRun(std::string_view tenant, std::string_view run_id) {
  std::lock_guard lock(mutex_);
  return Touch(tenant, run_id).vault;
}

std::shared_ptr<guardrails::PiiVault> RunVaults::Find(std::string_view tenant, std::string_view run_id) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(Key(tenant, run_id));
  return it == entries_.end() ? nullptr : it->second.vault;
}

void RunVaults::RequestRestore(std::string_view tenant, std::string_view run_id, std::set<std::string> keep) {
  std::lock_guard lock(mutex_);
  Entry& entry = Touch(tenant, run_id);
  entry.restore = true;
  entry.keep = std::move(keep);
}

tmpl::Value RunVaults::RestoreOutputs(std::string_view tenant, std::string_view run_id,
                                      const tmpl::Value& outputs) const {
  std::shared_ptr<guardrails::PiiVault> vault;
  std::set<std::string> keep;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(Key(tenant, run_id));
    if (it == entries_.end() || !it->second.restore) return outputs;
    vault = it->second.vault;
    keep = it->second.keep;
  }
  return MapStrings(outputs, [&](const std::string& text) { return vault->Restore(text, keep); });
}

tmpl::Value MapStrings(const tmpl::Value& value, const std::function<std::string(const std::string&)>& fn) {
  if (value.is_string()) return tmpl::Value(fn(value.string_value()));
  if (value.is_list()) {
    std::vector<tmpl::Value> items;
    for (const tmpl::Value& item : value.list().items) items.push_back(MapStrings(item, fn));
    return tmpl::Value::List(std::move(items));
  }
  if (value.is_dict()) {
    tmpl::Value out = tmpl::Value::Dict();
    for (const auto& [key, item] : value.map().entries()) {
      if (key.is_string()) out.map().Set(key.string_value(), MapStrings(item, fn));
    }
    return out;
  }
  return value;
}

}  // namespace catena::agents
