// The segment node on the hashing embedder: planted groups of customer descriptions come back as clusters
// (exact partition, with k given and with k auto), labels name the group's own words, representatives are
// members, runs repeat exactly for a seed, and bad input fails with messages that say what to fix.
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <vector>

#include "tests/chains/fake_node_call.h"
#include "tests/chains/hashing_embedders.h"

namespace catena::chains {
namespace {

using testing::CompileNode;
using testing::FakeCompileContext;
using testing::FakeNodeCall;
using testing::HashingEmbedders;
using testing::J;
using testing::ParamsOf;
using Json = nlohmann::ordered_json;

// Fifteen customers in three planted groups (group = index % 3), interleaved so order cannot help.
Json Customers() {
  const std::vector<std::string> texts = {
      "university student on a tight budget who shares a student flat",
      "frequent traveller who flies abroad for work and pays in foreign currency",
      "retired couple living on a pension who want safe savings with interest",
      "student at university paying rent with a part-time campus job",
      "flies abroad every month and pays in dollars and pounds when travelling",
      "retiree saving part of the pension and looking for interest on savings",
      "first-year student who needs a cheap account for university",
      "travels abroad for work with hotels, flights and foreign currency payments",
      "retired teacher who wants her pension savings to earn interest",
      "student living on a student loan and a campus job",
      "frequent flyer who travels abroad and withdraws foreign currency",
      "pensioner who wants safe savings that earn interest",
      "postgraduate student at university looking for a student account",
      "consultant who travels abroad weekly and pays hotels in foreign currency",
      "retired nurse with a pension putting savings aside for interest",
  };
  Json items = Json::array();
  for (size_t i = 0; i < texts.size(); ++i) items.push_back({{"id", "c" + std::to_string(i)}, {"text", texts[i]}});
  return items;
}

std::unique_ptr<FakeNodeCall> Run(const Json& with, const inference::EmbedderRegistry& embedders) {
  FakeCompileContext compile;
  auto impl = CompileNode("segment", with, compile);
  INFO(compile.Messages());
  REQUIRE(impl != nullptr);
  auto call = std::make_unique<FakeNodeCall>(RunServices{.embedders = &embedders}, ParamsOf("segment", with));
  impl->Start(*call);
  REQUIRE(call->finish_count() == 1);
  return call;
}

// Whether the node's assignments split the customers exactly into the planted groups.
bool MatchesPlanted(const nlohmann::json& assignments) {
  for (size_t i = 0; i < assignments.size(); ++i) {
    for (size_t j = 0; j < assignments.size(); ++j) {
      if ((assignments[i] == assignments[j]) != (i % 3 == j % 3)) return false;
    }
  }
  return true;
}

TEST_CASE("segment recovers planted customer groups and labels them with their own words", "[unit]") {
  auto embedders = HashingEmbedders();
  auto call = Run(Json{{"items", Customers()}, {"k", 3}}, *embedders);
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["k"] == 3);
  CHECK(out["embedder"] == "hashing-384");
  CHECK(MatchesPlanted(out["assignments"]));
  CHECK(out["silhouette"].get<double>() > 0.05);
  REQUIRE(out["clusters"].size() == 3);
  std::set<std::string> labels;
  for (const auto& cluster : out["clusters"]) {
    CHECK(cluster["size"] == 5);
    CHECK(cluster["members"].size() == 5);
    const int group = cluster["members"][0].get<int>() % 3;
    for (const auto& member : cluster["members"]) CHECK(out["assignments"][member.get<int>()] == cluster["id"]);
    CHECK(cluster["ids"][0] == "c" + std::to_string(cluster["members"][0].get<int>()));
    const int representative = cluster["representative"]["index"].get<int>();
    CHECK(representative % 3 == group);
    CHECK(cluster["representative"]["id"] == "c" + std::to_string(representative));
    const std::string expected_term = group == 0 ? "student" : group == 1 ? "abroad" : "interest";
    INFO(cluster["terms"].dump());
    CHECK(cluster["terms"][0] == expected_term);
    CHECK(cluster["label"].get<std::string>().rfind(expected_term, 0) == 0);
    labels.insert(cluster["label"].get<std::string>());
  }
  CHECK(labels.size() == 3);
}

TEST_CASE("segment with k auto chooses the planted number of groups by silhouette", "[unit]") {
  auto embedders = HashingEmbedders();
  Json plain = Json::array();
  for (const auto& item : Customers()) plain.push_back(item["text"]);
  auto call = Run(Json{{"items", plain}, {"k", "auto"}, {"k_max", 6}}, *embedders);
  REQUIRE(call->output().ok());
  const nlohmann::json out = J(*call->output());
  CHECK(out["k"] == 3);
  CHECK(MatchesPlanted(out["assignments"]));
  REQUIRE(out["scores"].size() == 5);  // k = 2..6
  for (const auto& score : out["scores"]) CHECK(score["silhouette"].get<double>() <= out["silhouette"].get<double>());
  CHECK_FALSE(out["clusters"][0].contains("ids"));
}

TEST_CASE("segment gives the same clusters for the same seed", "[unit]") {
  auto embedders = HashingEmbedders();
  const Json with = {{"items", Customers()}, {"k", 4}, {"seed", 5}};
  const nlohmann::json first = J(*Run(with, *embedders)->output());
  const nlohmann::json second = J(*Run(with, *embedders)->output());
  CHECK(first == second);
}

TEST_CASE("segment reports empty input, k above the texts, unknown embedders and bad items", "[unit]") {
  auto embedders = HashingEmbedders();
  auto error = [&](const Json& with) { return Run(with, *embedders)->output().status(); };
  CHECK_THAT(std::string(error(Json{{"items", Json::array()}}).message()), Catch::Contains("no items to cluster"));
  const absl::Status too_many = error(Json{{"items", {"a card", "a loan", "a card"}}, {"k", 3}});
  CHECK(absl::IsInvalidArgument(too_many));
  CHECK_THAT(std::string(too_many.message()), Catch::Contains("k = 3 but the items hold only 2 distinct texts"));
  CHECK_THAT(std::string(error(Json{{"items", {"a card", "a loan"}}}).message()),
             Catch::Contains("k: auto tries k in 2..8"));
  CHECK(absl::IsNotFound(error(Json{{"items", {"a", "b"}}, {"k", 1}, {"embedder", "glove-300d"}})));
  CHECK_THAT(std::string(error(Json{{"items", {Json{{"name", "x"}}}}, {"k", 1}}).message()),
             Catch::Contains("items[0] must be a string or a mapping with a string 'text' field"));
  CHECK_THAT(std::string(error(Json{{"items", {"ok", "  "}}, {"k", 1}}).message()),
             Catch::Contains("items[1] has an empty text"));
  FakeCompileContext compile;
  CompileNode("segment", Json{{"items", {"a"}}, {"k", "many"}}, compile);
  CHECK_THAT(compile.Messages(), Catch::Contains("parameter 'k' must be an int or \"auto\""));
  FakeCompileContext range;
  CompileNode("segment", Json{{"items", {"a"}}, {"k", 0}}, range);
  CHECK_THAT(range.Messages(), Catch::Contains("parameter 'k' = 0 must be in [1, 64]"));
}

}  // namespace
}  // namespace catena::chains
