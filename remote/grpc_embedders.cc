#include "remote/grpc_embedders.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace catena::remote {
namespace {

class GrpcEmbedder final : public inference::Embedder {
 public:
  GrpcEmbedder(inference::EmbedderInfo info, std::shared_ptr<const RemoteCaller> caller,
               std::shared_ptr<v1::EmbeddingService::Stub> stub)
      : info_(std::move(info)), caller_(std::move(caller)), stub_(std::move(stub)) {}

  const inference::EmbedderInfo& info() const override { return info_; }

  absl::StatusOr<inference::Embeddings> Embed(std::span<const std::string> texts,
                                              inference::EmbedInputKind kind) const override {
    v1::EmbedRequest request;
    request.set_model(info_.name);
    for (const std::string& text : texts) request.add_inputs(text);
    request.set_input_kind(kind == inference::EmbedInputKind::kQuery ? v1::EmbedRequest::INPUT_KIND_QUERY
                                                                     : v1::EmbedRequest::INPUT_KIND_DOCUMENT);
    v1::EmbedResponse response;
    CATENA_RETURN_IF_ERROR(caller_->Call("", "EmbeddingService.Embed", true, [&](grpc::ClientContext& context) {
      return stub_->Embed(&context, request, &response);
    }));
    inference::Embeddings embeddings{.dimension = response.dimension()};
    if (response.embeddings_size() != static_cast<int>(texts.size())) {
      return absl::InternalError(absl::StrCat("embedding service returned ", response.embeddings_size(),
                                              " vectors for ", texts.size(), " texts"));
    }
    for (const v1::Embedding& row : response.embeddings()) {
      if (row.values_size() != embeddings.dimension) {
        return absl::InternalError("embedding service returned a vector of the wrong dimension");
      }
      embeddings.values.insert(embeddings.values.end(), row.values().begin(), row.values().end());
    }
    return embeddings;
  }

 private:
  const inference::EmbedderInfo info_;
  const std::shared_ptr<const RemoteCaller> caller_;
  const std::shared_ptr<v1::EmbeddingService::Stub> stub_;
};

const inference::EmbedderInfo* FindInfo(const std::vector<inference::EmbedderInfo>& infos, std::string_view name) {
  if (infos.empty()) return nullptr;
  if (name.empty()) return &infos.front();
  auto it = std::find_if(infos.begin(), infos.end(), [&](const auto& info) { return info.name == name; });
  return it == infos.end() ? nullptr : &*it;
}

}  // namespace

GrpcEmbedders::GrpcEmbedders(RemoteServiceOptions options)
    : caller_(std::make_shared<const RemoteCaller>(std::move(options))),
      stub_(v1::EmbeddingService::NewStub(caller_->channel())) {}

absl::StatusOr<std::vector<inference::EmbedderInfo>> GrpcEmbedders::FetchInfos() const {
  v1::ListEmbeddersResponse response;
  CATENA_RETURN_IF_ERROR(caller_->Call("", "EmbeddingService.ListEmbedders", true, [&](grpc::ClientContext& context) {
    return stub_->ListEmbedders(&context, v1::ListEmbeddersRequest(), &response);
  }));
  std::vector<inference::EmbedderInfo> infos;
  for (const v1::EmbedderInfo& info : response.embedders()) {
    infos.push_back({.name = info.name(),
                     .dimension = info.dimension(),
                     .kind = info.kind(),
                     .max_input_tokens = info.max_input_tokens()});
  }
  return infos;
}

absl::StatusOr<std::shared_ptr<const inference::Embedder>> GrpcEmbedders::Find(std::string_view name) const {
  absl::MutexLock lock(&mutex_);
  if (FindInfo(infos_, name) == nullptr) {
    CATENA_ASSIGN_OR_RETURN(infos_, FetchInfos());
  }
  const inference::EmbedderInfo* info = FindInfo(infos_, name);
  if (info == nullptr) {
    std::vector<std::string> names;
    for (const inference::EmbedderInfo& known : infos_) names.push_back(known.name);
    return absl::NotFoundError(absl::StrCat("embedder '", std::string(name), "' is not served by the ",
                                            caller_->options().service, " service at ", caller_->options().address,
                                            "; it serves: ", names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }
  return std::shared_ptr<const inference::Embedder>(std::make_shared<GrpcEmbedder>(*info, caller_, stub_));
}

}  // namespace catena::remote
