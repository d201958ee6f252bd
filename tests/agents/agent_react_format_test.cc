// The ReAct text protocol: instructions list every tool, replies parse into actions or final answers, and
// malformed replies get errors that tell the model what to fix.
#include <catch2/catch.hpp>

#include "agents/react_format.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

std::vector<chains::ToolDefinition> Tools() {
  chains::ToolDefinition balance;
  balance.name = "lookup_balance";
  balance.description = "Balance of an account.";
  balance.parameters_json_schema = R"({"type":"object","properties":{"account":{"type":"string"}}})";
  chains::ToolDefinition calc;
  calc.name = "calculator";
  calc.description = "Evaluates arithmetic.";
  return {balance, calc};
}

TEST_CASE("ReAct instructions name every tool with its description and schema and the reply format", "[unit]") {
  const std::string text = ReactInstructions(Tools());
  CHECK_THAT(text, Catch::Contains("- lookup_balance: Balance of an account."));
  CHECK_THAT(text, Catch::Contains(R"({"type":"object","properties":{"account":{"type":"string"}}})"));
  CHECK_THAT(text, Catch::Contains("- calculator: Evaluates arithmetic."));
  CHECK_THAT(text, Catch::Contains("Action Input:"));
  CHECK_THAT(text, Catch::Contains("Final Answer:"));
  CHECK(ReactStopStrings() == std::vector<std::string>{"\nObservation:"});
}

TEST_CASE("a ReAct action parses into the tool, its JSON arguments and the thought", "[unit]") {
  auto reply = ParseReactReply(
      "Thought: I need the balance first.\nAction: lookup_balance\nAction Input: {\"account\": \"A1\"}\n", Tools());
  REQUIRE(reply.ok());
  CHECK_FALSE(reply->is_final);
  CHECK(reply->thought == "I need the balance first.");
  CHECK(reply->action == "lookup_balance");
  CHECK(nlohmann::json::parse(reply->action_input_json) == nlohmann::json{{"account", "A1"}});
}

TEST_CASE("multi-line thoughts, fenced inputs and lower-case labels are read; a self-written observation is cut",
          "[unit]") {
  auto reply = ParseReactReply(
      "I should check.\nthought: twice\n  more\naction: calculator\naction input: ```json\n{\"expression\": \"1+2\"}\n```"
      "\nObservation: 3 (made up)\nFinal Answer: 3",
      Tools());
  REQUIRE(reply.ok());
  CHECK(reply->thought == "twice\n  more");
  CHECK(reply->action == "calculator");
  CHECK(reply->action_input_json == R"({"expression":"1+2"})");
}

TEST_CASE("a final answer parses with its thought", "[unit]") {
  auto reply = ParseReactReply("Thought: I know it.\nFinal Answer: The balance is 120 EUR.\nHave a nice day.", Tools());
  REQUIRE(reply.ok());
  CHECK(reply->is_final);
  CHECK(reply->thought == "I know it.");
  CHECK(reply->final_answer == "The balance is 120 EUR.\nHave a nice day.");
}

TEST_CASE("malformed ReAct replies get errors that say what to fix", "[unit]") {
  auto message = [](std::string_view text) {
    auto reply = ParseReactReply(text, Tools());
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.status().code() == absl::StatusCode::kInvalidArgument);
    return std::string(reply.status().message());
  };
  CHECK(message("I think the answer is 4.") == "your reply has no 'Action:' line and no 'Final Answer:' line");
  CHECK(message("Action: transfer_all\nAction Input: {}") ==
        "unknown tool 'transfer_all' in 'Action:' (available: lookup_balance, calculator)");
  CHECK(message("Action: calculator") == "'Action: calculator' has no 'Action Input:' line with its JSON arguments");
  CHECK_THAT(message("Action: calculator\nAction Input: {\"expression\": "),
             Catch::StartsWith("'Action Input' is not valid JSON: "));
  CHECK(message("Action: calculator\nAction Input: [1, 2]") == "'Action Input' must be a JSON object, got array");
  CHECK(message("Action: calculator\nAction Input: {}\nFinal Answer: 3") ==
        "your reply has both 'Action:' and 'Final Answer:'; give only one of them");
  CHECK(ReactFormatError(absl::InvalidArgumentError("x")) ==
        "Observation: invalid reply format: x. Reply with 'Thought:', then either 'Action:' and 'Action Input:' or "
        "'Final Answer:'.");
  CHECK(ReactObservation("boom", true) == "Observation: error: boom");
}

}  // namespace
}  // namespace catena::agents
