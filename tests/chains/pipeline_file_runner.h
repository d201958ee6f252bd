// The pipeline test-file runner shared by chains_test (chains' own node types) and agents_node_test (agents'
// tool and agent types): every tests/chains/pipelines/*.yaml and examples/pipelines/*.yaml with a `tests`
// section is a pipeline plus its cases (format in tests/chains/README.md), run with Catch2 assertions.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "chains/node_type.h"
#include "chains/tool.h"

namespace catena::chains::testing {

// The files with a `tests` section, sorted.
std::vector<std::filesystem::path> PipelineTestFiles();
// Whether every top-level node of the file has a type in `registry`.
bool UsesOnly(const std::filesystem::path& path, const NodeRegistry& registry);
// Loads a real tool file named by a file's `tests.tool_files` (agents' LoadToolFile; chains cannot link it), with
// relative SQLite databases under `data_dir` (the fixture's temporary directory).
using ToolFileLoader = std::function<absl::StatusOr<std::vector<std::shared_ptr<const Tool>>>(
    const std::filesystem::path& file, const std::filesystem::path& data_dir)>;
// Compiles the file against `registry` and runs each of its cases (Catch2 CHECK/REQUIRE inside). A file with
// `tests.tool_files` needs `load_tool_file`.
void RunPipelineFile(const std::filesystem::path& path, const NodeRegistry& registry,
                     const ToolFileLoader& load_tool_file = {});

}  // namespace catena::chains::testing
