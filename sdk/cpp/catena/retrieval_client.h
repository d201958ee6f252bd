// RetrievalClient: typed wrapper of catena.v1.RetrievalService (collections, documents, ingestion, search),
// reached through Client::retrieval(). Thread-safe; valid as long as its Client.
#pragma once

#include <memory>

#include "absl/status/statusor.h"
#include "catena/call_options.h"
#include "catena/stream_reader.h"
#include "catena/v1/retrieval.pb.h"

namespace catena::sdk {
namespace internal {
class Transport;
}  // namespace internal

class RetrievalClient {
 public:
  explicit RetrievalClient(std::shared_ptr<const internal::Transport> transport) : transport_(std::move(transport)) {}

  // Creates a collection; ALREADY_EXISTS when the name is taken. Not retried.
  absl::StatusOr<v1::Collection> CreateCollection(const v1::CreateCollectionRequest& request,
                                                  const CallOptions& options = {}) const;
  // One page of the tenant's collections. Idempotent.
  absl::StatusOr<v1::ListCollectionsResponse> ListCollections(const v1::ListCollectionsRequest& request,
                                                              const CallOptions& options = {}) const;
  // A collection with its counts; NOT_FOUND when missing. Idempotent.
  absl::StatusOr<v1::Collection> DescribeCollection(const v1::DescribeCollectionRequest& request,
                                                    const CallOptions& options = {}) const;
  // Deletes a collection and its documents. Not retried.
  absl::StatusOr<v1::DeleteCollectionResponse> DeleteCollection(const v1::DeleteCollectionRequest& request,
                                                                const CallOptions& options = {}) const;
  // Inserts or replaces documents (embedding them); the ids in order. Idempotent (retried) only when every
  // document has an id.
  absl::StatusOr<v1::UpsertResponse> Upsert(const v1::UpsertRequest& request, const CallOptions& options = {}) const;
  // Deletes documents by id or filter; the count deleted. Not retried.
  absl::StatusOr<v1::DeleteResponse> Delete(const v1::DeleteRequest& request, const CallOptions& options = {}) const;
  // Documents by id (missing ids are left out). Idempotent.
  absl::StatusOr<v1::GetResponse> Get(const v1::GetRequest& request, const CallOptions& options = {}) const;
  // Parses, chunks, embeds and upserts raw documents. Not retried.
  absl::StatusOr<v1::IngestResponse> Ingest(const v1::IngestRequest& request, const CallOptions& options = {}) const;
  // Ingest with progress events as it goes. Not retried.
  StreamReader<v1::IngestProgress> IngestStream(const v1::IngestRequest& request,
                                                const CallOptions& options = {}) const;
  // Top-k hits for a query (dense, sparse or hybrid), best first. Idempotent.
  absl::StatusOr<v1::SearchResponse> Search(const v1::SearchRequest& request, const CallOptions& options = {}) const;

 private:
  std::shared_ptr<const internal::Transport> transport_;
};

}  // namespace catena::sdk
