// `catena-model info`: a readable description of a GGUF file (version, alignment, every metadata key with its
// type and value, the tensor table and totals). Pure function of the file; safe from any thread.
#pragma once

#include <string>

#include "inference/gguf.h"

namespace catena::inference::model_tool {

// Arrays longer than this show their first elements and the count.
inline constexpr size_t kInfoArrayPreview = 8;

// The report `catena-model info` prints.
std::string DescribeGguf(const GgufFile& file);

// One value as info prints it: strings quoted and escaped (long ones cut), arrays as
// [type x count] [first elements, ...].
std::string FormatValue(const GgufValue& value);

}  // namespace catena::inference::model_tool
