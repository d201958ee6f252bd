// PipelineStore: versions and latest pointers per tenant, paging, deletion, run traces with events and
// retention, and durability across reopen.
#include "chains/pipeline_store.h"

#include <catch2/catch.hpp>

#include "tests/support/temp_dir.h"

namespace catena::chains {
namespace {

v1::Pipeline Version(const std::string& name, const std::string& version, const std::string& source) {
  v1::Pipeline pipeline;
  pipeline.set_name(name);
  pipeline.set_version(version);
  pipeline.set_description("about " + name);
  pipeline.set_source(source);
  return pipeline;
}

struct Fixture {
  testing::TempDir dir{"pipeline-store"};
  int64_t now = 1000;
  std::unique_ptr<PipelineStore> Open(int64_t max_runs = 10000) {
    auto store = PipelineStore::Open({.path = (dir.path() / "pipelines").string(),
                                      .max_runs_per_tenant = max_runs,
                                      .clock = [this] { return now; }});
    REQUIRE(store.ok());
    return *std::move(store);
  }
};

v1::RunTrace Trace(const std::string& run_id, int64_t started, const std::string& state) {
  v1::RunTrace trace;
  trace.set_run_id(run_id);
  trace.set_pipeline("p");
  trace.set_version("v1");
  trace.set_state(state);
  trace.set_started_at_unix_ms(started);
  return trace;
}

v1::RunEvent TokenEvent(int64_t seq, const std::string& text) {
  v1::RunEvent event;
  event.set_seq(seq);
  event.mutable_token()->set_node("answer");
  event.mutable_token()->set_text_delta(text);
  return event;
}

TEST_CASE("the latest version of a pipeline is the one stored last, and older versions stay readable", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  REQUIRE(store->Put("t1", Version("qa", "aaa", "source one")).ok());
  fixture.now = 2000;
  auto second = store->Put("t1", Version("qa", "bbb", "source two"));
  REQUIRE(second.ok());
  CHECK(second->created_at_unix_ms() == 2000);

  auto latest = store->Get("t1", "qa", "");
  REQUIRE(latest.ok());
  CHECK(latest->version() == "bbb");
  CHECK(latest->source() == "source two");
  auto old = store->Get("t1", "qa", "aaa");
  REQUIRE(old.ok());
  CHECK(old->source() == "source one");
  CHECK(old->created_at_unix_ms() == 1000);

  fixture.now = 3000;  // storing an existing version again keeps its first time and makes it latest
  auto again = store->Put("t1", Version("qa", "aaa", "source one"));
  REQUIRE(again.ok());
  CHECK(again->created_at_unix_ms() == 1000);
  CHECK(store->Get("t1", "qa", "")->version() == "aaa");
}

TEST_CASE("pipelines of one tenant are invisible to another", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  REQUIRE(store->Put("bank", Version("qa", "aaa", "x")).ok());
  auto other = store->Get("shop", "qa", "");
  CHECK(other.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(other.status().message()), Catch::Contains("'qa'"));
  CHECK(store->List("shop", 10, "")->pipelines.empty());
  CHECK(store->Delete("shop", "qa").code() == absl::StatusCode::kNotFound);
  CHECK(store->Get("bank", "qa", "").ok());
}

TEST_CASE("an unknown version is NOT_FOUND naming the version", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  REQUIRE(store->Put("t", Version("qa", "aaa", "x")).ok());
  auto missing = store->Get("t", "qa", "zzz");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing.status().message()), Catch::Contains("version 'zzz'"));
}

