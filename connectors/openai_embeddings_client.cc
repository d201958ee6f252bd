// OpenAiEmbeddingsClient: batching, request JSON and reply checks.
#include "connectors/openai_embeddings_client.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::connectors {
namespace {

using nlohmann::json;

// The vector of data[i], or an error naming the item.
absl::StatusOr<std::vector<float>> VectorOf(const json& item, size_t i) {
  if (!item.is_object() || !item.contains("embedding") || !item["embedding"].is_array()) {
    return absl::InternalError(absl::StrCat("embeddings reply: data[", i, "] has no embedding array"));
  }
  std::vector<float> out;
  out.reserve(item["embedding"].size());
  for (const json& v : item["embedding"]) {
    if (!v.is_number()) return absl::InternalError(absl::StrCat("embeddings reply: data[", i, "] has a non-number"));
    out.push_back(v.get<float>());
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<std::vector<float>>> ParseEmbeddingsJson(std::string_view text, size_t expected,
                                                                    int dimensions) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("data") || !body["data"].is_array()) {
    return absl::InternalError(absl::StrCat("embeddings reply is not a JSON object with a data array ('",
                                            std::string(text.substr(0, 80)), "')"));
  }
  const json& data = body["data"];
  if (data.size() != expected) {
    return absl::InternalError(absl::StrCat("embeddings reply has ", data.size(), " vectors for ", expected, " inputs"));
  }
  std::vector<std::vector<float>> out(expected);
  std::vector<bool> seen(expected, false);
  for (size_t i = 0; i < data.size(); ++i) {
    size_t index = i;
    if (data[i].is_object() && data[i].contains("index")) {
      if (!data[i]["index"].is_number_integer() || data[i]["index"].get<int64_t>() < 0 ||
          data[i]["index"].get<size_t>() >= expected || seen[data[i]["index"].get<size_t>()]) {
        return absl::InternalError(absl::StrCat("embeddings reply: data[", i, "] has a bad or repeated index"));
      }
      index = data[i]["index"].get<size_t>();
    }
    seen[index] = true;
    CATENA_ASSIGN_OR_RETURN(out[index], VectorOf(data[i], i));
    if (dimensions > 0 && out[index].size() != static_cast<size_t>(dimensions)) {
      return absl::InternalError(absl::StrCat("embeddings reply: vector ", index, " has ", out[index].size(),
                                              " dimensions, expected ", dimensions));
    }
  }
  for (const auto& v : out) {
    if (v.size() != out[0].size()) return absl::InternalError("embeddings reply: vectors differ in dimensions");
  }
  return out;
}

absl::StatusOr<std::unique_ptr<OpenAiEmbeddingsClient>> OpenAiEmbeddingsClient::Create(OpenAiEmbeddingsOptions options) {
  if (options.model.empty()) return absl::InvalidArgumentError("embeddings client: model is empty");
  if (options.batch_size == 0) return absl::InvalidArgumentError("embeddings client: batch_size must be at least 1");
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<OpenAiTransport> transport, OpenAiTransport::Create(options.client));
  return std::unique_ptr<OpenAiEmbeddingsClient>(new OpenAiEmbeddingsClient(std::move(options), std::move(transport)));
}

absl::StatusOr<std::vector<std::vector<float>>> OpenAiEmbeddingsClient::EmbedBatch(
    const std::vector<std::string>& batch, absl::Time deadline) {
  json body = {{"model", options_.model}, {"input", batch}, {"encoding_format", "float"}};
  if (options_.send_dimensions && options_.dimensions > 0) body["dimensions"] = options_.dimensions;
  CATENA_ASSIGN_OR_RETURN(HttpResponse response,
                          transport_->PostJson("/embeddings", body.dump(-1, ' ', false, json::error_handler_t::replace),
                                               deadline));
  return transport_->Redact(ParseEmbeddingsJson(response.body, batch.size(), options_.dimensions));
}

absl::StatusOr<std::vector<std::vector<float>>> OpenAiEmbeddingsClient::Embed(const std::vector<std::string>& inputs,
                                                                              absl::Time deadline) {
  std::vector<std::vector<float>> out;
  out.reserve(inputs.size());
  for (size_t start = 0; start < inputs.size(); start += options_.batch_size) {
    size_t end = std::min(inputs.size(), start + options_.batch_size);
    std::vector<std::string> batch(inputs.begin() + start, inputs.begin() + end);
    CATENA_ASSIGN_OR_RETURN(std::vector<std::vector<float>> vectors, EmbedBatch(batch, deadline));
    if (!out.empty() && !vectors.empty() && vectors[0].size() != out[0].size()) {
      return absl::InternalError("embeddings reply: batches differ in dimensions");
    }
    for (auto& v : vectors) out.push_back(std::move(v));
  }
  return out;
}

}  // namespace catena::connectors
