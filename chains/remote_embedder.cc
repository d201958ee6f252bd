#include "chains/remote_embedder.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace catena::chains {

absl::StatusOr<std::unique_ptr<RemoteEmbedder>> RemoteEmbedder::Create(RemoteEmbedderSpec spec) {
  const std::string where = absl::StrCat("remote embedder '", spec.name, "'");
  if (spec.name.empty()) return absl::InvalidArgumentError("remote embedder: name is empty");
  if (spec.client.dimensions < 0) return absl::InvalidArgumentError(absl::StrCat(where, ": dimension is negative"));
  auto client = connectors::OpenAiEmbeddingsClient::Create(spec.client);
  if (!client.ok()) return Annotate(client.status(), where);
  int dimension = spec.client.dimensions;
  if (dimension == 0) {
    auto probe = (*client)->Embed({"dimension probe"}, absl::Now() + spec.timeout);
    if (!probe.ok()) return Annotate(probe.status(), absl::StrCat(where, ": probing the dimension"));
    if (probe->empty() || probe->front().empty()) {
      return absl::InternalError(absl::StrCat(where, ": the probe returned an empty vector"));
    }
    dimension = static_cast<int>(probe->front().size());
    spec.client.dimensions = dimension;  // later replies must match
    client = connectors::OpenAiEmbeddingsClient::Create(spec.client);
    if (!client.ok()) return Annotate(client.status(), where);
  }
  inference::EmbedderInfo info{.name = spec.name, .dimension = dimension, .kind = "openai-compatible",
                               .max_input_tokens = spec.max_input_tokens};
  return std::unique_ptr<RemoteEmbedder>(new RemoteEmbedder(std::move(*client), std::move(info), spec.timeout));
}

absl::StatusOr<inference::Embeddings> RemoteEmbedder::Embed(std::span<const std::string> texts,
                                                            inference::EmbedInputKind) const {
  std::vector<std::string> inputs(texts.begin(), texts.end());
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("embedder '", info_.name, "': text ", i, " is empty"));
    }
  }
  auto vectors = client_->Embed(inputs, absl::Now() + timeout_);
  if (!vectors.ok()) return Annotate(vectors.status(), absl::StrCat("embedder '", info_.name, "'"));
  inference::Embeddings out;
  out.dimension = info_.dimension;
  out.values.reserve(inputs.size() * static_cast<size_t>(info_.dimension));
  for (std::vector<float>& v : *vectors) {
    inference::NormalizeL2(v);
    out.values.insert(out.values.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace catena::chains
