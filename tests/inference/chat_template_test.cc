// Tests for inference/chat_template: real chat templates (Llama-3 from the asset package, Mistral-instruct and
// Llama-2-chat, our Qwen2.5 and Llama-3.1 tool-calling transcriptions) rendered through ChatTemplate and compared
// byte-for-byte with jinja2 as transformers runs it (tests/inference/chat_template_reference.py wrote
// data/chat_expected.json from data/chat_cases.json), plus the GGUF fallbacks and error reporting.
#include "inference/chat_template.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/asset_paths.h"
#include "tests/inference/chat_template_test_util.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using catena::testing::ReadFile;
using testing::RenderOrDie;

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

fs::path SourceDir() { return fs::path(CATENA_SOURCE_DIR); }

// Python's reference formats times in UTC; ChatTemplate uses local time, so pin the zone.
void UseUtc() {
  setenv("TZ", "UTC", 1);
  tzset();
}

std::chrono::system_clock::time_point FixedClock(int64_t unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

// Converts a message of chat_cases.json (Catena's ChatMessage shape) into the struct.
ChatMessage MessageFromJson(const Json& json) {
  ChatMessage message{.role = json.at("role"), .content = json.value("content", "")};
  message.name = json.value("name", "");
  message.tool_call_id = json.value("tool_call_id", "");
  for (const Json& call : json.value("tool_calls", Json::array())) {
    message.tool_calls.push_back({.id = call.at("id"), .name = call.at("name"), .arguments_json = call.at("arguments")});
  }
  return message;
}

// Template source of a case's "templates" entry: a tokenizer_config.json asset or a repository file.
std::string TemplateSource(const Json& spec) {
  if (spec.contains("asset")) {
    const fs::path path = DefaultAssetDir() / spec.at("asset").get<std::string>();
    if (!fs::exists(path)) FAIL("missing " << path.string() << ": run scripts/fetch-assets.sh (or set CATENA_ASSET_DIR)");
    const Json config = Json::parse(ReadFile(path));
    REQUIRE(config.contains("chat_template"));
    return config.at("chat_template");
  }
  return ReadFile(SourceDir() / spec.at("file").get<std::string>());
}

std::vector<ChatMessage> MessagesFromJson(const Json& list) {
  std::vector<ChatMessage> out;
  for (const Json& m : list) out.push_back(MessageFromJson(m));
  return out;
}

TEST_CASE("chat templates render every case exactly as jinja2 does for transformers", "[unit]") {
  UseUtc();
  const Json cases = Json::parse(ReadFile(SourceDir() / "tests/inference/data/chat_cases.json"));
  const Json expected = Json::parse(ReadFile(SourceDir() / "tests/inference/data/chat_expected.json"));
  REQUIRE(cases.at("cases").size() >= 20);
  int errors = 0;
  for (const Json& c : cases.at("cases")) {
    const std::string name = c.at("name");
    INFO("case " << name);
    const Json& spec = cases.at("templates").at(c.at("template").get<std::string>());
    absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromSource(TemplateSource(spec), spec.at("bos"), spec.at("eos"));
    REQUIRE(chat.ok());
    ChatTemplateOptions options;
    options.tools_in_text = false;  // transformers drops the tools of a template that does not read them
    options.add_generation_prompt = c.value("add_generation_prompt", true);
    if (c.contains("tools")) options.tools = cases.at("tools").at(c.at("tools").get<std::string>());
    if (c.contains("extra")) options.extra_variables = c.at("extra");
    options.now = FixedClock(cases.at("now_unix_seconds"));
    const std::vector<ChatMessage> messages =
        MessagesFromJson(cases.at("conversations").at(c.at("conversation").get<std::string>()));
    const absl::StatusOr<std::string> out = chat->Render(messages, options);
    const Json& want = expected.at(name);
    if (want.contains("error")) {
      ++errors;
      REQUIRE_FALSE(out.ok());
      CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
      const std::string message(out.status().message());
      const std::string python_message = want.at("error");
      CHECK(message.size() >= python_message.size());
      CHECK(message.substr(message.size() - std::min(message.size(), python_message.size())) == python_message);
      CHECK(message.rfind("chat_template:", 0) == 0);
    } else {
      INFO(out.status().ToString());
      REQUIRE(out.ok());
      CHECK(*out == want.at("output").get<std::string>());
    }
  }
  CHECK(errors == 4);
}

TEST_CASE("the Llama-3 asset template renders the documented Llama-3 prompt", "[unit]") {
  const Json cases = Json::parse(ReadFile(SourceDir() / "tests/inference/data/chat_cases.json"));
  absl::StatusOr<ChatTemplate> chat =
      ChatTemplate::FromSource(TemplateSource(cases.at("templates").at("llama3")), "<|begin_of_text|>", "<|eot_id|>");
  REQUIRE(chat.ok());
  CHECK_FALSE(chat->supports_tools());
  const std::vector<ChatMessage> messages = {{.role = "system", .content = "Be brief."},
                                             {.role = "user", .content = " Hi! "}};
  const absl::StatusOr<std::string> out = chat->Render(messages);
  REQUIRE(out.ok());
  CHECK(*out ==
        "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
        "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n");
}

TEST_CASE("tool definitions reach templates that read tools, with parsed call arguments", "[unit]") {
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromSource(
      "{% for t in tools %}{{ t.function.name }}({{ t.function.parameters.required | join(',') }});{% endfor %}"
      "{% for m in messages %}{% for c in m.tool_calls %}{{ c.id }}:{{ c.type }}:{{ c.function.name }}"
      "{% for k, v in c.function.arguments.items() %} {{ k }}={{ v }}{% endfor %}{% endfor %}{% endfor %}",
      "", "");
  REQUIRE(chat.ok());
  CHECK(chat->supports_tools());
  const std::vector<ToolDefinition> defs = {
      {.name = "get_weather", .description = "Weather.", .parameters_json_schema = R"({"type":"object","required":["city"]})"},
      {.name = "now", .description = "", .parameters_json_schema = ""}};
  absl::StatusOr<Json> tools = ToolsToJson(defs);
  REQUIRE(tools.ok());
  CHECK(tools->dump() ==
        R"([{"type":"function","function":{"name":"get_weather","description":"Weather.","parameters":{"type":"object","required":["city"]}}},)"
        R"({"type":"function","function":{"name":"now","parameters":{"type":"object"}}}])");
  ChatTemplateOptions options;
  options.tools = *tools;
  const std::vector<ChatMessage> messages = {
      {.role = "assistant", .content = "", .tool_calls = {{.id = "c1", .name = "get_weather",
                                                            .arguments_json = R"({"city": "Köln", "days": 2})"}}}};
  const absl::StatusOr<std::string> out = chat->Render(messages, options);
  REQUIRE(out.ok());
  CHECK(*out == "get_weather(city);now();c1:function:get_weather city=Köln days=2");
}

TEST_CASE("a template that never reads tools gets the tools, the calls and the results in the messages", "[unit]") {
  const std::string loop = "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}";
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromSource(loop, "", "");
  REQUIRE(chat.ok());
  CHECK_FALSE(chat->supports_tools());
  const std::vector<ToolDefinition> defs = {{.name = "get_weather", .description = "Weather of a city.",
                                             .parameters_json_schema = R"({"type":"object","required":["city"]})"}};
  ChatTemplateOptions options;
  options.tools = *ToolsToJson(defs);
  const std::string tool_line = options.tools[0].dump();
  const std::vector<ChatMessage> conversation = {
      {.role = "user", .content = "Weather in Paris?"},
      {.role = "assistant", .content = "", .tool_calls = {{.id = "c1", .name = "get_weather",
                                                            .arguments_json = R"({"city": "Paris"})"}}},
      {.role = "tool", .content = "18C", .tool_call_id = "c1"},
      {.role = "tool", .content = "sunny", .tool_call_id = "c1"},
      {.role = "user", .content = "Thanks"}};
  const std::string turns =
      "[user]Weather in Paris?[assistant]<tool_call>\n{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}"
      "\n</tool_call>[user]<tool_response>\n18C\n</tool_response>\n<tool_response>\nsunny\n</tool_response>[user]Thanks";
  std::string out = RenderOrDie(*chat, conversation, options);
  INFO(out);
  CHECK(out.starts_with("[system]# Tools\n"));
  CHECK(out.find("<tools>\n" + tool_line + "\n</tools>") != std::string::npos);
  CHECK(out.find("<tool_call>\n{\"name\": \"<function name>\", \"arguments\": {<arguments>}}\n</tool_call>") !=
        std::string::npos);
  CHECK(out.ends_with("</tool_call>" + turns));

  // An existing system turn keeps its text first; the description follows it.
  std::vector<ChatMessage> with_system = conversation;
  with_system.insert(with_system.begin(), ChatMessage{.role = "system", .content = "Be brief."});
  out = RenderOrDie(*chat, with_system, options);
  CHECK(out.starts_with("[system]Be brief.\n\n# Tools\n"));
  CHECK(out.ends_with(turns));

  // A template that refuses a system turn gets the description at the start of the first user turn.
  absl::StatusOr<ChatTemplate> no_system = ChatTemplate::FromSource(
      "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" + loop,
      "", "");
  REQUIRE(no_system.ok());
  out = RenderOrDie(*no_system, conversation, options);
  CHECK(out.starts_with("[user]# Tools\n"));
  CHECK(out.find("</tool_call>\n\nWeather in Paris?[assistant]<tool_call>") != std::string::npos);

  // Without tools the calls and results are still written out; tools_in_text = false renders as transformers.
  out = RenderOrDie(*chat, conversation);
  CHECK(out == turns);
  options.tools_in_text = false;
  CHECK(RenderOrDie(*chat, conversation, options) ==
        "[user]Weather in Paris?[assistant][tool]18C[tool]sunny[user]Thanks");
}

TEST_CASE("bad tool input is rejected with the field that is wrong", "[unit]") {
  absl::StatusOr<ChatTemplate> chat = ChatTemplate::FromSource("{{ messages | length }}", "", "");
  REQUIRE(chat.ok());
  const std::vector<ChatMessage> messages = {
      {.role = "user", .content = "hi"},
      {.role = "assistant", .content = "", .tool_calls = {{.id = "x", .name = "f", .arguments_json = "{\"a\": "}}}};
  absl::StatusOr<std::string> out = chat->Render(messages);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.status().message().find("messages[1].tool_calls[0].arguments is not valid JSON") != std::string::npos);

  const std::vector<ChatMessage> array_args = {
      {.role = "assistant", .content = "", .tool_calls = {{.id = "x", .name = "f", .arguments_json = "[1]"}}}};
  out = chat->Render(array_args);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message() == "messages[0].tool_calls[0].arguments must be a JSON object");

  ChatTemplateOptions options;
  options.tools = Json::object();
  CHECK(chat->Render(array_args, options).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(ParseToolsJson("{}").status().message() == "tools must be a JSON array of tool definitions");
  CHECK(ParseToolsJson("[{}, 3]").status().message() == "tools[1] must be a JSON object");
  CHECK(ParseToolsJson("[{\"type\": \"function\"}]").ok());
  const std::vector<ToolDefinition> bad = {{.name = "f", .description = "", .parameters_json_schema = "[]"}};
  CHECK(ToolsToJson(bad).status().message() == "parameters of tool 'f' must be a JSON object");
}

