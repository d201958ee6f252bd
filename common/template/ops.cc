// Operators of the template engine with Python semantics (see ops.h).
#include "common/template/ops.h"

#include <cmath>
#include <cstdio>
#include <limits>

#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/format.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

absl::Status TypeError(std::string_view op, const Value& a, const Value& b) {
  return absl::InvalidArgumentError(
      text::Cat("unsupported operand type(s) for ", op, ": '", TypeName(a), "' and '", TypeName(b), "'"));
}

absl::Status Overflow() { return absl::InvalidArgumentError("integer overflow (results must fit in 64 bits)"); }

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

int64_t FloorMod(int64_t a, int64_t b) {
  int64_t m = a % b;
  if (m != 0 && ((m < 0) != (b < 0))) m += b;
  return m;
}

// Python's float divmod (floor division and modulo with the sign of the divisor); `y` is non-zero.
void FloatDivMod(double x, double y, double* floor_div, double* mod) {
  *mod = std::fmod(x, y);
  double div = (x - *mod) / y;
  if (*mod != 0) {
    if ((y < 0) != (*mod < 0)) {
      *mod += y;
      div -= 1.0;
    }
  } else {
    *mod = std::copysign(0.0, y);
  }
  if (div != 0) {
    *floor_div = std::floor(div);
    if (div - *floor_div > 0.5) *floor_div += 1.0;
  } else {
    *floor_div = std::copysign(0.0, x / y);
  }
}

absl::StatusOr<Value> IntPow(int64_t base, int64_t exp) {
  if (exp < 0) {
    if (base == 0) return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
    return Value(std::pow(static_cast<double>(base), static_cast<double>(exp)));
  }
  int64_t result = 1;
  while (exp > 0) {
    if ((exp & 1) != 0 && __builtin_mul_overflow(result, base, &result)) return Overflow();
    exp >>= 1;
    if (exp > 0 && __builtin_mul_overflow(base, base, &base)) return Overflow();
  }
  return Value(result);
}

absl::StatusOr<Value> IntArith(std::string_view op, int64_t x, int64_t y) {
  int64_t r = 0;
  if (op == "+") {
    if (__builtin_add_overflow(x, y, &r)) return Overflow();
  } else if (op == "-") {
    if (__builtin_sub_overflow(x, y, &r)) return Overflow();
  } else if (op == "*") {
    if (__builtin_mul_overflow(x, y, &r)) return Overflow();
  } else if (op == "/") {
    if (y == 0) return absl::InvalidArgumentError("division by zero");
    return Value(static_cast<double>(x) / static_cast<double>(y));
  } else if (op == "//" || op == "%") {
    if (y == 0) return absl::InvalidArgumentError("integer division or modulo by zero");
    if (x == std::numeric_limits<int64_t>::min() && y == -1) return Overflow();
    r = op == "//" ? FloorDiv(x, y) : FloorMod(x, y);
  } else {
    return IntPow(x, y);
  }
  return Value(r);
}

absl::StatusOr<Value> FloatArith(std::string_view op, double x, double y) {
  if (op == "+") return Value(x + y);
  if (op == "-") return Value(x - y);
  if (op == "*") return Value(x * y);
  if (op == "**") {
    if (x == 0 && y < 0) return absl::InvalidArgumentError("0.0 cannot be raised to a negative power");
    if (x < 0 && std::isfinite(y) && std::trunc(y) != y) {
      return absl::InvalidArgumentError("a negative number raised to a fractional power is complex (unsupported)");
    }
    return Value(std::pow(x, y));
  }
  if (y == 0) {
    return absl::InvalidArgumentError(op == "/" ? "float division by zero"
                                                : (op == "//" ? "float floor division by zero" : "float modulo"));
  }
  if (op == "/") return Value(x / y);
  double floor_div = 0;
  double mod = 0;
  FloatDivMod(x, y, &floor_div, &mod);
  return Value(op == "%" ? mod : floor_div);
}

