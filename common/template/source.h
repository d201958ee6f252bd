// Source positions and located errors of the template engine: every parse and render error is
// INVALID_ARGUMENT (or RESOURCE_EXHAUSTED for limits) with the message "<name>:<line>:<column>: <what>".
// Stateless helpers; SourceMap borrows the source text it indexes.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace catena::tmpl {

// 1-based line and column (columns count code points).
struct SourcePos {
  int line = 1;
  int column = 1;
};

// Maps byte offsets of a source text to line/column; the text must outlive the map.
class SourceMap {
 public:
  explicit SourceMap(std::string_view source);
  // Position of byte `offset` (clamped to the end of the text).
  SourcePos Locate(size_t offset) const;

 private:
  std::string_view source_;
  std::vector<size_t> line_starts_;
};

// INVALID_ARGUMENT "name:line:col: what", marked as located.
absl::Status LocatedError(std::string_view name, SourcePos pos, std::string_view what);
// Prefixes "name:line:col: " to a non-OK status that has no location yet; keeps its code. A status that
// carries an origin (SetOrigin) is located there instead of at `pos`.
absl::Status WithLocation(const absl::Status& status, std::string_view name, SourcePos pos);
// Records where the problem reported by `status` originates (e.g. the expression that yielded undefined).
absl::Status SetOrigin(absl::Status status, SourcePos pos);

}  // namespace catena::tmpl
