// The pipeline test-file runner (pipeline_file_runner.h): each file runs against real components: the given
// node types, the deterministic test model, scripted tools from `tests.tools` and real ones from the tool files
// of `tests.tool_files`, a RocksDB retrieval engine with the hashing embedder and a RocksDB memory store
// (checkpoints on), all in a temporary directory.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "tests/chains/pipeline_file_runner.h"

#include "absl/strings/str_cat.h"
#include "chains/binding.h"
#include "chains/chat_model_router.h"
#include "chains/checkpoint_store.h"
#include "chains/compiled_pipeline.h"
#include "chains/extractive_chat_model.h"
#include "chains/runner.h"
#include "chains/service_chat_models.h"
#include "chains/test_chat_model.h"
#include "chains/tool.h"
#include "common/executor.h"
#include "inference/embedder_registry.h"
#include "inference/hashing_embedder.h"
#include "memory/memory_store.h"
#include "retrieval/retrieval_engine.h"
#include "tests/support/temp_dir.h"

namespace catena::chains::testing {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr char kTenant[] = "tests";

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A literal value of the file as JSON (the tests section holds no templates that need a context).
json ToJson(const SpecValue& value) {
  auto converted = tmpl::ToJson(SpecToValue(value));
  REQUIRE(converted.ok());
  return *converted;
}

json Field(const json& object, const char* key, json fallback) {
  return object.contains(key) ? object[key] : fallback;
}

// A tool declared in a file's `tests.tools`: replies by substring of its (compact JSON) arguments, like the
// scripted test models; `error: true` replies are tool errors.
class ScriptedTool final : public Tool {
 public:
  explicit ScriptedTool(const json& spec) : spec_(spec) {
    definition_.name = spec.at("name").get<std::string>();
    definition_.description = Field(spec, "description", "").get<std::string>();
    definition_.parameters_json_schema = Field(spec, "parameters", json{{"type", "object"}}).dump();
    definition_.source = "tests.tools";
    const json approval = Field(spec, "approval", "never");
    if (approval == "always") definition_.approval.mode = ApprovalPolicy::Mode::kAlways;
    if (approval.is_object()) {
      definition_.approval.mode = ApprovalPolicy::Mode::kWhen;
      definition_.approval.condition = approval.at("when").get<std::string>();
    }
  }
  const ToolDefinition& definition() const override { return definition_; }
  absl::StatusOr<ToolOutput> Invoke(const ToolCallContext&, std::string_view arguments_json) const override {
    const std::string arguments = json::parse(arguments_json).dump();
    for (const json& reply : Field(spec_, "replies", json::array())) {
      if (arguments.find(Field(reply, "contains", "").get<std::string>()) == std::string::npos) continue;
      const std::string text = reply.at("text").get<std::string>();
      if (Field(reply, "error", false).get<bool>()) return absl::FailedPreconditionError(text);
      return ToolOutput{text, !json::parse(text, nullptr, false).is_discarded()};
    }
    return ToolOutput{Field(spec_, "default_text", "").get<std::string>(), false};
  }

 private:
  json spec_;
  ToolDefinition definition_;
};

class ScriptedToolSet final : public ToolSet {
 public:
  void Add(const json& spec) { tools_.push_back(std::make_shared<ScriptedTool>(spec)); }
  void Add(std::shared_ptr<const Tool> tool) { tools_.push_back(std::move(tool)); }
  std::shared_ptr<const Tool> Find(std::string_view, std::string_view name) const override {
    for (const auto& tool : tools_) {
      if (tool->definition().name == name) return tool;
    }
    return nullptr;
  }
  std::vector<std::shared_ptr<const Tool>> List(std::string_view) const override {
    return {tools_.begin(), tools_.end()};
  }

