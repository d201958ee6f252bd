#include "catena/retrieval_client.h"

#include "catena/v1/retrieval.grpc.pb.h"
#include "sdk/cpp/transport.h"

namespace catena::sdk {

using Stub = v1::RetrievalService::Stub;

namespace {

// Upserts that name every document replace the same documents when repeated.
bool AllDocumentsHaveIds(const v1::UpsertRequest& request) {
  for (const v1::Document& document : request.documents()) {
    if (document.id().empty()) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<v1::Collection> RetrievalClient::CreateCollection(const v1::CreateCollectionRequest& request,
                                                                 const CallOptions& options) const {
  return transport_->Unary(&Stub::CreateCollection, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::ListCollectionsResponse> RetrievalClient::ListCollections(const v1::ListCollectionsRequest& request,
                                                                             const CallOptions& options) const {
  return transport_->Unary(&Stub::ListCollections, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::Collection> RetrievalClient::DescribeCollection(const v1::DescribeCollectionRequest& request,
                                                                   const CallOptions& options) const {
  return transport_->Unary(&Stub::DescribeCollection, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::DeleteCollectionResponse> RetrievalClient::DeleteCollection(
    const v1::DeleteCollectionRequest& request, const CallOptions& options) const {
  return transport_->Unary(&Stub::DeleteCollection, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::UpsertResponse> RetrievalClient::Upsert(const v1::UpsertRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::Upsert, request, /*idempotent=*/AllDocumentsHaveIds(request), options);
}

absl::StatusOr<v1::DeleteResponse> RetrievalClient::Delete(const v1::DeleteRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::Delete, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::GetResponse> RetrievalClient::Get(const v1::GetRequest& request, const CallOptions& options) const {
  return transport_->Unary(&Stub::Get, request, /*idempotent=*/true, options);
}

absl::StatusOr<v1::IngestResponse> RetrievalClient::Ingest(const v1::IngestRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::Ingest, request, /*idempotent=*/false, options);
}

StreamReader<v1::IngestProgress> RetrievalClient::IngestStream(const v1::IngestRequest& request,
                                                               const CallOptions& options) const {
  return transport_->Stream(&Stub::IngestStream, request, /*idempotent=*/false, options);
}

absl::StatusOr<v1::SearchResponse> RetrievalClient::Search(const v1::SearchRequest& request,
                                                           const CallOptions& options) const {
  return transport_->Unary(&Stub::Search, request, /*idempotent=*/true, options);
}

}  // namespace catena::sdk
