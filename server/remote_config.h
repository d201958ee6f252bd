// The `models.remote` and `embedding.remote` keys of catenad: OpenAI-compatible chat models and embedding
// endpoints, declared as YAML lists of mappings (common/config.h kObjectList) and turned into the specs of
// chains::RemoteChatModel and chains::RemoteEmbedder. Errors name the file position of the offending field.
// Pure functions.
#pragma once

#include <vector>

#include "absl/status/statusor.h"
#include "chains/remote_chat_model.h"
#include "chains/remote_embedder.h"
#include "common/config.h"

namespace catena::server {

// The two keys, for RegisterServerConfig.
std::vector<ConfigKey> RemoteConfigKeys();

// models.remote: one spec per item. INVALID_ARGUMENT "<file:line:col>: models.remote[<i>] <field>: ..." for a
// missing name/base_url, repeated names, a bad duration, number or boolean, or an api_key that is not a secret
// reference (env:NAME, file:/path, literal:text) or does not resolve.
absl::StatusOr<std::vector<chains::RemoteChatModelSpec>> RemoteChatModelsFromConfig(const Config& config);

// embedding.remote: one spec per item (same checks; dimension 0 = probe the server once at start).
absl::StatusOr<std::vector<chains::RemoteEmbedderSpec>> RemoteEmbeddersFromConfig(const Config& config);

}  // namespace catena::server
