#include "remote/grpc_retrieval.h"

#include <cmath>

#include "common/status.h"
#include "retrieval/proto_convert.h"

namespace catena::remote {
namespace {

// Doubles holding whole numbers (within +-2^53) become integers again, recursively.
void RestoreIntegers(nlohmann::json& value) {
  if (value.is_number_float()) {
    const double number = value.get<double>();
    constexpr double kExact = 9007199254740992.0;
    if (std::trunc(number) == number && std::fabs(number) <= kExact) value = static_cast<int64_t>(number);
    return;
  }
  if (value.is_structured()) {
    for (auto& element : value) RestoreIntegers(element);
  }
}

v1::SearchMode ModeToProto(retrieval::SearchMode mode) {
  switch (mode) {
    case retrieval::SearchMode::kSparse:
      return v1::SEARCH_MODE_SPARSE;
    case retrieval::SearchMode::kHybrid:
      return v1::SEARCH_MODE_HYBRID;
    case retrieval::SearchMode::kDense:
      break;
  }
  return v1::SEARCH_MODE_DENSE;
}

}  // namespace

v1::SearchRequest SearchRequestFor(const std::string& name, const retrieval::SearchQuery& query) {
  v1::SearchRequest request;
  request.set_collection(name);
  request.set_query(query.text);
  request.mutable_vector()->Assign(query.vector.begin(), query.vector.end());
  request.set_k(query.k);
  request.set_mode(ModeToProto(query.mode));
  request.set_filter(query.filter);
  request.set_ef_search(query.ef_search);
  request.set_nprobe(query.nprobe);
  request.set_fusion(query.fusion == retrieval::Fusion::kWeighted ? "weighted" : "rrf");
  request.set_dense_weight(query.dense_weight);
  request.set_mmr_lambda(query.mmr_lambda);
  return request;
}

retrieval::SearchResult SearchResultFromProto(const v1::SearchHit& hit) {
  retrieval::SearchResult result;
  result.document = retrieval::DocumentFromProto(hit.document());
  RestoreIntegers(result.document.metadata);
  result.score = hit.score();
  result.dense_score = hit.dense_score();
  result.sparse_score = hit.sparse_score();
  result.highlights.assign(hit.highlights().begin(), hit.highlights().end());
  return result;
}

GrpcRetrieval::GrpcRetrieval(RemoteServiceOptions options)
    : caller_(std::move(options)), stub_(v1::RetrievalService::NewStub(caller_.channel())) {}

absl::StatusOr<retrieval::CollectionInfo> GrpcRetrieval::Describe(const std::string& tenant,
                                                                  const std::string& name) const {
  v1::DescribeCollectionRequest request;
  request.set_name(name);
  v1::Collection response;
  CATENA_RETURN_IF_ERROR(caller_.Call(
      tenant, "RetrievalService.DescribeCollection", true,
      [&](grpc::ClientContext& context) { return stub_->DescribeCollection(&context, request, &response); }));
  CATENA_ASSIGN_OR_RETURN(retrieval::CollectionSpec spec, retrieval::SpecFromProto(response.spec()));
  return retrieval::CollectionInfo{.tenant = tenant,
                                   .name = response.name(),
                                   .spec = std::move(spec),
                                   .created_at_unix_ms = response.created_at_unix_ms()};
}

absl::StatusOr<std::vector<retrieval::SearchResult>> GrpcRetrieval::Search(const std::string& tenant,
                                                                           const std::string& name,
                                                                           const retrieval::SearchQuery& query) const {
  const v1::SearchRequest request = SearchRequestFor(name, query);
  v1::SearchResponse response;
  CATENA_RETURN_IF_ERROR(caller_.Call(tenant, "RetrievalService.Search", true, [&](grpc::ClientContext& context) {
    return stub_->Search(&context, request, &response);
  }));
  std::vector<retrieval::SearchResult> results;
  results.reserve(response.hits_size());
  for (const v1::SearchHit& hit : response.hits()) results.push_back(SearchResultFromProto(hit));
  return results;
}

}  // namespace catena::remote
