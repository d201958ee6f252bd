#include "retrieval/retrieval_service.h"

#include <deque>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "catena/v1/retrieval.grpc.pb.h"
#include "common/grpc_util.h"
#include "common/stream_writer.h"
#include "common/status.h"
#include "retrieval/ingestor.h"
#include "retrieval/proto_convert.h"

namespace catena::retrieval {
namespace {

constexpr size_t kMaxRawDocumentBytes = 64u << 20;

absl::Status Invalid(std::string_view message) { return absl::InvalidArgumentError(std::string(message)); }

absl::StatusOr<SearchQuery> QueryFromProto(const v1::SearchRequest& request) {
  SearchQuery query;
  query.text = request.query();
  query.vector.assign(request.vector().begin(), request.vector().end());
  query.k = request.k() == 0 ? 10 : request.k();
  if (query.k < 1 || query.k > 1000) return Invalid(absl::StrCat("k must be in 1..1000, got ", request.k()));
  switch (request.mode()) {
    case v1::SEARCH_MODE_UNSPECIFIED:
    case v1::SEARCH_MODE_DENSE:
      query.mode = SearchMode::kDense;
      break;
    case v1::SEARCH_MODE_SPARSE:
      query.mode = SearchMode::kSparse;
      break;
    case v1::SEARCH_MODE_HYBRID:
      query.mode = SearchMode::kHybrid;
      break;
    default:
      return Invalid(absl::StrCat("mode: unknown value ", request.mode()));
  }
  if (request.filter().size() > 4096) return Invalid("filter is longer than 4096 bytes");
  query.filter = request.filter();
  if (request.ef_search() < 0 || request.nprobe() < 0) return Invalid("ef_search and nprobe must be >= 0");
  query.ef_search = request.ef_search();
  query.nprobe = request.nprobe();
  if (request.fusion() == "weighted") {
    query.fusion = Fusion::kWeighted;
  } else if (!request.fusion().empty() && request.fusion() != "rrf") {
    return Invalid(absl::StrCat("fusion must be \"rrf\" or \"weighted\", got \"", request.fusion(), "\""));
  }
  if (!(request.dense_weight() >= 0 && request.dense_weight() <= 1)) return Invalid("dense_weight must be in [0, 1]");
  query.dense_weight = request.fusion() == "weighted" && request.dense_weight() == 0 ? 0.5f : request.dense_weight();
  if (!(request.mmr_lambda() >= 0 && request.mmr_lambda() <= 1)) return Invalid("mmr_lambda must be in [0, 1]");
  query.mmr_lambda = request.mmr_lambda();
  return query;
}

absl::StatusOr<std::vector<RawDocument>> RawDocumentsFromProto(const v1::IngestRequest& request) {
  if (request.documents_size() < 1 || request.documents_size() > 1000) {
    return Invalid(absl::StrCat("documents must hold 1..1000 entries, got ", request.documents_size()));
  }
  std::vector<RawDocument> documents;
  for (int i = 0; i < request.documents_size(); ++i) {
    const v1::RawDocument& raw = request.documents(i);
    if (raw.source().empty()) return Invalid(absl::StrCat("documents[", i, "].source is required"));
    if (raw.content().size() > kMaxRawDocumentBytes) {
      return Invalid(absl::StrCat("documents[", i, "].content is larger than 64 MiB"));
    }
    documents.push_back({.source = raw.source(),
                         .content = raw.content(),
                         .mime_type = raw.mime_type(),
                         .metadata = {raw.metadata().begin(), raw.metadata().end()}});
  }
  return documents;
}

IngestOptions IngestOptionsFromProto(const v1::IngestRequest& request) {
  IngestOptions options;
  const v1::SplitterSpec& splitter = request.splitter();
  if (!splitter.kind().empty()) options.splitter.kind = splitter.kind();
  if (splitter.chunk_size() != 0) options.splitter.chunk_size = splitter.chunk_size();
  if (splitter.chunk_overlap() != 0 || splitter.chunk_size() != 0)
    options.splitter.chunk_overlap = splitter.chunk_overlap();
  options.text_field = request.text_field();
  return options;
}

void ResultToProto(const IngestResult& result, v1::IngestResponse& response) {
  response.set_documents(result.documents);
  response.set_chunks(result.chunks);
  for (const std::string& id : result.chunk_ids) response.add_chunk_ids(id);
  response.set_unchanged(result.unchanged);
  for (const auto& [source, error] : result.failures) {
    v1::IngestFailure* failure = response.add_failures();
    failure->set_source(source);
    failure->set_error(error);
  }
}

class IngestStreamReactor;

class RetrievalServiceImpl final : public v1::RetrievalService::CallbackService {
 public:
  explicit RetrievalServiceImpl(std::shared_ptr<RetrievalEngine> engine) : engine_(std::move(engine)) {}

