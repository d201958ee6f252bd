// The gateway's pure parts: request parsing and validation (chat and text completions and embeddings: fields
// mapped onto ChatRequest values, errors naming the field), the error mapping of Status codes to OpenAI
// statuses, and how much streamed text may be shown while a model might be writing a tool call.
#include <catch2/catch.hpp>

#include "nlohmann/json.hpp"
#include "server/openai_errors.h"
#include "server/openai_model_chat.h"
#include "server/openai_request.h"

namespace catena::testing {
namespace {

using server::ErrorFromStatus;
using server::kDefaultCompletionTokens;
using server::ParseChatCompletionRequest;
using server::ParseCompletionRequest;
using server::ParseEmbeddingsRequest;
using server::ShowableToolText;

// `status` (from parsing `body`) is a 400 naming `param`.
void CheckRefused(const absl::Status& status, const std::string& body, const std::string& param) {
  INFO(body);
  REQUIRE(status.code() == absl::StatusCode::kInvalidArgument);
  const server::OpenAiError error = ErrorFromStatus(status);
  CHECK(error.status == 400);
  CHECK(error.param == param);
}

TEST_CASE("a chat request maps roles, content parts, limits and formats onto typed fields", "[unit]") {
  auto request = ParseChatCompletionRequest(R"({
    "model": "m", "temperature": 0.5, "top_p": 0.9, "max_tokens": 10, "max_completion_tokens": 20, "seed": 42,
    "stop": "END", "stream": true, "stream_options": {"include_usage": true}, "user": "u-1",
    "response_format": {"type": "json_object"},
    "messages": [
      {"role": "developer", "content": "rules"},
      {"role": "user", "content": [{"type": "text", "text": "a "}, {"type": "text", "text": "b"}]},
      {"role": "assistant", "content": null,
       "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\"x\":1}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "42"}]})");
  REQUIRE(request.ok());
  CHECK(request->model == "m");
  REQUIRE(request->messages.size() == 4);
  CHECK(request->messages[0].role == "system");
  CHECK(request->messages[1].content == "a b");
  REQUIRE(request->messages[2].tool_calls.size() == 1);
  CHECK(request->messages[2].tool_calls[0].arguments_json == R"({"x":1})");
  CHECK(request->messages[3].tool_call_id == "c1");
  CHECK(*request->temperature == 0.5);
  CHECK(*request->top_p == 0.9);
  CHECK(*request->max_tokens == 20);
  CHECK(*request->seed == 42);
  CHECK(request->stop == std::vector<std::string>{"END"});
  CHECK(request->stream);
  CHECK(request->include_usage);
  CHECK(request->response_format == "json_object");
  CHECK(nlohmann::json::parse(request->json_schema) == nlohmann::json{{"type", "object"}});
}

TEST_CASE("tools and a named tool_choice are read; a schema response format keeps its schema", "[unit]") {
  auto request = ParseChatCompletionRequest(R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d",
               "parameters": {"type": "object", "properties": {"a": {"type": "string"}}}}}],
    "tool_choice": {"type": "function", "function": {"name": "f"}}})");
  REQUIRE(request.ok());
  REQUIRE(request->tools.size() == 1);
  CHECK(request->tools[0].description == "d");
  CHECK(nlohmann::json::parse(request->tools[0].parameters_json_schema)["properties"]["a"]["type"] == "string");
  CHECK(request->tool_choice == "f");

  auto schema = ParseChatCompletionRequest(R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "p", "schema": {"type": "array"}}}})");
  REQUIRE(schema.ok());
  CHECK(schema->json_schema == R"({"type":"array"})");

  // Property order is the order the grammar writes keys in, as OpenAI's structured outputs do: kept as sent.
  auto ordered = ParseChatCompletionRequest(R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "tools": [{"type": "function", "function": {"name": "f",
               "parameters": {"type": "object", "properties": {"zip": {"type": "string"}, "city": {}}}}}],
    "response_format": {"type": "json_schema", "json_schema": {"name": "p",
                        "schema": {"properties": {"when": {}, "amount": {}}, "type": "object"}}}})");
  REQUIRE(ordered.ok());
  CHECK(ordered->tools[0].parameters_json_schema ==
        R"({"type":"object","properties":{"zip":{"type":"string"},"city":{}}})");
  CHECK(ordered->json_schema == R"({"properties":{"when":{},"amount":{}},"type":"object"})");
}

