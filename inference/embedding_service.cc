#include "inference/embedding_service.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "catena/v1/embedding.grpc.pb.h"
#include "common/grpc_util.h"
#include "common/status.h"
#include "inference/unicode_words.h"

namespace catena::inference {
namespace {

// Fills `response` with the embeddings of `request`; the request must be valid.
absl::Status EmbedInto(const EmbedderRegistry& registry, const v1::EmbedRequest& request, v1::EmbedResponse& response) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const Embedder> embedder, registry.Find(request.model()));
  const std::vector<std::string> inputs(request.inputs().begin(), request.inputs().end());
  const EmbedInputKind kind =
      request.input_kind() == v1::EmbedRequest::INPUT_KIND_QUERY ? EmbedInputKind::kQuery : EmbedInputKind::kDocument;
  CATENA_ASSIGN_OR_RETURN(Embeddings embeddings, embedder->Embed(inputs, kind));
  if (embeddings.size() != inputs.size() || embeddings.dimension != embedder->info().dimension) {
    return absl::InternalError(absl::StrCat("embedder \"", embedder->info().name, "\" returned ", embeddings.size(),
                                            " vectors of dimension ", embeddings.dimension, " for ", inputs.size(),
                                            " inputs"));
  }
  response.set_model(embedder->info().name);
  response.set_dimension(embeddings.dimension);
  int64_t words = 0;
  for (size_t i = 0; i < embeddings.size(); ++i) {
    std::vector<float> row(embeddings.Row(i).begin(), embeddings.Row(i).end());
    // Embedders already return unit vectors; normalizing again only guards future embedders that do not.
    if (request.normalize()) NormalizeL2(row);
    response.add_embeddings()->mutable_values()->Add(row.begin(), row.end());
    words += static_cast<int64_t>(CountWords(inputs[i]));
  }
  const auto tokens = static_cast<int32_t>(std::min<int64_t>(words, INT32_MAX));
  response.mutable_usage()->set_prompt_tokens(tokens);
  response.mutable_usage()->set_total_tokens(tokens);
  return absl::OkStatus();
}

class EmbeddingServiceImpl final : public v1::EmbeddingService::CallbackService {
 public:
  explicit EmbeddingServiceImpl(std::shared_ptr<const EmbedderRegistry> registry) : registry_(std::move(registry)) {}

  grpc::ServerUnaryReactor* Embed(grpc::CallbackServerContext* context, const v1::EmbedRequest* request,
                                  v1::EmbedResponse* response) override {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    const absl::Status status = HandleEmbed(*context, *request, *response);
    if (!status.ok()) response->Clear();
    reactor->Finish(ToGrpcStatus(status));
    return reactor;
  }

  grpc::ServerUnaryReactor* ListEmbedders(grpc::CallbackServerContext* context, const v1::ListEmbeddersRequest*,
                                          v1::ListEmbeddersResponse* response) override {
    for (const EmbedderInfo& info : registry_->List()) {
      v1::EmbedderInfo* out = response->add_embedders();
      out->set_name(info.name);
      out->set_dimension(info.dimension);
      out->set_kind(info.kind);
      out->set_max_input_tokens(info.max_input_tokens);
    }
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }

 private:
  // Validates the call (tenant header, deadline) and the request, then embeds.
  absl::Status HandleEmbed(const grpc::CallbackServerContext& context, const v1::EmbedRequest& request,
                           v1::EmbedResponse& response) const {
    CATENA_ASSIGN_OR_RETURN(const RequestContext request_context, RequestContextFromServer(context));
    CATENA_RETURN_IF_ERROR(ValidateEmbedRequest(request));
    if (request_context.Expired()) return absl::DeadlineExceededError("deadline passed before embedding started");
    return EmbedInto(*registry_, request, response);
  }

  std::shared_ptr<const EmbedderRegistry> registry_;
};

}  // namespace

absl::Status ValidateEmbedRequest(const v1::EmbedRequest& request) {
  if (request.inputs_size() == 0) return absl::InvalidArgumentError("inputs must not be empty");
  if (request.inputs_size() > kMaxEmbedInputs) {
    return absl::InvalidArgumentError(
        absl::StrCat("inputs has ", request.inputs_size(), " texts, at most ", kMaxEmbedInputs, " are allowed"));
  }
  for (int i = 0; i < request.inputs_size(); ++i) {
    if (request.inputs(i).size() > kMaxEmbedInputBytes) {
      return absl::InvalidArgumentError(absl::StrCat("inputs[", i, "] is ", request.inputs(i).size(),
                                                     " bytes, at most ", kMaxEmbedInputBytes, " are allowed"));
    }
  }
  if (!v1::EmbedRequest::InputKind_IsValid(request.input_kind())) {
    return absl::InvalidArgumentError(absl::StrCat("input_kind has unknown value ", request.input_kind()));
  }
  return absl::OkStatus();
}

std::unique_ptr<grpc::Service> NewEmbeddingService(std::shared_ptr<const EmbedderRegistry> registry) {
  return std::make_unique<EmbeddingServiceImpl>(std::move(registry));
}

}  // namespace catena::inference
