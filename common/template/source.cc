// Source positions and located errors of the template engine.
#include "common/template/source.h"

#include <algorithm>
#include <cstdlib>
#include <optional>

#include "absl/strings/cord.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

constexpr char kLocatedPayload[] = "catena.tmpl/located";
constexpr char kOriginPayload[] = "catena.tmpl/origin";

absl::Status MarkLocated(absl::Status status) {
  status.SetPayload(kLocatedPayload, absl::Cord("1"));
  return status;
}

}  // namespace

SourceMap::SourceMap(std::string_view source) : source_(source) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourcePos SourceMap::Locate(size_t offset) const {
  offset = std::min(offset, source_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
  const size_t start = line_starts_[line_index];
  const size_t column = text::CodePointCount(source_.substr(start, offset - start));
  return SourcePos{static_cast<int>(line_index + 1), static_cast<int>(column + 1)};
}

absl::Status LocatedError(std::string_view name, SourcePos pos, std::string_view what) {
  return MarkLocated(absl::InvalidArgumentError(text::Cat(name, ":", pos.line, ":", pos.column, ": ", what)));
}

absl::Status SetOrigin(absl::Status status, SourcePos pos) {
  status.SetPayload(kOriginPayload, absl::Cord(text::Cat(pos.line, ":", pos.column)));
  return status;
}

absl::Status WithLocation(const absl::Status& status, std::string_view name, SourcePos pos) {
  if (status.ok() || status.GetPayload(kLocatedPayload).has_value()) return status;
  if (auto origin = status.GetPayload(kOriginPayload); origin.has_value()) {
    const std::string text(*origin);
    const size_t colon = text.find(':');
    pos = SourcePos{std::atoi(text.substr(0, colon).c_str()), std::atoi(text.substr(colon + 1).c_str())};
  }
  return MarkLocated(absl::Status(
      status.code(), text::Cat(name, ":", pos.line, ":", pos.column, ": ", std::string(status.message()))));
}

}  // namespace catena::tmpl
