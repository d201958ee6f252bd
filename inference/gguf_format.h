// Private to the GGUF reader/writer: on-disk constants of the format and the limits the reader enforces.
// Header-only constants and small pure helpers; safe from any thread.
#pragma once

#include <cstdint>
#include <string>

#include "inference/gguf.h"

namespace catena::inference::gguf_internal {

inline constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
inline constexpr uint32_t kVersion = 3;
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr char kAlignmentKey[] = "general.alignment";

// Limits: the format allows more, but no real model comes close and each bound keeps a hostile file from
// making the reader allocate or loop without end.
inline constexpr int kMaxDims = 4;
inline constexpr int kMaxArrayDepth = 4;                    // array of array of ... (4 levels)
inline constexpr uint64_t kMaxMetadataElements = 1u << 24;  // all array elements of a file together
inline constexpr uint64_t kMaxTensorNameBytes = 255;

// The name of a value type ("uint32", "array", ...), or "type <n>" for an unknown id.
std::string ValueTypeName(uint32_t type);
// Smallest number of bytes one value of `type` occupies in a file (0 for an unknown type).
uint64_t MinEncodedBytes(GgufValueType type);
// Whether `type` is a known value type id.
bool IsKnownValueType(uint32_t type);

inline uint64_t AlignUp(uint64_t value, uint64_t alignment) {
  return (value + alignment - 1) / alignment * alignment;
}
inline bool IsPowerOfTwo(uint64_t value) { return value != 0 && (value & (value - 1)) == 0; }

}  // namespace catena::inference::gguf_internal
