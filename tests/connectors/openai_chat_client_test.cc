#include "connectors/openai_chat_client.h"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/connectors/openai_test_util.h"
#include "tests/support/http_test_server.h"

namespace catena::connectors {
namespace {

using nlohmann::json;
using testing::HttpTestServer;
using testing::RecordedRequest;
using testing::TestResponse;
using namespace testutil;

// A request exercising every field: a tool round trip in the history, two tools, a forced tool choice, a JSON
// schema response format and sampling options.
OpenAiChatRequest FullRequest() {
  OpenAiChatRequest r;
  r.model = "gpt-test";
  r.messages = {{"system", "be brief", {}, ""},
                {"user", "weather in Oslo?", {}, ""},
                {"assistant", "", {{"call_1", "get_weather", "{\"city\":\"Oslo\"}"}}, ""},
                {"tool", "{\"temp\":3}", {}, "call_1"}};
  r.tools = {{"get_weather", "Current weather", R"({"type":"object","properties":{"city":{"type":"string"}}})"},
             {"now", "", ""}};
  r.tool_choice = "get_weather";
  r.response_format = OpenAiResponseFormat::kJsonSchema;
  r.json_schema = R"({"type":"object","properties":{"answer":{"type":"string"}},"required":["answer"]})";
  r.temperature = 0.25;
  r.top_p = 0.5;
  r.max_tokens = 42;
  r.seed = 7;
  r.stop = {"\n\n", "END"};
  return r;
}

const char* kReply = R"({"id":"chatcmpl-1","object":"chat.completion","model":"gpt-test-0613",
  "choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Checking.",
    "tool_calls":[{"id":"call_9","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Bergen\"}"}},
                  {"id":"call_10","type":"function","function":{"name":"now","arguments":"{}"}}]}}],
  "usage":{"prompt_tokens":31,"completion_tokens":12,"total_tokens":43}})";

TEST_CASE("chat complete parses content, tool calls, finish reason and usage", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(200, kReply); });
  auto client = OpenAiChatClient::Create(TestOptions(server));
  REQUIRE(client.ok());
  auto reply = (*client)->Complete(FullRequest());
  REQUIRE(reply.ok());
  CHECK(reply->id == "chatcmpl-1");
  CHECK(reply->model == "gpt-test-0613");
  CHECK(reply->content == "Checking.");
  CHECK(reply->finish_reason == "tool_calls");
  REQUIRE(reply->tool_calls.size() == 2);
  CHECK(reply->tool_calls[0].id == "call_9");
  CHECK(reply->tool_calls[0].name == "get_weather");
  CHECK(reply->tool_calls[0].arguments == "{\"city\":\"Bergen\"}");
  CHECK(reply->tool_calls[1].name == "now");
  CHECK(reply->usage.prompt_tokens == 31);
  CHECK(reply->usage.completion_tokens == 12);
  CHECK(reply->usage.total_tokens == 43);
}

TEST_CASE("chat complete sends model, messages with tool turns, tools, tool choice and a json schema", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Json(200, kReply); });
  auto client = OpenAiChatClient::Create(TestOptions(server));
  REQUIRE(client.ok());
  REQUIRE((*client)->Complete(FullRequest()).ok());
  auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/v1/chat/completions");
  CHECK(requests[0].Header("authorization") == std::string("Bearer ") + kApiKey);
  CHECK(requests[0].Header("content-type") == "application/json");
  json body = json::parse(requests[0].body);
  CHECK(body["model"] == "gpt-test");
  REQUIRE(body["messages"].size() == 4);
  CHECK(body["messages"][0] == json{{"role", "system"}, {"content", "be brief"}});
  CHECK(body["messages"][1] == json{{"role", "user"}, {"content", "weather in Oslo?"}});
  const json& call_turn = body["messages"][2];
  CHECK(call_turn["role"] == "assistant");
  CHECK(call_turn["content"].is_null());
  CHECK(call_turn["tool_calls"] == json::parse(R"([{"id":"call_1","type":"function",
      "function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}])"));
  CHECK(body["messages"][3] == json{{"role", "tool"}, {"content", "{\"temp\":3}"}, {"tool_call_id", "call_1"}});
  REQUIRE(body["tools"].size() == 2);
  CHECK(body["tools"][0] == json::parse(R"({"type":"function","function":{"name":"get_weather",
      "description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}})"));
  CHECK(body["tools"][1] == json::parse(R"({"type":"function","function":{"name":"now",
      "parameters":{"type":"object"}}})"));
  CHECK(body["tool_choice"] == json::parse(R"({"type":"function","function":{"name":"get_weather"}})"));
  CHECK(body["response_format"]["type"] == "json_schema");
  CHECK(body["response_format"]["json_schema"]["name"] == "response");
  CHECK(body["response_format"]["json_schema"]["strict"] == true);
  CHECK(body["response_format"]["json_schema"]["schema"]["required"] == json{"answer"});
  CHECK(body["temperature"] == 0.25);
  CHECK(body["top_p"] == 0.5);
  CHECK(body["max_tokens"] == 42);
  CHECK(body["seed"] == 7);
  CHECK(body["stop"] == json{"\n\n", "END"});
  CHECK_FALSE(body.contains("stream"));
  CHECK_FALSE(body.contains("stream_options"));
}

