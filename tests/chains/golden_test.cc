// Every tests/chains/bad/<name>.yaml must fail to compile with exactly the problems in <name>.err (one per
// line, as CompilePipeline reports them), and every tests/chains/good/<name>.yaml must compile. Both use the
// test node types of test_node_types.h.
#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "chains/chat_model.h"
#include "chains/compiled_pipeline.h"
#include "tests/chains/test_node_types.h"

namespace catena::chains {
namespace {

namespace fs = std::filesystem;

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Files of tests/chains/<folder> ending in `extension` ("" = .yaml and .json), sorted.
std::vector<fs::path> Files(const std::string& folder, const std::string& extension) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(fs::path(CATENA_SOURCE_DIR) / "tests/chains" / folder)) {
    const std::string found = entry.path().extension().string();
    if (extension.empty() ? found == ".yaml" || found == ".json" : found == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Serves the models the test model provider knows, so goldens can name an unknown one.
class KnownModels : public ChatModel {
 public:
  std::unique_ptr<ChatCancel> Chat(ChatRequest, std::function<void(std::string_view)>,
                                   std::function<void(absl::StatusOr<ChatResult>)> on_done) override {
    on_done(absl::UnimplementedError("compile-only"));
    return nullptr;
  }
  bool HasModel(std::string_view model) const override { return model == "test" || model == "test-echo"; }
};

absl::StatusOr<std::shared_ptr<const CompiledPipeline>> CompileFile(const fs::path& path) {
  static KnownModels models;
  CompileOptions options;
  options.file = path.filename().string();
  options.registry = &testing::TestRegistry();
  options.models = &models;
  return CompilePipeline(ReadText(path), options);
}

TEST_CASE("each bad pipeline file reports exactly the problems in its golden", "[unit]") {
  const std::vector<fs::path> files = Files("bad", ".yaml");
  CHECK(files.size() >= 30);
  for (const fs::path& path : files) {
    fs::path golden = path;
    golden.replace_extension(".err");
    INFO(path.filename().string());
    REQUIRE(fs::exists(golden));
    std::string expected = ReadText(golden);
    while (!expected.empty() && expected.back() == '\n') expected.pop_back();
    auto compiled = CompileFile(path);
    REQUIRE_FALSE(compiled.ok());
    CHECK(std::string(compiled.status().message()) == expected);
  }
}

TEST_CASE("each good pipeline file compiles", "[unit]") {
  const std::vector<fs::path> files = Files("good", "");
  CHECK(files.size() >= 3);
  for (const fs::path& path : files) {
    INFO(path.filename().string());
    auto compiled = CompileFile(path);
    CHECK(compiled.status().message() == "");
    CHECK(compiled.ok());
  }
}

}  // namespace
}  // namespace catena::chains

namespace catena::chains {
namespace {

// Truncated files are the commonest broken input (an editor mid-save, a cut-off upload): every prefix of
// every good file must compile or fail with positioned problems, never crash or throw.
TEST_CASE("every prefix of a good file compiles or reports positioned problems", "[unit]") {
  for (const fs::path& path : Files("good", "")) {
    const std::string text = ReadText(path);
    INFO(path.filename().string());
    for (size_t size = 0; size < text.size(); ++size) {
      CompileOptions options;
      options.registry = &testing::TestRegistry();
      std::vector<Problem> problems;
      auto compiled = CompilePipeline(std::string_view(text).substr(0, size), options, &problems);
      INFO("prefix of " << size << " bytes: " << compiled.status().message());
      if (compiled.ok()) continue;
      REQUIRE(compiled.status().code() == absl::StatusCode::kInvalidArgument);
      REQUIRE_FALSE(problems.empty());
      for (const Problem& problem : problems) CHECK(problem.line >= 1);
    }
  }
}

TEST_CASE("deeply nested values are reported, not a stack overflow", "[unit]") {
  const std::string deep =
      "apiVersion: catena/v1\nkind: Pipeline\nmetadata: {name: p}\nnodes:\n  a: {type: t.open, "
      "with: {source: " +
      std::string(100000, '[') + std::string(100000, ']') + "}}\n";
  CompileOptions options;
  options.registry = &testing::TestRegistry();
  auto compiled = CompilePipeline(deep, options);
  REQUIRE_FALSE(compiled.ok());
  CHECK(std::string(compiled.status().message()).find("pipeline.yaml:5:") == 0);
}

}  // namespace
}  // namespace catena::chains
