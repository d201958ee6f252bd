// retrieve: searches a collection of the run's tenant through services().retrieval and emits kRetrieved.
#include "absl/strings/str_cat.h"
#include "chains/nodes/node_types.h"
#include "chains/nodes/node_util.h"
#include "common/status.h"
#include "retrieval/collection_searcher.h"

namespace catena::chains {
namespace {

using retrieval::SearchQuery;

absl::Status ReadMode(const tmpl::Value& params, const retrieval::CollectionInfo& collection, SearchQuery& query) {
  const std::string fallback = collection.spec.sparse ? "hybrid" : "dense";
  CATENA_ASSIGN_OR_RETURN(std::string mode, nodes::GetString(params, "mode", fallback));
  CATENA_RETURN_IF_ERROR(nodes::CheckChoice("mode", mode, {"dense", "sparse", "hybrid"}));
  query.mode = mode == "dense"    ? retrieval::SearchMode::kDense
               : mode == "sparse" ? retrieval::SearchMode::kSparse
                                  : retrieval::SearchMode::kHybrid;
  CATENA_ASSIGN_OR_RETURN(std::string fusion, nodes::GetString(params, "fusion", "rrf"));
  CATENA_RETURN_IF_ERROR(nodes::CheckChoice("fusion", fusion, {"rrf", "weighted"}));
  query.fusion = fusion == "weighted" ? retrieval::Fusion::kWeighted : retrieval::Fusion::kReciprocalRank;
  CATENA_ASSIGN_OR_RETURN(double alpha, nodes::GetNumber(params, "alpha", 0.5, 0, 1));
  query.dense_weight = static_cast<float>(alpha);
  return absl::OkStatus();
}

absl::StatusOr<SearchQuery> QueryFrom(const tmpl::Value& params, const retrieval::CollectionInfo& collection) {
  SearchQuery query;
  CATENA_ASSIGN_OR_RETURN(query.text, nodes::RequireString(params, "query"));
  CATENA_ASSIGN_OR_RETURN(int64_t k, nodes::GetInt(params, "k", 5, 1, 1000));
  query.k = static_cast<int>(k);
  CATENA_RETURN_IF_ERROR(ReadMode(params, collection, query));
  CATENA_ASSIGN_OR_RETURN(query.filter, nodes::GetString(params, "filter"));
  CATENA_ASSIGN_OR_RETURN(double mmr, nodes::GetNumber(params, "mmr_lambda", 0, 0, 1));
  query.mmr_lambda = static_cast<float>(mmr);
  CATENA_ASSIGN_OR_RETURN(int64_t ef, nodes::GetInt(params, "ef_search", 0, 0, 100000));
  CATENA_ASSIGN_OR_RETURN(int64_t nprobe, nodes::GetInt(params, "nprobe", 0, 0, 100000));
  query.ef_search = static_cast<int>(ef);
  query.nprobe = static_cast<int>(nprobe);
  query.with_highlights = false;
  return query;
}

tmpl::Value DocumentValue(const retrieval::SearchResult& result) {
  return nodes::MakeDict({{"id", result.document.id},
                          {"text", result.document.text},
                          {"metadata", tmpl::Value::FromJson(result.document.metadata)},
                          {"source", result.document.source},
                          {"score", static_cast<double>(result.score)}});
}

absl::StatusOr<tmpl::Value> Retrieve(NodeCall& call) {
  CATENA_RETURN_IF_ERROR(nodes::NeedService(call.services().retrieval, "retrieval"));
  CATENA_ASSIGN_OR_RETURN(std::string name, nodes::RequireString(call.params(), "collection"));
  CATENA_ASSIGN_OR_RETURN(retrieval::CollectionInfo collection,
                          call.services().retrieval->Describe(call.tenant(), name));
  CATENA_ASSIGN_OR_RETURN(SearchQuery query, QueryFrom(call.params(), collection));
  CATENA_ASSIGN_OR_RETURN(std::vector<retrieval::SearchResult> results,
                          call.services().retrieval->Search(call.tenant(), name, query));
  std::vector<tmpl::Value> documents;
  std::vector<tmpl::Value> scores;
  for (const retrieval::SearchResult& result : results) {
    documents.push_back(DocumentValue(result));
    scores.emplace_back(static_cast<double>(result.score));
  }
  tmpl::Value document_list = tmpl::Value::List(std::move(documents));
  tmpl::Value score_list = tmpl::Value::List(std::move(scores));
  RunEvent event;
  event.kind = RunEvent::Kind::kRetrieved;
  event.data = nodes::MakeDict({{"documents", document_list}, {"scores", score_list}});
  call.Emit(std::move(event));
  return nodes::MakeDict({{"documents", document_list},
                          {"scores", score_list},
                          {"count", static_cast<int64_t>(results.size())}});
}

}  // namespace

std::unique_ptr<NodeType> NewRetrieveNodeType() {
  NodeTypeInfo info{
      .name = "retrieve",
      .summary = "Searches a collection of the run's tenant and emits a retrieved event.",
      .params = {{"collection", FieldType::kString, true, false, "", "Collection name."},
                 {"query", FieldType::kString, true, false, "", "Query text."},
                 {"k", FieldType::kInt, false, false, "5", "Documents to return, 1..1000."},
                 {"mode", FieldType::kString, false, false, "hybrid if the collection has a sparse index, else dense",
                  "dense, sparse or hybrid."},
                 {"filter", FieldType::kString, false, false, "", "Metadata filter expression, e.g. lang == \"en\"."},
                 {"fusion", FieldType::kString, false, false, "rrf", "Hybrid fusion: rrf or weighted."},
                 {"alpha", FieldType::kNumber, false, false, "0.5", "Weight of the dense score with fusion weighted."},
                 {"mmr_lambda", FieldType::kNumber, false, false, "0", "Diversify with MMR (0 = off, 1 = relevance)."},
                 {"ef_search", FieldType::kInt, false, false, "0", "HNSW search breadth; 0 = index default."},
                 {"nprobe", FieldType::kInt, false, false, "0", "IVF lists probed; 0 = index default."}},
      .outputs = {{"documents", FieldType::kList, "Hits [{id, text, metadata, source, score}], best first."},
                  {"scores", FieldType::kList, "Their scores."},
                  {"count", FieldType::kInt, "Number of hits."}}};
  return std::make_unique<nodes::SimpleNodeType>(std::move(info), [](const NodeSpec& spec, NodeCompileContext& ctx) {
    nodes::CheckLiteralChoice(spec, ctx, "mode", {"dense", "sparse", "hybrid"});
    nodes::CheckLiteralChoice(spec, ctx, "fusion", {"rrf", "weighted"});
    nodes::CheckLiteralRange(spec, ctx, "k", 1, 1000);
    return nodes::MakeSyncNode(Retrieve);
  });
}

}  // namespace catena::chains