TEST_CASE("chat request json rejects an invalid tool schema or json schema, naming it", "[unit]") {
  OpenAiChatRequest r = FullRequest();
  r.tools[1].parameters_json = "{oops";
  auto body = BuildChatRequestJson(r, false);
  REQUIRE_FALSE(body.ok());
  CHECK(body.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(body.status().message()), Catch::Contains("tools[1] 'now' parameters"));
  r = FullRequest();
  r.json_schema = "[1,";
  body = BuildChatRequestJson(r, false);
  REQUIRE_FALSE(body.ok());
  CHECK_THAT(std::string(body.status().message()), Catch::Contains("json_schema"));
}

// A stream whose text and two tool calls arrive in pieces: call 1's name and arguments are split over chunks,
// call 0 and call 1 interleave, and usage comes in a last chunk with no choices.
std::vector<std::string> ToolStream() {
  return {
      R"({"id":"c1","model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})",
      R"({"id":"c1","choices":[{"index":0,"delta":{"content":"Let me "}}]})",
      R"({"id":"c1","choices":[{"index":0,"delta":{"content":"check."}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_","arguments":"{\"ci"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"name":"time","arguments":"ty\":\"Rome\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Oslo\"}"}}]}}]})",
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})",
      R"({"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":9,"total_tokens":14}})",
      "[DONE]"};
}

TEST_CASE("chat stream delivers text deltas and merges split tool-call deltas by index, usage last", "[unit]") {
  HttpTestServer server([](const RecordedRequest&) { return TestResponse::Sse(ToolStream(), std::chrono::milliseconds(2)); });
  auto client = OpenAiChatClient::Create(TestOptions(server));
  REQUIRE(client.ok());
  std::vector<std::string> deltas;
  auto reply = (*client)->Stream(FullRequest(), [&](std::string_view d) {
    deltas.emplace_back(d);
    return true;
  });
  REQUIRE(reply.ok());
  CHECK(deltas == std::vector<std::string>{"Let me ", "check."});
  CHECK(reply->content == "Let me check.");
  CHECK(reply->id == "c1");
  CHECK(reply->finish_reason == "tool_calls");
  REQUIRE(reply->tool_calls.size() == 2);
  CHECK(reply->tool_calls[0].id == "call_a");
  CHECK(reply->tool_calls[0].name == "get_weather");
  CHECK(json::parse(reply->tool_calls[0].arguments) == json{{"city", "Oslo"}});
  CHECK(reply->tool_calls[1].id == "call_b");
  CHECK(reply->tool_calls[1].name == "get_time");
  CHECK(json::parse(reply->tool_calls[1].arguments) == json{{"city", "Rome"}});
  CHECK(reply->usage.prompt_tokens == 5);
  CHECK(reply->usage.completion_tokens == 9);
  CHECK(reply->usage.total_tokens == 14);
  json body = json::parse(server.requests().at(0).body);
  CHECK(body["stream"] == true);
  CHECK(body["stream_options"] == json{{"include_usage", true}});
  CHECK(body["model"] == "gpt-test");
}

TEST_CASE("chat stream handles events split across network chunks and CRLF line ends", "[unit]") {
  TestResponse r;
  r.headers = {{"Content-Type", "text/event-stream"}};
  r.chunked = true;
  r.chunks = {{{}, "data: {\"choices\":[{\"index\":0,\"del"},
              {std::chrono::milliseconds(5), "ta\":{\"content\":\"Hel\"}}]}\r\n\r\ndata: {\"choices\":[{\"index\":0,"},
              {std::chrono::milliseconds(5), "\"delta\":{\"content\":\"lo\"},\"finish_reason\":\"stop\"}]}\r\n\r\n"},
              {{}, ": keep-alive comment\r\n\r\ndata: [DONE]\r\n\r\n"}};
  HttpTestServer server([r](const RecordedRequest&) { return r; });
  auto client = OpenAiChatClient::Create(TestOptions(server));
  REQUIRE(client.ok());
  std::string streamed;
  auto reply = (*client)->Stream(FullRequest(), [&](std::string_view d) {
    streamed += d;
    return true;
  });
  REQUIRE(reply.ok());
  CHECK(streamed == "Hello");
  CHECK(reply->content == "Hello");
  CHECK(reply->finish_reason == "stop");
  CHECK(reply->tool_calls.empty());
}

TEST_CASE("chat stream callback returning false cancels the stream", "[unit]") {
  TestResponse endless = TestResponse::Sse({R"({"choices":[{"index":0,"delta":{"content":"x"}}]})"});
  endless.repeat_last_chunk_every = std::chrono::milliseconds(5);
  HttpTestServer server([endless](const RecordedRequest&) { return endless; });
  auto client = OpenAiChatClient::Create(TestOptions(server));
  REQUIRE(client.ok());
  int seen = 0;
  auto reply = (*client)->Stream(FullRequest(), [&](std::string_view) { return ++seen < 3; });
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.status().code() == absl::StatusCode::kCancelled);
  CHECK(seen == 3);
  CHECK(server.requests().size() == 1);
}

}  // namespace
}  // namespace catena::connectors