 private:
  std::vector<std::shared_ptr<const Tool>> tools_;
};

// Everything a file's runs use, built from its `tests` section.
class Fixture {
 public:
  Fixture(const json& tests, const fs::path& file, const ToolFileLoader& load_tool_file)
      : dir_("pipeline-files"), executor_(ExecutorOptions{.threads = 2, .name = "pfile"}) {
    auto hashing = inference::HashingEmbedder::Create({});
    REQUIRE(hashing.ok());
    REQUIRE(embedders_->Register(std::shared_ptr<const inference::Embedder>(*std::move(hashing))).ok());
    models_ = std::make_shared<TestChatModel>(&executor_);
    router_ = std::make_unique<ChatModelRouter>(
        std::vector<std::shared_ptr<ChatModel>>{models_, std::make_shared<ExtractiveChatModel>()},
        DefaultModelAlias(std::string(kExtractiveModelName)));  // catenad's default pipelines.default_model
    for (const json& model : Field(tests, "models", json::array())) AddModel(model);
    auto memory = memory::MemoryStore::Open({.path = (dir_.path() / "memory").string()});
    REQUIRE(memory.ok());
    memory_ = *std::move(memory);
    auto retrieval = retrieval::RetrievalEngine::Open({.data_dir = dir_.path(), .embedders = embedders_});
    REQUIRE(retrieval.ok());
    retrieval_ = *std::move(retrieval);
    for (const json& collection : Field(tests, "collections", json::array())) AddCollection(collection);
    for (const json& tool : Field(tests, "tools", json::array())) tools_.Add(tool);
    for (const json& tool_file : Field(tests, "tool_files", json::array())) {
      REQUIRE(load_tool_file);
      auto loaded = load_tool_file(file.parent_path() / tool_file.get<std::string>(), dir_.path() / "tool-data");
      INFO(loaded.status());
      REQUIRE(loaded.ok());
      for (auto& tool : *loaded) tools_.Add(std::move(tool));
    }
    checkpoints_ = NewMemoryCheckpointStore(memory_.get());
    RunnerOptions options;
    options.services = RunServices{.executor = &executor_,
                                   .models = router_.get(),
                                   .embedders = embedders_.get(),
                                   .retrieval = retrieval_.get(),
                                   .memory = memory_.get(),
                                   .tools = &tools_};
    options.checkpoints = checkpoints_.get();
    runner_ = std::make_unique<Runner>(std::move(options));
  }
  ~Fixture() {
    runner_.reset();
    executor_.Shutdown();
  }

  Runner& runner() { return *runner_; }
  const ChatModel* models() const { return router_.get(); }

 private:
  void AddModel(const json& model) {
    TestModelSpec spec{.name = model.at("name").get<std::string>(),
                       .default_text = Field(model, "default_text", "").get<std::string>()};
    for (const json& reply : Field(model, "replies", json::array())) {
      spec.replies.push_back({.contains = Field(reply, "contains", "").get<std::string>(),
                              .text = reply.at("text").get<std::string>()});
    }
    models_->AddModel(std::move(spec));
  }

  void AddCollection(const json& collection) {
    json spec_json = {{"dimension", 384}, {"metric", "cosine"}, {"index", "Flat"}, {"embedder", "hashing-384"}};
    const json overrides = Field(collection, "spec", json::object());
    for (const auto& [key, value] : overrides.items()) spec_json[key] = value;
    auto spec = retrieval::SpecFromJson(spec_json);
    REQUIRE(spec.ok());
    const std::string name = collection.at("name").get<std::string>();
    REQUIRE(retrieval_->CreateCollection(kTenant, name, *spec).ok());
    auto found = retrieval_->Find(kTenant, name);
    REQUIRE(found.ok());
    std::vector<retrieval::StoredDocument> documents;
    for (const json& document : Field(collection, "documents", json::array())) {
      documents.push_back({.id = document.at("id").get<std::string>(),
                           .text = document.at("text").get<std::string>(),
                           .source = Field(document, "source", document.at("id")).get<std::string>(),
                           .metadata = Field(document, "metadata", json::object())});
    }
    auto upserted = (*found)->Upsert(std::move(documents));
    INFO(upserted.status());
    REQUIRE(upserted.ok());
  }

