// `catena pipeline ...` and `catena chat` against a live catenad with the test models: output formats and exit
// codes.
#include <catch2/catch.hpp>
#include <regex>

#include "tests/chains/pipeline_service_fixture.h"

namespace catena::testing {
namespace {

RunResult Catena(PipelineServer& server, std::vector<std::string> args) {
  args.insert(args.begin(), {BuiltProgram("catena"), "--address", server.catenad().grpc_address(), "--tenant", "bank"});
  return RunToCompletion(args, std::chrono::seconds(30));
}

TEST_CASE("catena pipeline validate prints problems as file:line:col and fails on invalid files", "[integration]") {
  PipelineServer server;
  TempDir dir("pipeline-cli");
  const std::string broken = dir.Write("broken.yaml", kBrokenPipeline).string();
  const std::string good = dir.Write("qa.yaml", kQaPipeline).string();

  RunResult bad = Catena(server, {"pipeline", "validate", good, broken});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.out, Catch::Contains(good + ": ok\n"));
  CHECK(
      std::regex_search(bad.out, std::regex(std::regex_replace(broken, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                            R"(:6:\d+: node 'first': .*transfrom)")));
  CHECK_THAT(bad.out, Catch::Contains(broken + ":10:") && Catch::Contains("node 'second'"));

  RunResult ok = Catena(server, {"pipeline", "validate", good});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == good + ": ok\n");
}

TEST_CASE("catena pipeline deploy, list, get, run, trace and delete work together", "[integration]") {
  PipelineServer server;
  TempDir dir("pipeline-cli");
  const std::string file = dir.Write("qa.yaml", kQaPipeline).string();

  RunResult deploy = Catena(server, {"pipeline", "deploy", file});
  CHECK(deploy.exit_code == 0);
  CHECK(deploy.out == "deployed qa version " + Sha256Hex(kQaPipeline).substr(0, 12) + "\n");
  RunResult broken = Catena(server, {"pipeline", "deploy", dir.Write("broken.yaml", kBrokenPipeline).string()});
  CHECK(broken.exit_code == 1);
  CHECK_THAT(broken.err, Catch::Contains("transfrom"));

  RunResult list = Catena(server, {"pipeline", "list"});
  CHECK(list.out == "qa\t" + Sha256Hex(kQaPipeline).substr(0, 12) + "\tanswers with the test model\n");
  CHECK(Catena(server, {"pipeline", "get", "qa"}).out == kQaPipeline);

  RunResult run = Catena(server, {"pipeline", "run", "qa", "--input", "question=hello there"});
  CHECK(run.exit_code == 0);
  CHECK(run.out == "{\"answer\":\"echo: hello there\"}\n");
  std::smatch match;
  REQUIRE(std::regex_search(run.err, match, std::regex(R"(run (\S+))")));
  const std::string run_id = match[1];

  RunResult trace = Catena(server, {"pipeline", "trace", run_id});
  CHECK(trace.exit_code == 0);
  CHECK_THAT(trace.out, Catch::StartsWith("run " + run_id + "\npipeline qa version "));
  CHECK_THAT(trace.out, Catch::Contains("\nstate completed\n"));
  CHECK_THAT(trace.out, Catch::Contains("inputs {\"question\":\"hello there\"}\n"));
  CHECK_THAT(trace.out, Catch::Contains(" node_finished answer "));
  CHECK_THAT(trace.out, Catch::Contains("outputs {\"answer\":\"echo: hello there\"}\n"));

  RunResult stream =
      Catena(server, {"pipeline", "run", "qa", "--inputs-json", R"({"question": "stream me"})", "--stream"});
  CHECK(stream.exit_code == 0);
  const size_t newline = stream.out.find('\n');
  REQUIRE(newline != std::string::npos);
  CHECK(WithoutSpaces(stream.out.substr(0, newline)) == WithoutSpaces("echo: stream me"));
  CHECK(stream.out.substr(newline + 1) == "{\"answer\":\"echo: stream me\"}\n");

  CHECK(Catena(server, {"pipeline", "run", "nope"}).exit_code == 1);
  CHECK(Catena(server, {"pipeline", "delete", "qa"}).out == "deleted qa\n");
  RunResult gone = Catena(server, {"pipeline", "get", "qa"});
  CHECK(gone.exit_code == 1);
  CHECK_THAT(gone.err, Catch::Contains("NOT_FOUND"));
}

TEST_CASE("catena pipeline run stops at a handoff and resume finishes the run", "[integration]") {
  PipelineServer server;
  TempDir dir("pipeline-cli");
  REQUIRE(Catena(server, {"pipeline", "deploy", dir.Write("transfer.yaml", kTransferPipeline).string()}).exit_code ==
          0);
  RunResult waiting = Catena(server, {"pipeline", "run", "transfer", "--input", "amount=250", "--run-id", "t-250"});
  CHECK(waiting.exit_code == 0);
  CHECK_THAT(waiting.out, Catch::StartsWith("interrupted at node approve: approve transfer of 250 EUR\n"));
  RunResult resumed = Catena(server, {"pipeline", "resume", "t-250", "--approve"});
  CHECK(resumed.exit_code == 0);
  CHECK(resumed.out == "{\"status\":\"approved\"}\n");
}

TEST_CASE("catena chat sends each line to the pipeline's required string input and streams the reply",
          "[integration]") {
  PipelineServer server;
  REQUIRE(server.Put("bank", kQaPipeline).ok());
  const std::string command = "printf 'first question\\n\\nsecond one\\n' | '" + BuiltProgram("catena") +
                              "' --address " + server.catenad().grpc_address() + " --tenant bank chat qa";
  RunResult chat = RunToCompletion({"/bin/sh", "-c", command}, std::chrono::seconds(30));
  CHECK(chat.exit_code == 0);
  std::vector<std::string> lines;
  for (size_t start = 0, end; (end = chat.out.find('\n', start)) != std::string::npos; start = end + 1) {
    lines.push_back(chat.out.substr(start, end - start));
  }
  REQUIRE(lines.size() == 2);  // the empty line is not sent
  CHECK(WithoutSpaces(lines[0]) == WithoutSpaces("echo: first question"));
  CHECK(WithoutSpaces(lines[1]) == WithoutSpaces("echo: second one"));

  RunResult unknown = RunToCompletion(
      {"/bin/sh", "-c",
       "echo hi | '" + BuiltProgram("catena") + "' --address " + server.catenad().grpc_address() + " chat nope"},
      std::chrono::seconds(30));
  CHECK(unknown.exit_code == 1);
}

}  // namespace
}  // namespace catena::testing