TEST_CASE("penalties, logit bias and vLLM's sampler extensions reach the request", "[unit]") {
  auto request = ParseChatCompletionRequest(R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "frequency_penalty": 0.5, "presence_penalty": -1, "logit_bias": {"15": 100, "7": -2.5},
    "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1})");
  REQUIRE(request.ok());
  CHECK(request->logprobs == -1);
  CHECK(request->n == 1);
  CHECK(ParseCompletionRequest(R"({"model": "m", "prompt": "x", "n": 3})")->n == 3);
  CHECK(*request->frequency_penalty == 0.5);
  CHECK(*request->presence_penalty == -1);
  CHECK(request->logit_bias == std::vector<std::pair<int32_t, double>>{{15, 100.0}, {7, -2.5}});
  CHECK(*request->top_k == 40);
  CHECK(*request->min_p == 0.05);
  CHECK(*request->repetition_penalty == 1.1);
  // vLLM's "off" for top_k is -1; unset fields stay unset.
  auto off = ParseCompletionRequest(R"({"model": "m", "prompt": "x", "top_k": -1, "logit_bias": {}})");
  REQUIRE(off.ok());
  CHECK_FALSE(off->top_k.has_value());
  CHECK(off->logit_bias.empty());
  CHECK_FALSE(off->frequency_penalty.has_value());
  CHECK_FALSE(off->repetition_penalty.has_value());
}

TEST_CASE("logprobs: chat takes a flag and a count of alternatives, text completions a count", "[unit]") {
  const std::string chat = R"({"model": "m", "messages": [{"role": "user", "content": "x"}], )";
  CHECK(ParseChatCompletionRequest(chat + R"("logprobs": true, "top_logprobs": 3})")->logprobs == 3);
  CHECK(ParseChatCompletionRequest(chat + R"("logprobs": true})")->logprobs == 0);
  CHECK(ParseChatCompletionRequest(chat + R"("logprobs": false})")->logprobs == -1);
  CHECK(ParseCompletionRequest(R"({"model": "m", "prompt": "x", "logprobs": 2})")->logprobs == 2);
  CHECK(ParseCompletionRequest(R"({"model": "m", "prompt": "x", "logprobs": 0})")->logprobs == 0);
  CHECK(ParseCompletionRequest(R"({"model": "m", "prompt": "x", "logprobs": null})")->logprobs == -1);
}

TEST_CASE("bad sampler controls name the field at fault", "[unit]") {
  const std::string prefix = R"({"model": "m", "messages": [{"role": "user", "content": "x"}], )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("logit_bias": [1, 2]})", "logit_bias"},
      {R"("logit_bias": {"abc": 1}})", "logit_bias.abc"},
      {R"("logit_bias": {"-3": 1}})", "logit_bias.-3"},
      {R"("logit_bias": {"99999999999": 1}})", "logit_bias.99999999999"},
      {R"("logit_bias": {"5": 101}})", "logit_bias.5"},
      {R"("logit_bias": {"5": "up"}})", "logit_bias.5"},
      {R"("frequency_penalty": 2.5})", "frequency_penalty"},
      {R"("presence_penalty": "high"})", "presence_penalty"},
      {R"("top_k": -2})", "top_k"},
      {R"("top_k": 1.5})", "top_k"},
      {R"("min_p": 1.5})", "min_p"},
      {R"("repetition_penalty": 0})", "repetition_penalty"},
      {R"("repetition_penalty": 3})", "repetition_penalty"},
  };
  for (const auto& [rest, param] : cases) {
    CheckRefused(ParseChatCompletionRequest(prefix + rest).status(), prefix + rest, param);
  }
}

TEST_CASE("invalid chat requests name the field at fault", "[unit]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"([1, 2])", ""},
      {R"({"model": 5, "messages": []})", "model"},
      {R"({"model": "m", "messages": []})", "messages"},
      {R"({"model": "m", "messages": [{"role": "user"}]})", "messages[0].content"},
      {R"({"model": "m", "messages": [{"role": "user", "content": 1}]})", "messages[0].content"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x", "tool_calls": []}], "seed": 1.5})", "seed"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [{"type": "retrieval"}]})",
       "tools[0].type"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": "yes"})", "logprobs"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "top_logprobs": 2})", "top_logprobs"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "logprobs": true, "top_logprobs": 21})",
       "top_logprobs"},
      {R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "tools": [
          {"type": "function", "function": {"name": "f"}}], "tool_choice": "required",
          "response_format": {"type": "json_object"}})", "response_format"},
  };
  for (const auto& [body, param] : cases) CheckRefused(ParseChatCompletionRequest(body).status(), body, param);
}

TEST_CASE("a text completion request carries one raw prompt and the shared sampling fields", "[unit]") {
  auto request = ParseCompletionRequest(R"({"model": "m", "prompt": "Once upon", "temperature": 0.5, "top_p": 0.9,
    "seed": 3, "stop": "\n", "stream": true, "stream_options": {"include_usage": true}, "echo": false,
    "logprobs": null, "suffix": "", "best_of": 1, "user": "u"})");
  REQUIRE(request.ok());
  CHECK(request->model == "m");
  CHECK(request->raw_prompt);
  REQUIRE(request->messages.size() == 1);
  CHECK(request->messages[0].content == "Once upon");
  CHECK(request->max_tokens == kDefaultCompletionTokens);
  CHECK(request->temperature == 0.5);
  CHECK(request->top_p == 0.9);
  CHECK(request->seed == 3);
  CHECK(request->stop == std::vector<std::string>{"\n"});
  CHECK(request->stream);
  CHECK(request->include_usage);
  auto listed = ParseCompletionRequest(R"({"model": "m", "prompt": ["one prompt"], "max_tokens": 40})");
  REQUIRE(listed.ok());
  CHECK(listed->messages[0].content == "one prompt");
  CHECK(listed->max_tokens == 40);
  CHECK_FALSE(ParseChatCompletionRequest(R"({"model": "m", "messages": [{"role": "user", "content": "x"}]})")
                  ->raw_prompt);
}

