// Pipeline test files (tests/chains/pipelines, examples/pipelines) that use only chains' node types; files with
// agents' types (tool, agent) run in agents_node_test.
#include <catch2/catch.hpp>

#include "tests/chains/pipeline_file_runner.h"

namespace catena::chains {
namespace {

TEST_CASE("pipeline test files pass", "[integration]") {
  int ran = 0;
  for (const auto& file : testing::PipelineTestFiles()) {
    if (!testing::UsesOnly(file, NodeRegistry::BuiltIn())) continue;
    INFO(file.filename().string());
    testing::RunPipelineFile(file, NodeRegistry::BuiltIn());
    ++ran;
  }
  REQUIRE(ran >= 3);
}

}  // namespace
}  // namespace catena::chains
