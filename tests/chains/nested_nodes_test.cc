// map, loop and subpipeline through a fake NodeCall whose RunChild runs a lambda: what each child receives,
// result order, the concurrency bound, errors, inline children without recursion, loop exit conditions, and
// subpipeline resolution.
#include <catch2/catch.hpp>

#include <atomic>

#include "common/executor.h"
#include "tests/chains/fake_node_call.h"

namespace catena::chains {
namespace {

using testing::CompileNode;
using testing::FakeCompileContext;
using testing::FakeNodeCall;
using testing::J;
using testing::ParamsOf;
using Json = nlohmann::ordered_json;

const Json kBody = Json::parse(R"({"nodes": {"x": {"type": "transform", "with": {"v": "{{ item }}"}}},
                                   "outputs": {"v": "{{ nodes.x.v }}"}})");

tmpl::Value ParentContext() {
  return tmpl::Value::FromJson(nlohmann::json::parse(R"({"inputs": {"factor": 10}, "nodes": {}})"));
}

TEST_CASE("map runs the body per item with item, index and the parent's inputs, keeping item order", "[unit]") {
  FakeCompileContext compile;
  const Json with = {{"items", {3, 1, 2}}, {"body", kBody}};
  auto impl = CompileNode("map", with, compile);
  REQUIRE(impl != nullptr);
  CHECK(compile.body_roots == std::vector<std::string>{"item", "index"});
  FakeNodeCall call({}, ParamsOf("map", with), ParentContext());
  std::vector<nlohmann::json> seen;
  call.child_runner = [&](auto, tmpl::Value roots, testing::ChildDone done) {
    seen.push_back(J(roots));
    const nlohmann::json r = J(roots);
    done(tmpl::Value::FromJson(nlohmann::json{
        {"v", r["item"].get<int>() * r["inputs"]["factor"].get<int>() + r["index"].get<int>()}}));
  };
  impl->Start(call);
  REQUIRE(call.output().ok());
  CHECK(J(*call.output()) == nlohmann::json::parse(R"({"results": [{"v": 30}, {"v": 11}, {"v": 22}], "count": 3})"));
  REQUIRE(seen.size() == 3);
  CHECK(seen[1] == nlohmann::json::parse(R"({"inputs": {"factor": 10}, "item": 1, "index": 1})"));
  CHECK(call.finish_count() == 1);
}

TEST_CASE("map never runs more bodies at once than its concurrency", "[unit]") {
  Executor executor({.threads = 4});
  FakeCompileContext compile;
  Json items = Json::array();
  for (int i = 0; i < 20; ++i) items.push_back(i);
  const Json with = {{"items", items}, {"concurrency", 3}, {"body", kBody}};
  auto impl = CompileNode("map", with, compile);
  FakeNodeCall call({.executor = &executor}, ParamsOf("map", with), ParentContext());
  std::atomic<int> running{0}, peak{0};
  call.child_runner = [&](auto, tmpl::Value roots, testing::ChildDone done) {
    const int now = ++running;
    int before = peak.load();
    while (now > before && !peak.compare_exchange_weak(before, now)) {}
    const int64_t item = roots.map().Find("item")->int_value();
    executor.PostAfter(std::chrono::milliseconds(2 + item % 3), [&running, item, done] {
      --running;
      done(tmpl::Value::FromJson(nlohmann::json{{"v", item}}));
    });
  };
  impl->Start(call);
  REQUIRE(call.Wait());
  REQUIRE(call.output().ok());
  CHECK(peak.load() == 3);
  const nlohmann::json out = J(*call.output());
  REQUIRE(out["count"] == 20);
  for (int i = 0; i < 20; ++i) CHECK(out["results"][i]["v"] == i);
  CHECK(call.finish_count() == 1);
}

TEST_CASE("map fails with the first body error, after the running bodies end", "[unit]") {
  FakeCompileContext compile;
  const Json with = {{"items", {1, 2, 3, 4}}, {"concurrency", 1}, {"body", kBody}};
  auto impl = CompileNode("map", with, compile);
  FakeNodeCall call({}, ParamsOf("map", with), ParentContext());
  int calls = 0;
  call.child_runner = [&](auto, tmpl::Value roots, testing::ChildDone done) {
    ++calls;
    if (roots.map().Find("item")->int_value() == 2) return done(absl::InternalError("boom"));
    done(tmpl::Value::Dict());
  };
  impl->Start(call);
  CHECK(calls == 2);  // nothing starts after the failure
  REQUIRE_FALSE(call.output().ok());
  CHECK(std::string(call.output().status().message()) == "map item 1: boom");
}

TEST_CASE("map over many inline bodies does not recurse", "[unit]") {
  FakeCompileContext compile;
  Json items = Json::array();
  for (int i = 0; i < 10000; ++i) items.push_back(i);
  const Json with = {{"items", items}, {"concurrency", 1}, {"body", kBody}};
  auto impl = CompileNode("map", with, compile);
  FakeNodeCall call({}, ParamsOf("map", with), ParentContext());
  call.child_runner = [](auto, tmpl::Value roots, testing::ChildDone done) { done(*roots.map().Find("index")); };
  impl->Start(call);
  REQUIRE(call.output().ok());
  CHECK(call.output()->map().Find("count")->int_value() == 10000);
  CHECK(call.output()->map().Find("results")->list().items[9999].int_value() == 9999);
}

TEST_CASE("map without a body or over a non-list is reported", "[unit]") {
  FakeCompileContext compile;
  CHECK(CompileNode("map", Json{{"items", {1}}}, compile) == nullptr);
  CHECK_THAT(compile.Messages(), Catch::Contains("map needs `body`"));
  FakeCompileContext ok;
  const Json with = {{"items", "abc"}, {"body", kBody}};
  auto impl = CompileNode("map", with, ok);
  FakeNodeCall call({}, ParamsOf("map", with));
  impl->Start(call);
  CHECK_THAT(std::string(call.output().status().message()), Catch::Contains("parameter 'items' must be a list"));
}

TEST_CASE("loop passes iteration and the previous outputs, and stops when until holds", "[unit]") {
  FakeCompileContext compile;
  const Json with = {{"max_iterations", 10}, {"until", "{{ loop.last.total >= 6 }}"}, {"body", kBody}};
  auto impl = CompileNode("loop", with, compile);
  REQUIRE(impl != nullptr);
  INFO(compile.Messages());
  REQUIRE(compile.problems().empty());
  CHECK(compile.body_roots == std::vector<std::string>{"loop"});
  FakeNodeCall call({}, ParamsOf("loop", with), ParentContext());
  std::vector<nlohmann::json> loops;
  call.child_runner = [&](auto, tmpl::Value roots, testing::ChildDone done) {
    const nlohmann::json loop = J(*roots.map().Find("loop"));
    loops.push_back(loop);
    const int previous = loop["last"].is_null() ? 0 : loop["last"]["total"].get<int>();
    done(tmpl::Value::FromJson(nlohmann::json{{"total", previous + loop["iteration"].get<int>() + 1}}));
  };
  impl->Start(call);
  REQUIRE(call.output().ok());
  // totals: 1, 3, 6 -> stops after the third iteration.
  CHECK(J(*call.output()) == nlohmann::json::parse(
                                 R"({"iterations": 3, "last": {"total": 6},
                                     "results": [{"total": 1}, {"total": 3}, {"total": 6}]})"));
  REQUIRE(loops.size() == 3);
  CHECK(loops[0] == nlohmann::json::parse(R"({"iteration": 0, "last": null})"));
  CHECK(loops[2] == nlohmann::json::parse(R"({"iteration": 2, "last": {"total": 3}})"));
}

TEST_CASE("loop stops at max_iterations and reports bad bounds and bodies", "[unit]") {
  FakeCompileContext compile;
  const Json with = {{"max_iterations", 4}, {"body", kBody}};
  auto impl = CompileNode("loop", with, compile);
  FakeNodeCall call({}, ParamsOf("loop", with), ParentContext());
  call.child_runner = [](auto, tmpl::Value, testing::ChildDone done) { done(tmpl::Value::Dict()); };
  impl->Start(call);
  CHECK(call.output()->map().Find("iterations")->int_value() == 4);

  FakeCompileContext bad;
  bad.fail_bodies = true;
  CHECK(CompileNode("loop", Json{{"max_iterations", 5000}, {"body", kBody}}, bad) == nullptr);
  CHECK_THAT(bad.Messages(), Catch::Contains("parameter 'max_iterations' = 5000 must be in [1, 1000]"));
  CHECK_THAT(bad.Messages(), Catch::Contains("body has problems"));

  FakeCompileContext failing;
  auto failing_impl = CompileNode("loop", Json{{"max_iterations", 3}, {"body", kBody}}, failing);
  FakeNodeCall failing_call({}, ParamsOf("loop", Json{{"max_iterations", 3}}), ParentContext());
  failing_call.child_runner = [](auto, tmpl::Value, testing::ChildDone done) { done(absl::InternalError("x")); };
  failing_impl->Start(failing_call);
  CHECK(std::string(failing_call.output().status().message()) == "loop iteration 0: x");
}

class FakeResolver final : public PipelineResolver {
 public:
  absl::StatusOr<std::shared_ptr<const CompiledPipeline>> Resolve(std::string_view tenant, std::string_view name,
                                                                  std::string_view version) const override {
    if (name != "triage") return absl::NotFoundError("pipeline '" + std::string(name) + "' not found");
    auto pipeline = std::make_shared<CompiledPipeline>();
    pipeline->version = std::string(tenant) + "/" + std::string(version);
    return pipeline;
  }
};

TEST_CASE("subpipeline resolves the pipeline in the run's tenant and outputs the child's outputs", "[unit]") {
  FakeResolver resolver;
  FakeCompileContext compile;
  const Json with = Json::parse(R"({"pipeline": "triage", "version": "v2", "inputs": {"q": "hi"}})");
  auto impl = CompileNode("subpipeline", with, compile);
  FakeNodeCall call({.pipelines = &resolver}, ParamsOf("subpipeline", with));
  std::string version;
  call.child_runner = [&](std::shared_ptr<const CompiledPipeline> child, tmpl::Value inputs, testing::ChildDone done) {
    version = child->version;
    done(tmpl::Value::FromJson(nlohmann::json{{"answer", J(inputs)["q"].get<std::string>() + "!"}}));
  };
  impl->Start(call);
  CHECK(version == "t1/v2");
  REQUIRE(call.output().ok());
  CHECK(J(*call.output()) == nlohmann::json{{"answer", "hi!"}});

  FakeNodeCall missing({.pipelines = &resolver}, ParamsOf("subpipeline", Json{{"pipeline", "nope"}}));
  impl->Start(missing);
  CHECK(absl::IsNotFound(missing.output().status()));
  FakeNodeCall no_store({}, ParamsOf("subpipeline", with));
  impl->Start(no_store);
  CHECK(absl::IsFailedPrecondition(no_store.output().status()));
}

}  // namespace
}  // namespace catena::chains