  catena::testing::TempDir dir_;
  Executor executor_;
  ScriptedToolSet tools_;
  std::shared_ptr<inference::EmbedderRegistry> embedders_ = std::make_shared<inference::EmbedderRegistry>();
  std::shared_ptr<TestChatModel> models_;
  std::unique_ptr<ChatModelRouter> router_;  // the test models, then 'extractive'
  std::unique_ptr<memory::MemoryStore> memory_;
  std::unique_ptr<retrieval::RetrievalEngine> retrieval_;
  std::unique_ptr<CheckpointStore> checkpoints_;
  std::unique_ptr<Runner> runner_;
};

// "kind" or "kind:node" for each event, as the cases' `events` lists write them.
class EventLog {
 public:
  RunEventSink Sink() {
    return [this](const RunEvent& event) {
      std::lock_guard lock(mutex_);
      std::string entry = RunEventKindName(event.kind);
      if (!event.node.empty()) absl::StrAppend(&entry, ":", event.node);
      entries_.push_back(std::move(entry));
    };
  }
  std::vector<std::string> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> entries_;
};

// Whether `expected` occurs in `events` in order (other events may come between).
bool ContainsInOrder(const std::vector<std::string>& events, const std::vector<std::string>& expected) {
  auto it = events.begin();
  for (const std::string& wanted : expected) {
    it = std::find(it, events.end(), wanted);
    if (it == events.end()) return false;
    ++it;
  }
  return true;
}

void CheckOutputs(const json& expected_case, const RunResult& result) {
  auto outputs = tmpl::ToJson(result.outputs);
  REQUIRE(outputs.ok());
  const json expected_outputs = Field(expected_case, "outputs", json::object());
  for (const auto& [name, value] : expected_outputs.items()) {
    INFO("output " << name << " = " << (*outputs)[name].dump());
    CHECK((*outputs)[name] == value);
  }
  const json expected_parts = Field(expected_case, "outputs_contain", json::object());
  for (const auto& [name, part] : expected_parts.items()) {
    const json& actual = (*outputs)[name];
    const std::string text = actual.is_string() ? actual.get<std::string>() : actual.dump();
    INFO("output " << name << " = " << text);
    CHECK(text.find(part.get<std::string>()) != std::string::npos);
  }
}

RunResult ResumeAndWait(Runner& runner, std::shared_ptr<const CompiledPipeline> pipeline, const json& resume,
                        RunOptions options) {
  std::promise<RunResult> done;
  auto started = runner.Resume(std::move(pipeline), tmpl::Value::FromJson(resume), std::move(options),
                               [&done](RunResult result) { done.set_value(std::move(result)); });
  REQUIRE(started.ok());
  return done.get_future().get();
}

void RunCase(Fixture& fixture, std::shared_ptr<const CompiledPipeline> pipeline, const json& test_case) {
  EventLog log;
  RunOptions options{.run_id = "", .tenant = kTenant, .checkpoint = true, .sink = log.Sink()};
  RunResult result = fixture.runner().Run(pipeline, tmpl::Value::FromJson(Field(test_case, "inputs", json::object())),
                                          options);
  if (test_case.contains("resume")) {
    INFO(result.status);
    REQUIRE(result.state == RunResult::State::kInterrupted);
    options.run_id = result.run_id;
    result = ResumeAndWait(fixture.runner(), pipeline, test_case["resume"], options);
  }
  const std::vector<std::string> events = log.entries();
  INFO("events: " << json(events).dump());
  if (test_case.contains("error")) {
    CHECK(result.state == RunResult::State::kFailed);
    CHECK_THAT(std::string(result.status.message()), Catch::Contains(test_case["error"].get<std::string>()));
  } else if (Field(test_case, "interrupted", false).get<bool>()) {
    CHECK(result.state == RunResult::State::kInterrupted);
  } else {
    INFO(result.status);
    REQUIRE(result.state == RunResult::State::kCompleted);
    CheckOutputs(test_case, result);
  }
  const auto expected_events = Field(test_case, "events", json::array()).get<std::vector<std::string>>();
  CHECK(ContainsInOrder(events, expected_events));
}

}  // namespace

void RunPipelineFile(const fs::path& path, const NodeRegistry& registry, const ToolFileLoader& load_tool_file) {
  const std::string source = ReadText(path);
  // The test model serves every model name the file's tests define (and "test"), so validate without models.
  std::vector<Problem> problems;
  auto pipeline = CompilePipeline(source, {.file = path.filename().string(), .registry = &registry}, &problems);
  INFO(pipeline.status());
  REQUIRE(pipeline.ok());
  REQUIRE((*pipeline)->spec.tests.has_value());
  const json tests = ToJson(*(*pipeline)->spec.tests);
  REQUIRE(tests.contains("cases"));
  Fixture fixture(tests, path, load_tool_file);
  for (const json& test_case : tests["cases"]) {
    INFO(path.filename().string() << ": case '" << test_case.value("name", "unnamed") << "'");
    RunCase(fixture, *pipeline, test_case);
  }
}

bool UsesOnly(const fs::path& path, const NodeRegistry& registry) {
  ProblemList problems(path.filename().string());
  const PipelineSpec spec = ParsePipelineSpec(ReadText(path), problems);
  for (const NodeSpec& node : spec.nodes) {
    if (registry.Find(node.type) == nullptr) return false;
  }
  return true;
}

std::vector<fs::path> PipelineTestFiles() {
  std::vector<fs::path> files;
  for (const char* dir : {"tests/chains/pipelines", "examples/pipelines"}) {
    for (const auto& entry : fs::directory_iterator(fs::path(CATENA_SOURCE_DIR) / dir)) {
      if (entry.path().extension() != ".yaml") continue;
      if (ReadText(entry.path()).find("\ntests:") != std::string::npos) files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace catena::chains::testing