TEST_CASE("list pages through the latest versions by name without sources", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  for (const char* name : {"delta", "alpha", "charlie", "bravo", "echo"}) {
    REQUIRE(store->Put("t", Version(name, "v1", "src")).ok());
  }
  REQUIRE(store->Put("t", Version("bravo", "v2", "src2")).ok());
  REQUIRE(store->Put("u", Version("aardvark", "v1", "src")).ok());

  std::vector<std::string> names;
  std::string token;
  int pages = 0;
  do {
    auto page = store->List("t", 2, token);
    REQUIRE(page.ok());
    for (const v1::Pipeline& pipeline : page->pipelines) {
      names.push_back(pipeline.name() + "@" + pipeline.version());
      CHECK(pipeline.source().empty());
      CHECK(pipeline.description() == "about " + pipeline.name());
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty());
  CHECK(names == std::vector<std::string>{"alpha@v1", "bravo@v2", "charlie@v1", "delta@v1", "echo@v1"});
  CHECK(pages == 3);
  CHECK(store->List("t", 0, "").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("delete removes every version of a pipeline and nothing else", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  REQUIRE(store->Put("t", Version("qa", "v1", "a")).ok());
  REQUIRE(store->Put("t", Version("qa", "v2", "b")).ok());
  REQUIRE(store->Put("t", Version("qa2", "v1", "c")).ok());
  REQUIRE(store->Delete("t", "qa").ok());
  CHECK(store->Get("t", "qa", "").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Get("t", "qa", "v1").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->Get("t", "qa2", "").ok());
  CHECK(store->Delete("t", "qa").code() == absl::StatusCode::kNotFound);
  REQUIRE(store->List("t", 10, "")->pipelines.size() == 1);
}

TEST_CASE("a run trace keeps its header and events in order, appended in batches", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  REQUIRE(store->PutRun("t", Trace("run-1", 100, "running")).ok());
  REQUIRE(store->AppendRunEvents("t", "run-1", 0, {TokenEvent(1, "a"), TokenEvent(2, "b")}).ok());
  REQUIRE(store->AppendRunEvents("t", "run-1", 2, {TokenEvent(3, "c")}).ok());
  v1::RunTrace done = Trace("run-1", 100, "completed");
  done.set_finished_at_unix_ms(150);
  (*done.mutable_outputs()->mutable_fields())["answer"].set_string_value("abc");
  REQUIRE(store->PutRun("t", done).ok());

  auto trace = store->GetRun("t", "run-1");
  REQUIRE(trace.ok());
  CHECK(trace->state() == "completed");
  CHECK(trace->finished_at_unix_ms() == 150);
  CHECK(trace->outputs().fields().at("answer").string_value() == "abc");
  REQUIRE(trace->events_size() == 3);
  CHECK(trace->events(0).token().text_delta() == "a");
  CHECK(trace->events(2).token().text_delta() == "c");
  auto header = store->GetRunHeader("t", "run-1");
  REQUIRE(header.ok());
  CHECK(header->first.events_size() == 0);
  CHECK(header->second == 3);
  CHECK(store->CountRuns("t").value() == 1);  // replacing the header does not count twice

  CHECK(store->GetRun("other", "run-1").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->AppendRunEvents("t", "nope", 0, {TokenEvent(1, "x")}).code() == absl::StatusCode::kNotFound);
}

TEST_CASE("only the newest traces per tenant are kept", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open(/*max_runs=*/3);
  for (int i = 0; i < 5; ++i) {
    const std::string id = "run-" + std::to_string(i);
    REQUIRE(store->PutRun("t", Trace(id, 100 + i, "completed")).ok());
    REQUIRE(store->AppendRunEvents("t", id, 0, {TokenEvent(1, id)}).ok());
  }
  REQUIRE(store->PutRun("u", Trace("run-0", 1, "completed")).ok());
  CHECK(store->CountRuns("t").value() == 3);
  CHECK(store->GetRun("t", "run-0").status().code() == absl::StatusCode::kNotFound);
  CHECK(store->GetRun("t", "run-1").status().code() == absl::StatusCode::kNotFound);
  auto kept = store->GetRun("t", "run-2");
  REQUIRE(kept.ok());
  REQUIRE(kept->events_size() == 1);
  CHECK(kept->events(0).token().text_delta() == "run-2");
  CHECK(store->GetRun("u", "run-0").ok());  // other tenants keep theirs
}

TEST_CASE("pipelines and traces survive reopening the store", "[unit]") {
  Fixture fixture;
  {
    auto store = fixture.Open(2);
    REQUIRE(store->Put("t", Version("qa", "v1", "a")).ok());
    REQUIRE(store->PutRun("t", Trace("r1", 1, "interrupted")).ok());
    REQUIRE(store->PutRun("t", Trace("r2", 2, "completed")).ok());
  }
  auto store = fixture.Open(2);
  CHECK(store->Get("t", "qa", "")->source() == "a");
  CHECK(store->GetRun("t", "r1")->state() == "interrupted");
  CHECK(store->CountRuns("t").value() == 2);
  REQUIRE(store->PutRun("t", Trace("r3", 3, "running")).ok());  // the count was reloaded: r1 goes
  CHECK(store->GetRun("t", "r1").status().code() == absl::StatusCode::kNotFound);
}

TEST_CASE("names with NUL bytes and empty names are rejected", "[unit]") {
  Fixture fixture;
  auto store = fixture.Open();
  CHECK(store->Put("t", Version(std::string("a\0b", 3), "v", "x")).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(store->Put("t", Version("", "v", "x")).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(store->PutRun("t", Trace("", 1, "running")).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::chains
