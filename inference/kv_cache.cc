#include "inference/kv_cache.h"

#include "absl/strings/str_cat.h"

namespace catena::inference {

absl::StatusOr<KvType> ParseKvType(std::string_view name) {
  if (name == "f16") return KvType::kF16;
  if (name == "f32") return KvType::kF32;
  return absl::InvalidArgumentError(absl::StrCat("KV cache type '", std::string(name), "' is not f16 or f32"));
}

}  // namespace catena::inference
