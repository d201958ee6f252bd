// The pipeline test-file runner shared by chains_test (chains' own node types) and agents_node_test (agents'
// tool and agent types): every tests/chains/pipelines/*.yaml and examples/pipelines/*.yaml with a `tests`
// section is a pipeline plus its cases (format in tests/chains/README.md), run with Catch2 assertions.
#pragma once

#include <filesystem>
#include <vector>

#include "chains/node_type.h"

namespace catena::chains::testing {

// The files with a `tests` section, sorted.
std::vector<std::filesystem::path> PipelineTestFiles();
// Whether every top-level node of the file has a type in `registry`.
bool UsesOnly(const std::filesystem::path& path, const NodeRegistry& registry);
// Compiles the file against `registry` and runs each of its cases (Catch2 CHECK/REQUIRE inside).
void RunPipelineFile(const std::filesystem::path& path, const NodeRegistry& registry);

}  // namespace catena::chains::testing
