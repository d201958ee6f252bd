// Pipeline files with agents' node types (tool, agent) run by the shared pipeline file runner (with real tool
// files for `tests.tool_files`, e.g. the fraud example's SQL tools), and the node
// reference (docs/pipeline-nodes.md) documents every parameter and output of those types.
#include <catch2/catch.hpp>

#include "agents/node_types.h"
#include "agents/tool_file.h"
#include "tests/chains/pipeline_file_runner.h"
#include "tests/support/temp_dir.h"

namespace catena::agents {
namespace {

TEST_CASE("pipeline test files that use the tool and agent node types pass", "[integration]") {
  int ran = 0;
  for (const auto& file : chains::testing::PipelineTestFiles()) {
    if (chains::testing::UsesOnly(file, chains::NodeRegistry::BuiltIn())) continue;
    INFO(file.filename().string());
    chains::testing::RunPipelineFile(file, AllNodeTypes(), [](const auto& tool_file, const auto& data_dir) {
      return LoadToolFile(tool_file, {.data_dir = data_dir});
    });
    ++ran;
  }
  REQUIRE(ran >= 1);
}

std::string TypeName(chains::FieldType type) {
  switch (type) {
    case chains::FieldType::kString: return "string";
    case chains::FieldType::kInt: return "int";
    case chains::FieldType::kNumber: return "number";
    case chains::FieldType::kBool: return "bool";
    case chains::FieldType::kList: return "list";
    case chains::FieldType::kMap: return "map";
    default: return "any";
  }
}

TEST_CASE("docs/pipeline-nodes.md documents every parameter and output of the tool, agent and guard types",
          "[unit]") {
  const std::string doc = catena::testing::ReadFile(std::string(CATENA_SOURCE_DIR) + "/docs/pipeline-nodes.md");
  REQUIRE_FALSE(doc.empty());
  for (const char* name : {"tool", "agent", "guard.pii_redact", "guard.pii_restore", "guard.injection", "guard.topic",
                           "guard.grounding"}) {
    const chains::NodeTypeInfo& info = AllNodeTypes().Find(name)->info();
    const size_t start = doc.find("## `" + info.name + "`");
    INFO(info.name);
    REQUIRE(start != std::string::npos);
    const size_t end = doc.find("\n## ", start + 1);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    for (const chains::ParamInfo& p : info.params) {
      INFO(p.name);
      CHECK_THAT(section, Catch::Contains("| `" + p.name + "` | " + TypeName(p.type)));
    }
    for (const chains::OutputInfo& o : info.outputs) {
      INFO(o.name);
      CHECK_THAT(section, Catch::Contains("| `" + o.name + "` | " + TypeName(o.type)));
    }
  }
}

}  // namespace
}  // namespace catena::agents
