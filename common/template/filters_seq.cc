// Sequence filters of the template engine (jinja2 semantics): join, first/last, list, items, sorting,
// unique, min/max/sum, reverse, batch/slice, map, select/reject and selectattr/rejectattr.
#include <algorithm>

#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/ops.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

using FilterTable = std::vector<std::pair<std::string_view, FilterFn>>;

Value IgnoreCase(const Value& v) { return v.is_string() ? Value(text::Lower(v.string_value())) : v; }

// Sort key of jinja2's make_multi_attrgetter: the item itself or its attributes (comma-separated paths).
absl::StatusOr<Value> SortKey(CallContext& ctx, const Value& item, const Value& attribute, bool case_sensitive) {
  if (attribute.is_undefined() || attribute.is_none()) return case_sensitive ? item : IgnoreCase(item);
  if (attribute.is_int()) return case_sensitive ? LookupItem(item, attribute) : IgnoreCase(LookupItem(item, attribute));
  CATENA_ASSIGN_OR_RETURN(std::string paths, ctx.Str(attribute));
  std::vector<Value> parts;
  for (std::string_view path : text::Split(paths, ',')) {
    CATENA_ASSIGN_OR_RETURN(Value part, GetAttributePath(ctx, item, path));
    parts.push_back(case_sensitive ? part : IgnoreCase(part));
  }
  if (parts.size() == 1) return parts[0];
  return Value::List(std::move(parts));
}

absl::StatusOr<std::vector<Value>> SortedCopy(CallContext& ctx, std::vector<Value> items, const Value& attribute,
                                              bool case_sensitive, bool reverse) {
  std::vector<std::pair<Value, size_t>> keys;
  for (size_t i = 0; i < items.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(Value key, SortKey(ctx, items[i], attribute, case_sensitive));
    keys.emplace_back(std::move(key), i);
  }
  absl::Status status;
  std::stable_sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    absl::StatusOr<int> c = reverse ? Compare(b.first, a.first) : Compare(a.first, b.first);
    if (!c.ok()) status = c.status();
    return c.ok() && *c < 0;
  });
  CATENA_RETURN_IF_ERROR(status);
  std::vector<Value> out;
  for (const auto& [key, index] : keys) out.push_back(items[index]);
  return out;
}

absl::StatusOr<Value> Join(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("join", args, {"d", "attribute"}));
  CATENA_ASSIGN_OR_RETURN(std::string sep, ctx.Str(bound.Get(0, Value(""))));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    Value item = items[i];
    if (bound.Has(1)) {
      CATENA_ASSIGN_OR_RETURN(std::string path, ctx.Str(bound.Get(1)));
      CATENA_ASSIGN_OR_RETURN(item, GetAttributePath(ctx, item, path));
    }
    CATENA_ASSIGN_OR_RETURN(std::string piece, ctx.Str(item));
    if (i > 0) out += sep;
    out += piece;
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(out.size()));
  }
  return Value(std::move(out));
}

absl::StatusOr<Value> First(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  if (items.empty()) return Value::Undefined("first item of an empty sequence");
  return items.front();
}

absl::StatusOr<Value> Last(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  if (items.empty()) return Value::Undefined("last item of an empty sequence");
  return items.back();
}

absl::StatusOr<Value> ToList(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  return Value::List(std::move(items));
}

absl::StatusOr<Value> Items(CallContext& ctx, const Value& input, const CallArgs&) {
  if (input.is_undefined()) {
    if (ctx.options().strict_undefined) return UndefinedError(input);
    return Value::List();
  }
  if (!input.is_dict()) return absl::InvalidArgumentError("Can only get item pairs from a mapping.");
  std::vector<Value> pairs;
  for (const auto& [key, value] : input.map().entries()) pairs.push_back(Value::Tuple({key, value}));
  return Value::List(std::move(pairs));
}

absl::StatusOr<Value> DictSort(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("dictsort", args, {"case_sensitive", "by", "reverse"}));
  CATENA_ASSIGN_OR_RETURN(const std::string by, bound.String(1, "key"));
  if (by != "key" && by != "value") return absl::InvalidArgumentError("You can only sort by either 'key' or 'value'");
  if (input.is_undefined()) return UndefinedError(input);
  CATENA_ASSIGN_OR_RETURN(Value pairs, Items(ctx, input, CallArgs{}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> sorted, SortedCopy(ctx, pairs.list().items, Value(by == "key" ? 0 : 1),
                                                                bound.Bool(0, false), bound.Bool(2, false)));
  return Value::List(std::move(sorted));
}

