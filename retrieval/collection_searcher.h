// CollectionSearcher: what the chain engine needs from retrieval (the retrieve node and the retrieval_search
// tool): a collection's description and a search over it. Implemented in-process by RetrievalEngine and over
// gRPC by remote::GrpcRetrieval (catenad's distributed mode). Implementations are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "retrieval/collection.h"

namespace catena::retrieval {

class CollectionSearcher {
 public:
  virtual ~CollectionSearcher() = default;
  // The collection `name` of `tenant`; NOT_FOUND naming it.
  virtual absl::StatusOr<CollectionInfo> Describe(const std::string& tenant, const std::string& name) const = 0;
  // Searches the collection; NOT_FOUND naming it, INVALID_ARGUMENT for a bad query.
  virtual absl::StatusOr<std::vector<SearchResult>> Search(const std::string& tenant, const std::string& name,
                                                           const SearchQuery& query) const = 0;
};

}  // namespace catena::retrieval
