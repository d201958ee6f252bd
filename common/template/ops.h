// Operators of the template engine with Python semantics: arithmetic, membership, attribute and item
// lookup (jinja2's getattr/getitem fallbacks), and slicing.
// Stateless free functions; the CallContext supplies limits and the undefined policy.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/template/call_context.h"
#include "common/template/value.h"

namespace catena::tmpl {

// `a op b` for op in + - * / // % **; undefined operands are errors.
absl::StatusOr<Value> BinaryOp(CallContext& ctx, std::string_view op, const Value& a, const Value& b);
// Unary minus (`negative`) or plus.
absl::StatusOr<Value> UnaryOp(const Value& v, bool negative);
// Python `item in container` (substring, element or key).
absl::StatusOr<bool> Contains(CallContext& ctx, const Value& container, const Value& item);
// Attribute lookup on a defined value: methods first, then mapping keys; missing yields undefined.
Value LookupAttr(const Value& obj, std::string_view name);
// Item lookup on a defined value: obj[key] first, then attributes for string keys; missing yields undefined.
Value LookupItem(const Value& obj, const Value& key);
// Python slice obj[start:stop:step] of a string, list or tuple.
absl::StatusOr<Value> SliceValue(const Value& obj, const Value& start, const Value& stop, const Value& step);

}  // namespace catena::tmpl