TEST_CASE("invalid text completion requests name the field at fault", "[unit]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"model": "m"})", "prompt"},
      {R"({"prompt": "x"})", "model"},
      {R"({"model": "m", "prompt": ""})", "prompt"},
      {R"({"model": "m", "prompt": 7})", "prompt"},
      {R"({"model": "m", "prompt": ["a", "b"]})", "prompt"},
      {R"({"model": "m", "prompt": [[1, 2, 3]]})", "prompt[0]"},
      {R"({"model": "m", "prompt": "x", "max_tokens": 0})", "max_tokens"},
      {R"({"model": "m", "prompt": "x", "temperature": 2.5})", "temperature"},
      {R"({"model": "m", "prompt": "x", "echo": true})", "echo"},
      {R"({"model": "m", "prompt": "x", "suffix": "end"})", "suffix"},
      {R"({"model": "m", "prompt": "x", "best_of": 3})", "best_of"},
      {R"({"model": "m", "prompt": "x", "logprobs": 6})", "logprobs"},
      {R"({"model": "m", "prompt": "x", "logprobs": true})", "logprobs"},
      {R"({"model": "m", "prompt": "x", "n": 0})", "n"},
      {R"({"model": "m", "prompt": "x", "n": 129})", "n"},
      {R"({"model": "m", "prompt": "x", "stream_options": {"include_usage": true}})", "stream_options"},
  };
  for (const auto& [body, param] : cases) CheckRefused(ParseCompletionRequest(body).status(), body, param);
}

TEST_CASE("embeddings requests take a string or strings and an encoding", "[unit]") {
  auto one = ParseEmbeddingsRequest(R"({"model": "e", "input": "hello"})");
  REQUIRE(one.ok());
  CHECK(one->input == std::vector<std::string>{"hello"});
  CHECK_FALSE(one->base64);
  auto many = ParseEmbeddingsRequest(R"({"model": "e", "input": ["a", "b"], "encoding_format": "base64",
                                         "dimensions": 8})");
  REQUIRE(many.ok());
  CHECK(many->input.size() == 2);
  CHECK(many->base64);
  CHECK(*many->dimensions == 8);
  CHECK(ErrorFromStatus(ParseEmbeddingsRequest(R"({"model": "e", "input": ["a", ""]})").status()).param ==
        "input[1]");
  CHECK(ErrorFromStatus(ParseEmbeddingsRequest(R"({"model": "e", "input": "a", "encoding_format": "int8"})")
                            .status())
            .param == "encoding_format");
}

TEST_CASE("status codes map to the OpenAI error statuses and types", "[unit]") {
  CHECK(ErrorFromStatus(absl::NotFoundError("x")).status == 404);
  CHECK(ErrorFromStatus(absl::ResourceExhaustedError("x")).status == 429);
  CHECK(ErrorFromStatus(absl::ResourceExhaustedError("x")).type == "rate_limit_error");
  CHECK(ErrorFromStatus(absl::FailedPreconditionError("not loaded")).status == 503);
  CHECK(ErrorFromStatus(absl::UnauthenticatedError("x")).status == 401);
  CHECK(ErrorFromStatus(absl::DeadlineExceededError("x")).status == 504);
  const server::OpenAiError internal = ErrorFromStatus(absl::InternalError("boom"));
  CHECK(internal.status == 500);
  CHECK(internal.message == "boom");
  const nlohmann::json json = nlohmann::json::parse(server::ErrorJson(internal));
  CHECK(json["error"]["param"].is_null());
  CHECK(json["error"]["type"] == "server_error");
}

TEST_CASE("streamed text is shown up to a tool-call marker and never a partial marker", "[unit]") {
  CHECK(ShowableToolText("Let me check.") == 13);
  CHECK(ShowableToolText("Let me check. <tool") == 14);
  CHECK(ShowableToolText("Let me check. <tool_call>{\"name\"") == 14);
  CHECK(ShowableToolText("ok [TOOL_") == 3);
  CHECK(ShowableToolText("  {\"name\": \"f\"") == 0);
  CHECK(ShowableToolText("   ") == 0);
  CHECK(ShowableToolText("a < b") == 5);
}

}  // namespace
}  // namespace catena::testing