absl::StatusOr<Value> Repeat(CallContext& ctx, const Value& seq, int64_t count) {
  if (count <= 0) return seq.is_string() ? Value("") : (seq.is_tuple() ? Value::Tuple({}) : Value::List());
  if (seq.is_string()) {
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(seq.string_value().size() * static_cast<size_t>(count)));
    std::string out;
    out.reserve(seq.string_value().size() * static_cast<size_t>(count));
    for (int64_t i = 0; i < count; ++i) out += seq.string_value();
    return Value(std::move(out));
  }
  const auto& items = seq.list().items;
  CATENA_RETURN_IF_ERROR(ctx.CheckSize(items.size() * static_cast<size_t>(count) * sizeof(Value)));
  std::vector<Value> out;
  for (int64_t i = 0; i < count; ++i) out.insert(out.end(), items.begin(), items.end());
  return seq.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
}

absl::StatusOr<Value> Concat(CallContext& ctx, const Value& a, const Value& b) {
  if (a.is_string() && b.is_string()) {
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(a.string_value().size() + b.string_value().size()));
    return Value(a.string_value() + b.string_value());
  }
  std::vector<Value> items = a.list().items;
  items.insert(items.end(), b.list().items.begin(), b.list().items.end());
  return a.is_tuple() ? Value::Tuple(std::move(items)) : Value::List(std::move(items));
}

// Python's slice index normalization (PySlice_AdjustIndices) for a sequence of `length` items.
absl::StatusOr<std::vector<size_t>> SliceIndices(size_t length, const Value& start_v, const Value& stop_v,
                                                 const Value& step_v) {
  auto as_int = [](const Value& v, int64_t fallback) -> absl::StatusOr<int64_t> {
    if (v.is_undefined() || v.is_none()) return fallback;
    if (!v.is_int() && !v.is_bool()) return absl::InvalidArgumentError("slice indices must be integers or None");
    return v.int_value();
  };
  const auto n = static_cast<int64_t>(length);
  CATENA_ASSIGN_OR_RETURN(const int64_t step, as_int(step_v, 1));
  if (step == 0) return absl::InvalidArgumentError("slice step cannot be zero");
  CATENA_ASSIGN_OR_RETURN(int64_t start, as_int(start_v, step < 0 ? n - 1 : 0));
  CATENA_ASSIGN_OR_RETURN(int64_t stop, as_int(stop_v, step < 0 ? -n - 1 : n));
  auto adjust = [&](int64_t i) {
    if (i < 0)
      i = std::max<int64_t>(i + n, step < 0 ? -1 : 0);
    else if (i >= n)
      i = step < 0 ? n - 1 : n;
    return i;
  };
  start = adjust(start);
  stop = adjust(stop);
  std::vector<size_t> indices;
  for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) indices.push_back(static_cast<size_t>(i));
  return indices;
}

}  // namespace

absl::StatusOr<Value> BinaryOp(CallContext& ctx, std::string_view op, const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return FloatArith(op, a.AsDouble(), b.AsDouble());
    return IntArith(op, a.int_value(), b.int_value());
  }
  const bool a_seq = a.is_string() || a.is_list();
  const bool b_seq = b.is_string() || b.is_list();
  if (op == "+" && a_seq && a.kind() == b.kind() && a.is_tuple() == b.is_tuple()) return Concat(ctx, a, b);
  if (op == "*" && a_seq && (b.is_int() || b.is_bool())) return Repeat(ctx, a, b.int_value());
  if (op == "*" && b_seq && (a.is_int() || a.is_bool())) return Repeat(ctx, b, a.int_value());
  if (op == "%" && a.is_string()) {
    CATENA_ASSIGN_OR_RETURN(std::string formatted, PercentFormat(ctx, a.string_value(), b));
    return Value(std::move(formatted));
  }
  return TypeError(op, a, b);
}