  grpc::ServerUnaryReactor* CreateCollection(grpc::CallbackServerContext* context,
                                             const v1::CreateCollectionRequest* request,
                                             v1::Collection* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(CollectionSpec spec, SpecFromProto(request->spec()));
      CATENA_ASSIGN_OR_RETURN(CollectionInfo info,
                              engine_->CreateCollection(call.tenant, request->name(), std::move(spec)));
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, info.name));
      *response = CollectionToProto(*collection);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* ListCollections(grpc::CallbackServerContext* context,
                                            const v1::ListCollectionsRequest* request,
                                            v1::ListCollectionsResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(int page_size, PageSizeOrDefault(request->page().page_size()));
      CollectionPage page = engine_->List(call.tenant, page_size, request->page().page_token());
      for (const auto& collection : page.collections) *response->add_collections() = CollectionToProto(*collection);
      response->set_next_page_token(page.next_page_token);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* DescribeCollection(grpc::CallbackServerContext* context,
                                               const v1::DescribeCollectionRequest* request,
                                               v1::Collection* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->name()));
      *response = CollectionToProto(*collection);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* DeleteCollection(grpc::CallbackServerContext* context,
                                             const v1::DeleteCollectionRequest* request,
                                             v1::DeleteCollectionResponse*) override {
    return FinishUnary(
        context, [&](const RequestContext& call) { return engine_->DeleteCollection(call.tenant, request->name()); });
  }

  grpc::ServerUnaryReactor* Upsert(grpc::CallbackServerContext* context, const v1::UpsertRequest* request,
                                   v1::UpsertResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      if (request->documents_size() < 1 || request->documents_size() > 10000) {
        return Invalid(absl::StrCat("documents must hold 1..10000 entries, got ", request->documents_size()));
      }
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->collection()));
      std::vector<StoredDocument> documents;
      for (const v1::Document& document : request->documents()) documents.push_back(DocumentFromProto(document));
      CATENA_ASSIGN_OR_RETURN(std::vector<std::string> ids, collection->Upsert(std::move(documents)));
      for (std::string& id : ids) response->add_ids(std::move(id));
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Delete(grpc::CallbackServerContext* context, const v1::DeleteRequest* request,
                                   v1::DeleteResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      if (request->ids().empty() == request->filter().empty()) return Invalid("give exactly one of ids or filter");
      if (request->ids_size() > 10000) return Invalid("ids holds more than 10000 entries");
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->collection()));
      std::vector<std::string> ids(request->ids().begin(), request->ids().end());
      CATENA_ASSIGN_OR_RETURN(int64_t deleted, request->filter().empty() ? collection->DeleteIds(ids)
                                                                         : collection->DeleteWhere(request->filter()));
      response->set_deleted(deleted);
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Get(grpc::CallbackServerContext* context, const v1::GetRequest* request,
                                v1::GetResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      if (request->ids_size() < 1 || request->ids_size() > 1000) {
        return Invalid(absl::StrCat("ids must hold 1..1000 entries, got ", request->ids_size()));
      }
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->collection()));
      std::vector<std::string> ids(request->ids().begin(), request->ids().end());
      CATENA_ASSIGN_OR_RETURN(std::vector<StoredDocument> documents, collection->Get(ids));
      for (const StoredDocument& document : documents) {
        *response->add_documents() = DocumentToProto(document, request->include_embeddings());
      }
      return absl::OkStatus();
    });
  }

  grpc::ServerUnaryReactor* Ingest(grpc::CallbackServerContext* context, const v1::IngestRequest* request,
                                   v1::IngestResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(std::vector<RawDocument> documents, RawDocumentsFromProto(*request));
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->collection()));
      CATENA_ASSIGN_OR_RETURN(IngestResult result,
                              retrieval::Ingest(*collection, documents, IngestOptionsFromProto(*request)));
      ResultToProto(result, *response);
      return absl::OkStatus();
    });
  }

  grpc::ServerWriteReactor<v1::IngestProgress>* IngestStream(grpc::CallbackServerContext* context,
                                                             const v1::IngestRequest* request) override;

  grpc::ServerUnaryReactor* Search(grpc::CallbackServerContext* context, const v1::SearchRequest* request,
                                   v1::SearchResponse* response) override {
    return FinishUnary(context, [&](const RequestContext& call) -> absl::Status {
      CATENA_ASSIGN_OR_RETURN(SearchQuery query, QueryFromProto(*request));
      CATENA_ASSIGN_OR_RETURN(auto collection, engine_->Find(call.tenant, request->collection()));
      CATENA_ASSIGN_OR_RETURN(std::vector<SearchResult> results, collection->Search(query));
      for (const SearchResult& result : results) {
        v1::SearchHit* hit = response->add_hits();
        *hit->mutable_document() = DocumentToProto(result.document, request->include_embeddings());
        hit->set_score(result.score);
        hit->set_dense_score(result.dense_score.value_or(0));
        hit->set_sparse_score(result.sparse_score.value_or(0));
        for (const std::string& highlight : result.highlights) hit->add_highlights(highlight);
      }
      return absl::OkStatus();
    });
  }

  std::shared_ptr<RetrievalEngine> engine() const { return engine_; }

 private:
  std::shared_ptr<RetrievalEngine> engine_;
};