TEST_CASE("template syntax errors and raise_exception surface as INVALID_ARGUMENT with the message", "[unit]") {
  absl::StatusOr<ChatTemplate> broken = ChatTemplate::FromSource("{% for m in messages %}{{ m.content }}", "", "");
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(broken.status().message().rfind("chat_template:1:", 0) == 0);

  absl::StatusOr<ChatTemplate> strict = ChatTemplate::FromSource(
      "{% if messages[0].role != 'user' %}\n  {{ raise_exception('First message must be from the user') }}\n{% endif %}",
      "", "");
  REQUIRE(strict.ok());
  const std::vector<ChatMessage> messages = {{.role = "assistant", .content = "hi"}};
  const absl::StatusOr<std::string> out = strict->Render(messages);
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.status().message() == "chat_template:2:6: First message must be from the user");
}

TEST_CASE("strftime_now and date_string read the render's clock", "[unit]") {
  UseUtc();
  absl::StatusOr<ChatTemplate> chat =
      ChatTemplate::FromSource("{{ strftime_now('%Y-%m-%d %H:%M:%S %A') }}|{{ date_string }}|{{ strftime_now('') }}", "", "");
  REQUIRE(chat.ok());
  ChatTemplateOptions options;
  options.now = FixedClock(1785000000);
  const absl::StatusOr<std::string> out = chat->Render({}, options);
  REQUIRE(out.ok());
  CHECK(*out == "2026-07-25 17:20:00 Saturday|25 Jul 2026|");
  options.extra_variables = {{"date_string", "01 Jan 2030"}};
  CHECK(chat->Render({}, options).value() == "2026-07-25 17:20:00 Saturday|01 Jan 2030|");
  absl::StatusOr<ChatTemplate> bad = ChatTemplate::FromSource("{{ strftime_now(3) }}", "", "");
  REQUIRE(bad.ok());
  CHECK(bad->Render({}).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("ChatTurn conversations convert to chat messages", "[unit]") {
  const std::vector<ChatTurn> turns = {{"system", "s"}, {"user", "u"}};
  const std::vector<ChatMessage> messages = ToChatMessages(turns);
  REQUIRE(messages.size() == 2);
  CHECK(messages[1].role == "user");
  CHECK(messages[1].content == "u");
  CHECK(messages[1].tool_calls.empty());
}

}  // namespace
}  // namespace catena::inference
