// GrpcRetrieval: retrieval::CollectionSearcher over catena.v1.RetrievalService (DescribeCollection, Search),
// used by the pipeline service when services.retrieval.address is set. Both calls are reads and retried on
// UNAVAILABLE. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "catena/v1/retrieval.grpc.pb.h"
#include "remote/remote_call.h"
#include "retrieval/collection_searcher.h"

namespace catena::remote {

class GrpcRetrieval final : public retrieval::CollectionSearcher {
 public:
  explicit GrpcRetrieval(RemoteServiceOptions options);

  absl::StatusOr<retrieval::CollectionInfo> Describe(const std::string& tenant, const std::string& name) const override;
  absl::StatusOr<std::vector<retrieval::SearchResult>> Search(const std::string& tenant, const std::string& name,
                                                              const retrieval::SearchQuery& query) const override;

 private:
  RemoteCaller caller_;
  std::unique_ptr<v1::RetrievalService::Stub> stub_;
};

// The SearchRequest of `query` on collection `name` (highlights are computed by the service regardless).
v1::SearchRequest SearchRequestFor(const std::string& name, const retrieval::SearchQuery& query);
// A search hit as the in-process engine returns it; whole numbers in metadata come back as integers (the
// protobuf Struct carries every number as a double).
retrieval::SearchResult SearchResultFromProto(const v1::SearchHit& hit);

}  // namespace catena::remote
