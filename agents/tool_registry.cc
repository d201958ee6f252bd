#include "agents/tool_registry.h"

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
         c == '-';
}

absl::Status CheckSchema(const chains::ToolDefinition& definition) {
  const auto schema = nlohmann::ordered_json::parse(definition.parameters_json_schema, nullptr, false);
  if (schema.is_discarded() || !schema.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("tool '", definition.name, "' (", definition.source,
                                                   "): parameters must be a JSON Schema object"));
  }
  return absl::OkStatus();
}

std::string SourceOf(const chains::Tool& tool) {
  return tool.definition().source.empty() ? std::string("an unnamed source") : tool.definition().source;
}

}  // namespace

absl::Status CheckToolName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat("tool name '", std::string(name), "' must be 1 to 64 characters long, got ", name.size()));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!IsNameChar(name[i])) {
      return absl::InvalidArgumentError(absl::StrCat("tool name '", std::string(name), "' has '",
                                                     std::string(1, name[i]), "' at position ", i + 1,
                                                     "; only letters, digits, '_', '.' and '-' are allowed"));
    }
  }
  return absl::OkStatus();
}

absl::Status ToolRegistry::Add(std::shared_ptr<const chains::Tool> tool, std::string tenant) {
  if (tool == nullptr) return absl::InvalidArgumentError("ToolRegistry::Add: tool is null");
  const chains::ToolDefinition& definition = tool->definition();
  if (absl::Status status = CheckToolName(definition.name); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(SourceOf(*tool), ": ", status.message()));
  }
  if (absl::Status status = CheckSchema(definition); !status.ok()) return status;
  absl::MutexLock lock(&mutex_);
  ToolMap& tools = by_tenant_[tenant];
  auto [it, inserted] = tools.try_emplace(definition.name, tool);
  if (!inserted) {
    return absl::AlreadyExistsError(absl::StrCat("tool '", definition.name, "' from ", SourceOf(*tool),
                                                 " is already defined by ", SourceOf(*it->second),
                                                 tenant.empty() ? "" : absl::StrCat(" for tenant '", tenant, "'")));
  }
  return absl::OkStatus();
}

std::shared_ptr<const chains::Tool> ToolRegistry::Find(std::string_view tenant, std::string_view name) const {
  absl::MutexLock lock(&mutex_);
  for (std::string_view scope : {tenant, std::string_view()}) {
    auto tools = by_tenant_.find(scope);
    if (tools == by_tenant_.end()) continue;
    auto it = tools->second.find(name);
    if (it != tools->second.end()) return it->second;
    if (scope.empty()) break;
  }
  return nullptr;
}

std::vector<std::shared_ptr<const chains::Tool>> ToolRegistry::List(std::string_view tenant) const {
  ToolMap merged;
  {
    absl::MutexLock lock(&mutex_);
    if (auto global = by_tenant_.find(std::string_view()); global != by_tenant_.end()) merged = global->second;
    if (!tenant.empty()) {
      if (auto own = by_tenant_.find(tenant); own != by_tenant_.end()) {
        for (const auto& [name, tool] : own->second) merged[name] = tool;
      }
    }
  }
  std::vector<std::shared_ptr<const chains::Tool>> out;
  out.reserve(merged.size());
  for (auto& [name, tool] : merged) out.push_back(std::move(tool));
  return out;
}

}  // namespace catena::agents