// Streams progress while a worker thread ingests; the result comes last.
class IngestStreamReactor final : public QueuedStreamWriter<v1::IngestProgress> {
 public:
  IngestStreamReactor(std::shared_ptr<Collection> collection, std::vector<RawDocument> documents,
                      IngestOptions options) {
    worker_ = std::thread(
        [this, collection = std::move(collection), documents = std::move(documents), options = std::move(options)] {
          auto result = retrieval::Ingest(*collection, documents, options, [this](const IngestProgress& progress) {
            v1::IngestProgress message;
            message.set_documents_done(progress.documents_done);
            message.set_documents_total(progress.documents_total);
            message.set_chunks_done(progress.chunks_done);
            message.set_source(progress.source);
            Enqueue(std::move(message));
          });
          v1::IngestProgress last;
          if (result.ok()) {
            last.set_documents_done(static_cast<int64_t>(documents.size()));
            last.set_documents_total(static_cast<int64_t>(documents.size()));
            last.set_chunks_done(result->chunks);
            ResultToProto(*result, *last.mutable_result());
            Enqueue(std::move(last), grpc::Status::OK);
          } else {
            Enqueue(std::nullopt, ToGrpcStatus(result.status()));
          }
        });
  }

  void OnDone() override {
    worker_.join();
    delete this;
  }

 private:
  std::thread worker_;
};

// Finishes a stream at once with an error.
class FailedStream final : public grpc::ServerWriteReactor<v1::IngestProgress> {
 public:
  explicit FailedStream(const absl::Status& status) { Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

grpc::ServerWriteReactor<v1::IngestProgress>* RetrievalServiceImpl::IngestStream(grpc::CallbackServerContext* context,
                                                                                 const v1::IngestRequest* request) {
  absl::StatusOr<RequestContext> call = RequestContextFromServer(*context);
  if (!call.ok()) return new FailedStream(call.status());
  auto documents = RawDocumentsFromProto(*request);
  if (!documents.ok()) return new FailedStream(documents.status());
  auto collection = engine_->Find(call->tenant, request->collection());
  if (!collection.ok()) return new FailedStream(collection.status());
  return new IngestStreamReactor(*std::move(collection), *std::move(documents), IngestOptionsFromProto(*request));
}

}  // namespace

std::unique_ptr<grpc::Service> NewRetrievalService(std::shared_ptr<RetrievalEngine> engine) {
  return std::make_unique<RetrievalServiceImpl>(std::move(engine));
}

}  // namespace catena::retrieval
