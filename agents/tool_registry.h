// ToolRegistry: the chains::ToolSet catenad hands to runs. Tools are added at startup (built-ins, tool files,
// MCP servers) for every tenant ("") or for one tenant, whose tools shadow global ones of the same name.
// Thread-safe: Add may run while runs call Find/List; tools are shared and never removed while a run holds one.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "chains/tool.h"

namespace catena::agents {

// OK when `name` matches [A-Za-z0-9_.-]{1,64}; INVALID_ARGUMENT naming the first bad character otherwise.
absl::Status CheckToolName(std::string_view name);

class ToolRegistry : public chains::ToolSet {
 public:
  // Adds `tool` for `tenant` ("" = every tenant). INVALID_ARGUMENT for a bad name or a schema that is not a
  // JSON object; ALREADY_EXISTS when the tenant already has a tool of that name, naming both sources.
  absl::Status Add(std::shared_ptr<const chains::Tool> tool, std::string tenant = "");

  // The tenant's tool named `name`, else the global one, else nullptr.
  std::shared_ptr<const chains::Tool> Find(std::string_view tenant, std::string_view name) const override;
  // Global tools plus the tenant's (which shadow global ones), sorted by name.
  std::vector<std::shared_ptr<const chains::Tool>> List(std::string_view tenant) const override;

 private:
  using ToolMap = std::map<std::string, std::shared_ptr<const chains::Tool>, std::less<>>;
  mutable absl::Mutex mutex_;
  std::map<std::string, ToolMap, std::less<>> by_tenant_ ABSL_GUARDED_BY(mutex_);  // "" = global
};

}  // namespace catena::agents
