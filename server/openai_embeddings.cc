#include "server/openai_embeddings.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/embedder_registry.h"
#include "nlohmann/json.hpp"
#include "server/openai_errors.h"

namespace catena::server {
namespace {

int64_t CountWords(const std::string& text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++words;
    in_word = !space;
  }
  return words;
}

std::string Base64Floats(std::span<const float> row) {
  std::string bytes(row.size() * sizeof(float), '\0');
  for (size_t i = 0; i < row.size(); ++i) {
    uint32_t bits = 0;
    std::memcpy(&bits, &row[i], sizeof bits);
    for (int b = 0; b < 4; ++b) bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
  }
  return absl::Base64Escape(bytes);
}

}  // namespace

absl::StatusOr<std::string> EmbeddingsResponseJson(const inference::EmbedderRegistry& embedders,
                                                   const EmbeddingsRequest& request) {
  CATENA_ASSIGN_OR_RETURN(std::shared_ptr<const inference::Embedder> embedder, embedders.Find(request.model));
  const inference::EmbedderInfo& info = embedder->info();
  if (request.dimensions && *request.dimensions != info.dimension) {
    return InvalidField("dimensions", absl::StrCat("embedder '", info.name, "' has ", info.dimension,
                                                   " dimensions; 'dimensions' asks for ", *request.dimensions));
  }
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings vectors,
                          embedder->Embed(request.input, inference::EmbedInputKind::kDocument));
  nlohmann::json data = nlohmann::json::array();
  int64_t words = 0;
  for (size_t i = 0; i < vectors.size(); ++i) {
    nlohmann::json item = {{"object", "embedding"}, {"index", i}};
    const std::span<const float> row = vectors.Row(i);
    if (request.base64) {
      item["embedding"] = Base64Floats(row);
    } else {
      item["embedding"] = std::vector<float>(row.begin(), row.end());
    }
    data.push_back(std::move(item));
    words += CountWords(request.input[i]);
  }
  nlohmann::json body = {{"object", "list"},
                         {"data", std::move(data)},
                         {"model", info.name},
                         {"usage", {{"prompt_tokens", words}, {"total_tokens", words}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace catena::server
