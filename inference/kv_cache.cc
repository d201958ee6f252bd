#include "inference/kv_cache.h"

#include "absl/strings/str_cat.h"

namespace catena::inference {

absl::StatusOr<KvType> ParseKvType(std::string_view name) {
  if (name == "f16") return KvType::kF16;
  if (name == "f32") return KvType::kF32;
  if (name == "q8_0") return KvType::kQ8_0;
  return absl::InvalidArgumentError(
      absl::StrCat("KV cache type '", std::string(name), "' is not f16, f32 or q8_0"));
}

}  // namespace catena::inference
