// The architectures the runtime can load, one file each under inference/models/, registered explicitly in
// architectures.cc. Each turns a GgufFile into a TransformerSpec or explains what is missing.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/gguf.h"
#include "inference/transformer_spec.h"

namespace catena::inference::models {

absl::StatusOr<TransformerSpec> BuildLlamaSpec(const GgufFile& file);
absl::StatusOr<TransformerSpec> BuildQwen2Spec(const GgufFile& file);
absl::StatusOr<TransformerSpec> BuildBertSpec(const GgufFile& file);

// Dispatches on general.architecture; UNIMPLEMENTED naming the architecture and the supported ones otherwise.
absl::StatusOr<TransformerSpec> BuildTransformerSpec(const GgufFile& file);
// "bert, llama, qwen2".
std::vector<std::string> SupportedArchitectures();

}  // namespace catena::inference::models