absl::StatusOr<Value> UnaryOp(const Value& v, bool negative) {
  if (v.is_undefined()) return UndefinedError(v);
  if (v.is_float()) return Value(negative ? -v.float_value() : v.float_value());
  if (v.is_int() || v.is_bool()) {
    if (negative && v.int_value() == std::numeric_limits<int64_t>::min()) return Overflow();
    return Value(negative ? -v.int_value() : v.int_value());
  }
  return absl::InvalidArgumentError(
      text::Cat("bad operand type for unary ", negative ? "-" : "+", ": '", TypeName(v), "'"));
}

absl::StatusOr<bool> Contains(CallContext& ctx, const Value& container, const Value& item) {
  if (container.is_string()) {
    if (!item.is_string()) {
      return absl::InvalidArgumentError(
          text::Cat("'in <string>' requires string as left operand, not ", TypeName(item)));
    }
    return container.string_value().find(item.string_value()) != std::string::npos;
  }
  if (container.is_dict()) {
    if (!HashKey(item).has_value()) {
      return absl::InvalidArgumentError(text::Cat("unhashable type: '", TypeName(item), "'"));
    }
    return container.map().FindKey(item) != nullptr;
  }
  if (container.is_undefined() && !ctx.options().strict_undefined) return false;
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(container));
  for (const Value& candidate : items) {
    if (Equals(candidate, item)) return true;
  }
  return false;
}

Value LookupAttr(const Value& obj, std::string_view name) {
  if (obj.is_map() && obj.map().kind() != ObjectKind::kDict) {
    const Value* found = obj.map().Find(name);
    return found != nullptr ? *found : Value::Undefined();
  }
  Value method = BindMethod(obj, name);
  if (!method.is_undefined()) return method;
  if (obj.is_map()) {
    const Value* found = obj.map().Find(name);
    if (found != nullptr) return *found;
  }
  return Value::Undefined();
}

Value LookupItem(const Value& obj, const Value& key) {
  if (obj.is_map()) {
    if (const Value* found = obj.map().FindKey(key); found != nullptr) return *found;
  } else if ((obj.is_list() || obj.is_string()) && (key.is_int() || key.is_bool())) {
    int64_t index = key.int_value();
    if (obj.is_list()) {
      const auto& items = obj.list().items;
      if (index < 0) index += static_cast<int64_t>(items.size());
      if (index >= 0 && index < static_cast<int64_t>(items.size())) return items[static_cast<size_t>(index)];
      return Value::Undefined();
    }
    const std::vector<std::string_view> chars = text::CodePoints(obj.string_value());
    if (index < 0) index += static_cast<int64_t>(chars.size());
    if (index >= 0 && index < static_cast<int64_t>(chars.size())) return Value(chars[static_cast<size_t>(index)]);
    return Value::Undefined();
  }
  if (key.is_string()) return LookupAttr(obj, key.string_value());
  return Value::Undefined();
}

absl::StatusOr<Value> SliceValue(const Value& obj, const Value& start, const Value& stop, const Value& step) {
  if (obj.is_string()) {
    const std::vector<std::string_view> chars = text::CodePoints(obj.string_value());
    CATENA_ASSIGN_OR_RETURN(std::vector<size_t> indices, SliceIndices(chars.size(), start, stop, step));
    std::string out;
    for (size_t i : indices) out.append(chars[i]);
    return Value(std::move(out));
  }
  if (obj.is_list()) {
    const auto& items = obj.list().items;
    CATENA_ASSIGN_OR_RETURN(std::vector<size_t> indices, SliceIndices(items.size(), start, stop, step));
    std::vector<Value> out;
    out.reserve(indices.size());
    for (size_t i : indices) out.push_back(items[i]);
    return obj.is_tuple() ? Value::Tuple(std::move(out)) : Value::List(std::move(out));
  }
  if (obj.is_undefined()) return UndefinedError(obj);
  return absl::InvalidArgumentError(text::Cat("'", TypeName(obj), "' object is not subscriptable"));
}

}  // namespace catena::tmpl
