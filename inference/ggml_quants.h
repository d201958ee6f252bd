// Private to ggml_types.cc: the per-type block encoders and decoders behind QuantizeRow/DequantizeRow.
// Callers have already checked sizes (a whole number of blocks, `out`/`row` of RowBytes bytes) and, for the
// quantized types, that every value is finite. Pure functions, safe from any thread.
#pragma once

#include <cstddef>
#include <span>

#include "inference/ggml_types.h"

namespace catena::inference::internal {

// Writes values.size() values of `type` to `out` (RowBytes bytes, unaligned is fine).
void EncodeRow(GgmlType type, std::span<const float> values, std::byte* out);
// Reads out.size() values of `type` from `row` (RowBytes bytes, unaligned is fine).
void DecodeRow(GgmlType type, const std::byte* row, std::span<float> out);

}  // namespace catena::inference::internal
