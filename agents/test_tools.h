// Deterministic tools for tests and examples, which catenad serves when pipelines.test_models is on (like the
// test chat models), and StaticToolSet, a fixed ToolSet shared by every tenant. Thread-safe; immutable.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "chains/tool.h"

namespace catena::agents {

// test_echo: any object -> {"echo": <the arguments>} (JSON).
// test_transfer: {amount: number, to: string} -> "sent <amount> to <to>" (text); its own policy: never.
std::vector<std::shared_ptr<const chains::Tool>> TestTools();

// The same tools for every tenant, sorted by name.
class StaticToolSet final : public chains::ToolSet {
 public:
  explicit StaticToolSet(std::vector<std::shared_ptr<const chains::Tool>> tools);
  std::shared_ptr<const chains::Tool> Find(std::string_view tenant, std::string_view name) const override;
  std::vector<std::shared_ptr<const chains::Tool>> List(std::string_view tenant) const override;

 private:
  std::vector<std::shared_ptr<const chains::Tool>> tools_;
};

}  // namespace catena::agents