absl::StatusOr<Value> Sort(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("sort", args, {"reverse", "case_sensitive", "attribute"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> sorted,
                          SortedCopy(ctx, std::move(items), bound.Get(2), bound.Bool(1, false), bound.Bool(0, false)));
  return Value::List(std::move(sorted));
}

absl::StatusOr<Value> Unique(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("unique", args, {"case_sensitive", "attribute"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  std::vector<Value> out;
  std::vector<std::string> seen;
  for (const Value& item : items) {
    CATENA_ASSIGN_OR_RETURN(Value key, SortKey(ctx, item, bound.Get(1), bound.Bool(0, false)));
    std::optional<std::string> hash = HashKey(key);
    if (!hash.has_value()) return absl::InvalidArgumentError(text::Cat("unhashable type: '", TypeName(key), "'"));
    if (std::find(seen.begin(), seen.end(), *hash) != seen.end()) continue;
    seen.push_back(*std::move(hash));
    out.push_back(item);
  }
  return Value::List(std::move(out));
}

// min() / max(): the first item whose key is smallest / largest.
absl::StatusOr<Value> Extreme(CallContext& ctx, const Value& input, const CallArgs& args, bool want_max) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound,
                          BoundArgs::Bind(want_max ? "max" : "min", args, {"case_sensitive", "attribute"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  if (items.empty()) return Value::Undefined("aggregate of an empty sequence");
  size_t best = 0;
  CATENA_ASSIGN_OR_RETURN(Value best_key, SortKey(ctx, items[0], bound.Get(1), bound.Bool(0, false)));
  for (size_t i = 1; i < items.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(Value key, SortKey(ctx, items[i], bound.Get(1), bound.Bool(0, false)));
    CATENA_ASSIGN_OR_RETURN(const int c, Compare(key, best_key));
    if (want_max ? c > 0 : c < 0) {
      best = i;
      best_key = std::move(key);
    }
  }
  return items[best];
}

absl::StatusOr<Value> Min(CallContext& ctx, const Value& input, const CallArgs& args) {
  return Extreme(ctx, input, args, false);
}

absl::StatusOr<Value> Max(CallContext& ctx, const Value& input, const CallArgs& args) {
  return Extreme(ctx, input, args, true);
}

absl::StatusOr<Value> Sum(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("sum", args, {"attribute", "start"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  Value total = bound.Get(1, Value(0));
  for (Value item : items) {
    if (bound.Has(0)) {
      CATENA_ASSIGN_OR_RETURN(std::string path, ctx.Str(bound.Get(0)));
      CATENA_ASSIGN_OR_RETURN(item, GetAttributePath(ctx, item, path));
    }
    CATENA_ASSIGN_OR_RETURN(total, BinaryOp(ctx, "+", total, item));
  }
  return total;
}

absl::StatusOr<Value> Reverse(CallContext& ctx, const Value& input, const CallArgs&) {
  if (input.is_string()) {
    std::vector<std::string_view> chars = text::CodePoints(input.string_value());
    std::string out;
    for (auto it = chars.rbegin(); it != chars.rend(); ++it) out.append(*it);
    return Value(std::move(out));
  }
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  std::reverse(items.begin(), items.end());
  return Value::List(std::move(items));
}

absl::StatusOr<Value> Batch(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("batch", args, {"linecount", "fill_with"}));
  CATENA_ASSIGN_OR_RETURN(const int64_t size, bound.Int(0, 0));
  if (size <= 0) return absl::InvalidArgumentError("batch(): linecount must be positive");
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(input));
  std::vector<Value> batches;
  for (size_t i = 0; i < items.size(); i += static_cast<size_t>(size)) {
    const size_t end = std::min(items.size(), i + static_cast<size_t>(size));
    std::vector<Value> batch(items.begin() + static_cast<std::ptrdiff_t>(i),
                             items.begin() + static_cast<std::ptrdiff_t>(end));
    while (bound.Has(1) && !bound.Get(1).is_none() && batch.size() < static_cast<size_t>(size)) {
      batch.push_back(bound.Get(1));
    }
    batches.push_back(Value::List(std::move(batch)));
  }
  return Value::List(std::move(batches));
}

absl::StatusOr<Value> SliceFilter(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("slice", args, {"slices", "fill_with"}));
  CATENA_ASSIGN_OR_RETURN(const int64_t slices, bound.Int(0, 0));
  if (slices <= 0 || slices > 100000) return absl::InvalidArgumentError("slice(): slices must be in 1..100000");
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> seq, ctx.Iterate(input));
  const auto length = static_cast<int64_t>(seq.size());
  const int64_t per_slice = length / slices;
  const int64_t with_extra = length % slices;
  int64_t offset = 0;
  std::vector<Value> out;
  for (int64_t n = 0; n < slices; ++n) {
    const int64_t start = offset + n * per_slice;
    if (n < with_extra) ++offset;
    const int64_t end = offset + (n + 1) * per_slice;
    std::vector<Value> part(seq.begin() + start, seq.begin() + end);
    if (bound.Has(1) && !bound.Get(1).is_none() && n >= with_extra) part.push_back(bound.Get(1));
    out.push_back(Value::List(std::move(part)));
  }
  return Value::List(std::move(out));
}

// jinja2's map/select/reject/selectattr/rejectattr yield nothing for a falsy input (`if value:`).
absl::StatusOr<std::vector<Value>> ItemsIfTruthy(CallContext& ctx, const Value& input) {
  CATENA_ASSIGN_OR_RETURN(const bool truthy, ctx.Truth(input));
  if (!truthy) return std::vector<Value>();
  return ctx.Iterate(input);
}

absl::StatusOr<Value> Map(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ItemsIfTruthy(ctx, input));
  std::vector<Value> out;
  const auto attribute =
      std::find_if(args.keyword.begin(), args.keyword.end(), [](const auto& kw) { return kw.first == "attribute"; });
  if (args.positional.empty() && attribute != args.keyword.end()) {
    CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("map", args, {"attribute", "default"}));
    CATENA_ASSIGN_OR_RETURN(std::string path, ctx.Str(bound.Get(0)));
    for (const Value& item : items) {
      CATENA_ASSIGN_OR_RETURN(Value v, GetAttributePath(ctx, item, path));
      out.push_back(v.is_undefined() && bound.Has(1) ? bound.Get(1) : v);
    }
    return Value::List(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return absl::InvalidArgumentError("map requires a filter name or attribute=");
  }
  FilterFn filter = FindFilter(args.positional[0].string_value());
  if (filter == nullptr) {
    return absl::InvalidArgumentError(text::Cat("unknown filter '", args.positional[0].string_value(), "'"));
  }
  CallArgs rest{std::vector<Value>(args.positional.begin() + 1, args.positional.end()), args.keyword};
  for (const Value& item : items) {
    CATENA_ASSIGN_OR_RETURN(Value v, filter(ctx, item, rest));
    out.push_back(std::move(v));
  }
  return Value::List(std::move(out));
}

// select/reject (attr_mode false) and selectattr/rejectattr (attr_mode true).
absl::StatusOr<Value> SelectImpl(CallContext& ctx, const Value& input, const CallArgs& args, bool attr_mode,
                                 bool keep_matches) {
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ItemsIfTruthy(ctx, input));
  size_t next = 0;
  std::string path;
  if (attr_mode) {
    if (args.positional.empty()) return absl::InvalidArgumentError("selectattr/rejectattr require an attribute name");
    CATENA_ASSIGN_OR_RETURN(path, ctx.Str(args.positional[next++]));
  }
  std::string test;
  if (next < args.positional.size()) {
    CATENA_ASSIGN_OR_RETURN(test, ctx.Str(args.positional[next++]));
    if (FindTest(test) == nullptr) return absl::InvalidArgumentError(text::Cat("unknown test '", test, "'"));
  }
  CallArgs test_args{
      std::vector<Value>(args.positional.begin() + static_cast<std::ptrdiff_t>(next), args.positional.end()),
      args.keyword};
  std::vector<Value> out;
  for (const Value& item : items) {
    Value subject = item;
    if (attr_mode) {
      CATENA_ASSIGN_OR_RETURN(subject, GetAttributePath(ctx, item, path));
    }
    bool matches = false;
    if (test.empty()) {
      CATENA_ASSIGN_OR_RETURN(matches, ctx.Truth(subject));
    } else {
      CATENA_ASSIGN_OR_RETURN(matches, ApplyTest(ctx, test, subject, test_args));
    }
    if (matches == keep_matches) out.push_back(item);
  }
  return Value::List(std::move(out));
}

