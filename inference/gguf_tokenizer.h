// Builds a VocabularySpec from GGUF metadata with llama.cpp's tokenizer keys (tokenizer.ggml.model "llama",
// "gpt2" or "bert", .tokens, .scores, .token_type, .merges, special ids, .add_bos_token/.add_eos_token,
// .pre). Used by the model loader. Stateless; thread-safe.
#pragma once

#include "absl/status/statusor.h"
#include "inference/gguf.h"
#include "inference/vocabulary_spec.h"

namespace catena::inference {

// INVALID_ARGUMENT/UNIMPLEMENTED naming the key when a key is missing, mistyped, inconsistent (array lengths,
// ids out of range) or names an unsupported model or pre-tokenizer.
absl::StatusOr<VocabularySpec> VocabularyFromGguf(const GgufMetadata& metadata);

}  // namespace catena::inference
