// Internal to the filter implementation: the lexer of the filter language (docs/filters.md), used by
// filter_parser.cc. Stateless functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::retrieval {

struct FilterToken {
  enum class Kind { kEnd, kName, kString, kInt, kFloat, kPunct };
  Kind kind = Kind::kEnd;
  std::string text;  // The name, the punctuation, the decoded string, or the number as written.
  int64_t int_value = 0;
  double float_value = 0;
  size_t pos = 0;  // Byte offset in the expression.
};

// The tokens of `text`, ending with kEnd; INVALID_ARGUMENT with the position for bad strings, numbers, bytes.
absl::StatusOr<std::vector<FilterToken>> TokenizeFilter(std::string_view text);

// "filter:<line>:<column>" (1-based; column counts bytes) for byte offset `pos` of `text`.
std::string FilterWhere(std::string_view text, size_t pos);

}  // namespace catena::retrieval
