// retrieval_search: searches a collection of the caller's tenant through the run's CollectionSearcher.
#include "absl/strings/str_cat.h"
#include "agents/builtin_tools.h"
#include "agents/function_tool.h"
#include "chains/run_services.h"
#include "common/status.h"
#include "retrieval/collection_searcher.h"

namespace catena::agents {
namespace {

absl::StatusOr<chains::ToolOutput> Search(const chains::ToolCallContext& context, const nlohmann::ordered_json& args) {
  if (context.services == nullptr || context.services->retrieval == nullptr) {
    return absl::FailedPreconditionError("the retrieval service is not configured for this run");
  }
  const std::string name = args.at("collection").get<std::string>();
  CATENA_ASSIGN_OR_RETURN(retrieval::CollectionInfo collection,
                          context.services->retrieval->Describe(context.tenant, name));
  retrieval::SearchQuery query;
  query.text = args.at("query").get<std::string>();
  query.k = args.contains("top_k") ? args["top_k"].get<int>() : 5;
  query.mode = collection.spec.sparse ? retrieval::SearchMode::kHybrid : retrieval::SearchMode::kDense;
  query.filter = args.contains("filter") ? args["filter"].get<std::string>() : "";
  query.with_highlights = false;
  CATENA_ASSIGN_OR_RETURN(std::vector<retrieval::SearchResult> results,
                          context.services->retrieval->Search(context.tenant, name, query));
  nlohmann::ordered_json hits = nlohmann::ordered_json::array();
  for (const retrieval::SearchResult& result : results) {
    auto metadata = nlohmann::ordered_json::parse(result.document.metadata.dump());
    hits.push_back({{"id", result.document.id},
                    {"text", result.document.text},
                    {"source", result.document.source},
                    {"score", result.score},
                    {"metadata", std::move(metadata)}});
  }
  return JsonOutput({{"results", std::move(hits)}});
}

}  // namespace

std::shared_ptr<const chains::Tool> NewRetrievalSearchTool() {
  chains::ToolDefinition definition{
      .name = "retrieval_search",
      .description = "Searches a document collection and returns the best matching passages with their scores.",
      .parameters_json_schema =
          R"({"type":"object","properties":{"collection":{"type":"string","minLength":1},)"
          R"("query":{"type":"string","minLength":1},"top_k":{"type":"integer","minimum":1,"maximum":50},)"
          R"("filter":{"type":"string","description":"Metadata filter expression, e.g. lang == \"en\""}},)"
          R"("required":["collection","query"],"additionalProperties":false})",
      .source = "builtin"};
  return MakeFunctionTool(std::move(definition), Search);
}

}  // namespace catena::agents