absl::StatusOr<Value> Select(CallContext& ctx, const Value& input, const CallArgs& args) {
  return SelectImpl(ctx, input, args, false, true);
}
absl::StatusOr<Value> Reject(CallContext& ctx, const Value& input, const CallArgs& args) {
  return SelectImpl(ctx, input, args, false, false);
}
absl::StatusOr<Value> SelectAttr(CallContext& ctx, const Value& input, const CallArgs& args) {
  return SelectImpl(ctx, input, args, true, true);
}
absl::StatusOr<Value> RejectAttr(CallContext& ctx, const Value& input, const CallArgs& args) {
  return SelectImpl(ctx, input, args, true, false);
}

}  // namespace

void RegisterSequenceFilters(FilterTable* table) {
  table->insert(table->end(), {
                                  {"join", Join},
                                  {"first", First},
                                  {"last", Last},
                                  {"list", ToList},
                                  {"items", Items},
                                  {"dictsort", DictSort},
                                  {"sort", Sort},
                                  {"unique", Unique},
                                  {"min", Min},
                                  {"max", Max},
                                  {"sum", Sum},
                                  {"reverse", Reverse},
                                  {"batch", Batch},
                                  {"slice", SliceFilter},
                                  {"map", Map},
                                  {"select", Select},
                                  {"reject", Reject},
                                  {"selectattr", SelectAttr},
                                  {"rejectattr", RejectAttr},
                              });
}

}  // namespace catena::tmpl
