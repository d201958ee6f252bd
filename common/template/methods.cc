// Python methods callable from templates: str (strip, split, startswith, format, ...), dict (items, get,
// ...) and list (append, pop, ...). BindMethod returns them bound to their receiver.
#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/format.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

using Method = absl::StatusOr<Value> (*)(CallContext& ctx, const Value& self, const CallArgs& args);
using MethodTable = std::map<std::string, Method, std::less<>>;

// Optional `chars` argument of strip/lstrip/rstrip.
absl::StatusOr<Value> StripImpl(const Value& self, const CallArgs& args, bool left, bool right) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("strip", args, {"chars"}));
  if (!bound.Has(0) || bound.Get(0).is_none()) return Value(text::Strip(self.string_value(), nullptr, left, right));
  CATENA_ASSIGN_OR_RETURN(const std::string chars, bound.String(0, ""));
  return Value(text::Strip(self.string_value(), &chars, left, right));
}

absl::StatusOr<Value> Strip(CallContext&, const Value& self, const CallArgs& args) {
  return StripImpl(self, args, true, true);
}
absl::StatusOr<Value> LStrip(CallContext&, const Value& self, const CallArgs& args) {
  return StripImpl(self, args, true, false);
}
absl::StatusOr<Value> RStrip(CallContext&, const Value& self, const CallArgs& args) {
  return StripImpl(self, args, false, true);
}

// Python str.split()/rsplit() without a separator: runs of whitespace, at most `maxsplit` splits.
std::vector<Value> SplitWhitespace(std::string_view s, int64_t maxsplit, bool from_right) {
  std::vector<Value> parts;
  if (from_right) {
    size_t end = s.size();
    while (true) {
      while (end > 0 && text::IsSpace(s[end - 1])) --end;
      if (end == 0) break;
      if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
        parts.emplace_back(s.substr(0, end));
        break;
      }
      size_t start = end;
      while (start > 0 && !text::IsSpace(s[start - 1])) --start;
      parts.emplace_back(s.substr(start, end - start));
      end = start;
    }
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  size_t pos = 0;
  while (true) {
    while (pos < s.size() && text::IsSpace(s[pos])) ++pos;
    if (pos >= s.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(parts.size()) == maxsplit) {
      parts.emplace_back(s.substr(pos));
      break;
    }
    size_t end = pos;
    while (end < s.size() && !text::IsSpace(s[end])) ++end;
    parts.emplace_back(s.substr(pos, end - pos));
    pos = end;
  }
  return parts;
}

std::vector<Value> SplitSeparator(std::string_view s, std::string_view sep, int64_t maxsplit, bool from_right) {
  std::vector<Value> parts;
  if (from_right) {
    size_t end = s.size();
    while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
      if (end < sep.size()) break;
      const size_t hit = s.rfind(sep, end - sep.size());
      if (hit == std::string_view::npos) break;
      parts.emplace_back(s.substr(hit + sep.size(), end - hit - sep.size()));
      end = hit;
    }
    parts.emplace_back(s.substr(0, end));
    std::reverse(parts.begin(), parts.end());
    return parts;
  }
  size_t pos = 0;
  while (maxsplit < 0 || static_cast<int64_t>(parts.size()) < maxsplit) {
    const size_t hit = s.find(sep, pos);
    if (hit == std::string_view::npos) break;
    parts.emplace_back(s.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  parts.emplace_back(s.substr(pos));
  return parts;
}

absl::StatusOr<Value> SplitImpl(const Value& self, const CallArgs& args, bool from_right) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("split", args, {"sep", "maxsplit"}));
  CATENA_ASSIGN_OR_RETURN(const int64_t maxsplit, bound.Int(1, -1));
  if (!bound.Has(0) || bound.Get(0).is_none()) {
    return Value::List(SplitWhitespace(self.string_value(), maxsplit, from_right));
  }
  CATENA_ASSIGN_OR_RETURN(const std::string sep, bound.String(0, ""));
  if (sep.empty()) return absl::InvalidArgumentError("empty separator");
  return Value::List(SplitSeparator(self.string_value(), sep, maxsplit, from_right));
}

absl::StatusOr<Value> Split(CallContext&, const Value& self, const CallArgs& args) {
  return SplitImpl(self, args, false);
}
absl::StatusOr<Value> RSplit(CallContext&, const Value& self, const CallArgs& args) {
  return SplitImpl(self, args, true);
}

absl::StatusOr<Value> SplitLines(CallContext&, const Value& self, const CallArgs&) {
  std::vector<Value> lines;
  for (std::string& line : text::SplitLines(self.string_value())) lines.emplace_back(std::move(line));
  return Value::List(std::move(lines));
}

// startswith / endswith with a string or a tuple of strings.
absl::StatusOr<Value> AffixImpl(const Value& self, const CallArgs& args, bool prefix) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(prefix ? "startswith" : "endswith", args, {"affix"}));
  std::vector<Value> candidates;
  const Value affix = bound.Get(0);
  if (affix.is_list()) {
    candidates = affix.list().items;
  } else {
    candidates.push_back(affix);
  }
  const std::string& s = self.string_value();
  for (const Value& candidate : candidates) {
    if (!candidate.is_string()) {
      return absl::InvalidArgumentError(text::Cat(
          prefix ? "startswith" : "endswith", " first arg must be str or a tuple of str, not ", TypeName(candidate)));
    }
    if (prefix ? s.starts_with(candidate.string_value()) : s.ends_with(candidate.string_value())) return Value(true);
  }
  return Value(false);
}

absl::StatusOr<Value> StartsWith(CallContext&, const Value& self, const CallArgs& args) {
  return AffixImpl(self, args, true);
}
absl::StatusOr<Value> EndsWith(CallContext&, const Value& self, const CallArgs& args) {
  return AffixImpl(self, args, false);
}

template <std::string (*Fn)(std::string_view)>
absl::StatusOr<Value> Mapped(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_RETURN_IF_ERROR(BoundArgs::Bind("method", args, {}).status());
  return Value(Fn(self.string_value()));
}

// isdigit/isalpha/isalnum/isspace: non-empty and every byte in the class (ASCII).
template <bool (*Pred)(unsigned char)>
absl::StatusOr<Value> Classify(CallContext&, const Value& self, const CallArgs&) {
  const std::string& s = self.string_value();
  return Value(!s.empty() &&
               std::all_of(s.begin(), s.end(), [](char c) { return Pred(static_cast<unsigned char>(c)); }));
}
bool Digit(unsigned char c) { return absl::ascii_isdigit(c); }
bool Alpha(unsigned char c) { return absl::ascii_isalpha(c); }
bool Alnum(unsigned char c) { return absl::ascii_isalnum(c); }
bool Space(unsigned char c) { return text::IsSpace(static_cast<char>(c)); }

absl::StatusOr<Value> CaseTest(const Value& self, bool lower) {
  const std::string& s = self.string_value();
  bool cased = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const uint32_t cp = text::DecodeOne(s, &pos);
    if (lower ? text::IsUpperCase(cp) : text::IsLowerCase(cp)) return Value(false);
    cased = cased || text::IsCased(cp);
  }
  return Value(cased);
}
absl::StatusOr<Value> IsLower(CallContext&, const Value& self, const CallArgs&) { return CaseTest(self, true); }
absl::StatusOr<Value> IsUpper(CallContext&, const Value& self, const CallArgs&) { return CaseTest(self, false); }

absl::StatusOr<Value> ReplaceMethod(CallContext& ctx, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("replace", args, {"old", "new", "count"}));
  CATENA_ASSIGN_OR_RETURN(const std::string old, bound.String(0, ""));
  CATENA_ASSIGN_OR_RETURN(const std::string repl, bound.String(1, ""));
  CATENA_ASSIGN_OR_RETURN(const int64_t count, bound.Int(2, -1));
  std::optional<std::string> out = text::Replace(self.string_value(), old, repl, count, ctx.options().max_output_bytes);
  if (!out.has_value()) return ctx.CheckSize(ctx.options().max_output_bytes + 1);
  return Value(*std::move(out));
}

absl::StatusOr<Value> FormatMethod(CallContext& ctx, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(std::string out, BraceFormat(ctx, self.string_value(), args));
  return Value(std::move(out));
}

absl::StatusOr<Value> JoinMethod(CallContext& ctx, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("join", args, {"iterable"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(bound.Get(0)));
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string()) {
      return absl::InvalidArgumentError(
          text::Cat("sequence item ", i, ": expected str instance, ", TypeName(items[i]), " found"));
    }
    if (i > 0) out += self.string_value();
    out += items[i].string_value();
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(out.size()));
  }
  return Value(std::move(out));
}

// find / rfind / count of a substring; indices count code points.
absl::StatusOr<Value> SearchImpl(const Value& self, const CallArgs& args, std::string_view mode) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(mode, args, {"sub"}));
  CATENA_ASSIGN_OR_RETURN(const std::string sub, bound.String(0, ""));
  const std::string& s = self.string_value();
  if (mode == "count") {
    if (sub.empty()) return Value(static_cast<int64_t>(text::CodePointCount(s) + 1));
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string::npos; pos = s.find(sub, pos + sub.size())) ++n;
    return Value(n);
  }
  const size_t hit = mode == "find" ? s.find(sub) : s.rfind(sub);
  if (hit == std::string::npos) return Value(-1);
  return Value(static_cast<int64_t>(text::CodePointCount(std::string_view(s).substr(0, hit))));
}
absl::StatusOr<Value> Find(CallContext&, const Value& self, const CallArgs& args) {
  return SearchImpl(self, args, "find");
}
absl::StatusOr<Value> RFind(CallContext&, const Value& self, const CallArgs& args) {
  return SearchImpl(self, args, "rfind");
}
absl::StatusOr<Value> Count(CallContext&, const Value& self, const CallArgs& args) {
  return SearchImpl(self, args, "count");
}

const MethodTable& StringMethods() {
  static const auto* table = new MethodTable{
      {"strip", Strip},
      {"lstrip", LStrip},
      {"rstrip", RStrip},
      {"split", Split},
      {"rsplit", RSplit},
      {"splitlines", SplitLines},
      {"startswith", StartsWith},
      {"endswith", EndsWith},
      {"upper", Mapped<text::Upper>},
      {"lower", Mapped<text::Lower>},
      {"title", Mapped<text::PyTitle>},
      {"capitalize", Mapped<text::Capitalize>},
      {"replace", ReplaceMethod},
      {"format", FormatMethod},
      {"join", JoinMethod},
      {"find", Find},
      {"rfind", RFind},
      {"count", Count},
      {"isdigit", Classify<Digit>},
      {"isalpha", Classify<Alpha>},
      {"isalnum", Classify<Alnum>},
      {"isspace", Classify<Space>},
      {"islower", IsLower},
      {"isupper", IsUpper},
  };
  return *table;
}

absl::StatusOr<Value> DictItems(CallContext&, const Value& self, const CallArgs&) {
  std::vector<Value> pairs;
  for (const auto& [key, value] : self.map().entries()) pairs.push_back(Value::Tuple({key, value}));
  return Value::List(std::move(pairs));
}

absl::StatusOr<Value> DictKeys(CallContext&, const Value& self, const CallArgs&) {
  std::vector<Value> keys;
  for (const auto& entry : self.map().entries()) keys.push_back(entry.first);
  return Value::List(std::move(keys));
}

absl::StatusOr<Value> DictValues(CallContext&, const Value& self, const CallArgs&) {
  std::vector<Value> values;
  for (const auto& entry : self.map().entries()) values.push_back(entry.second);
  return Value::List(std::move(values));
}

absl::StatusOr<Value> DictGet(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("get", args, {"key", "default"}));
  const Value* found = self.map().FindKey(bound.Get(0));
  return found != nullptr ? *found : bound.Get(1, Value::None());
}

absl::StatusOr<Value> DictPop(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("pop", args, {"key", "default"}));
  const Value* found = self.map().FindKey(bound.Get(0));
  if (found == nullptr) {
    if (bound.Has(1)) return bound.Get(1);
    return absl::InvalidArgumentError(text::Cat("KeyError: ", Repr(bound.Get(0))));
  }
  Value value = *found;
  self.map().Erase(bound.Get(0));
  return value;
}

absl::StatusOr<Value> DictSetDefault(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("setdefault", args, {"key", "default"}));
  if (const Value* found = self.map().FindKey(bound.Get(0)); found != nullptr) return *found;
  CATENA_RETURN_IF_ERROR(self.map().SetKey(bound.Get(0), bound.Get(1, Value::None())));
  return bound.Get(1, Value::None());
}

absl::StatusOr<Value> DictUpdate(CallContext&, const Value& self, const CallArgs& args) {
  if (args.positional.size() > 1) return absl::InvalidArgumentError("update expected at most 1 argument");
  if (!args.positional.empty()) {
    const Value& other = args.positional[0];
    if (!other.is_dict()) return absl::InvalidArgumentError("update() argument must be a mapping");
    for (const auto& [key, value] : other.map().entries()) CATENA_RETURN_IF_ERROR(self.map().SetKey(key, value));
  }
  for (const auto& [key, value] : args.keyword) self.map().Set(key, value);
  return Value::None();
}

absl::StatusOr<Value> DictCopy(CallContext&, const Value& self, const CallArgs&) {
  Value copy = Value::Dict();
  for (const auto& [key, value] : self.map().entries()) CATENA_RETURN_IF_ERROR(copy.map().SetKey(key, value));
  return copy;
}

absl::StatusOr<Value> ListAppend(CallContext& ctx, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("append", args, {"object"}));
  CATENA_RETURN_IF_ERROR(ctx.CountIterations(1));
  self.list().items.push_back(bound.Get(0));
  return Value::None();
}

absl::StatusOr<Value> ListExtend(CallContext& ctx, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("extend", args, {"iterable"}));
  CATENA_ASSIGN_OR_RETURN(std::vector<Value> items, ctx.Iterate(bound.Get(0)));
  CATENA_RETURN_IF_ERROR(ctx.CountIterations(static_cast<int64_t>(items.size())));
  self.list().items.insert(self.list().items.end(), items.begin(), items.end());
  return Value::None();
}

absl::StatusOr<Value> ListPop(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("pop", args, {"index"}));
  auto& items = self.list().items;
  if (items.empty()) return absl::InvalidArgumentError("pop from empty list");
  CATENA_ASSIGN_OR_RETURN(int64_t index, bound.Int(0, -1));
  if (index < 0) index += static_cast<int64_t>(items.size());
  if (index < 0 || index >= static_cast<int64_t>(items.size()))
    return absl::InvalidArgumentError("pop index out of range");
  Value value = items[static_cast<size_t>(index)];
  items.erase(items.begin() + index);
  return value;
}

absl::StatusOr<Value> ListInsert(CallContext&, const Value& self, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("insert", args, {"index", "object"}));
  auto& items = self.list().items;
  CATENA_ASSIGN_OR_RETURN(int64_t index, bound.Int(0, 0));
  const auto size = static_cast<int64_t>(items.size());
  if (index < 0) index = std::max<int64_t>(0, index + size);
  index = std::min(index, size);
  items.insert(items.begin() + index, bound.Get(1));
  return Value::None();
}

// index / count / remove of an element (Python ==).
absl::StatusOr<Value> ListSearch(const Value& self, const CallArgs& args, std::string_view mode) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind(mode, args, {"value"}));
  auto& items = self.list().items;
  int64_t count = 0;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!Equals(items[i], bound.Get(0))) continue;
    if (mode == "index") return Value(static_cast<int64_t>(i));
    if (mode == "remove") {
      items.erase(items.begin() + static_cast<std::ptrdiff_t>(i));
      return Value::None();
    }
    ++count;
  }
  if (mode == "count") return Value(count);
  return absl::InvalidArgumentError(text::Cat(Repr(bound.Get(0)), " is not in list"));
}
absl::StatusOr<Value> ListIndex(CallContext&, const Value& self, const CallArgs& args) {
  return ListSearch(self, args, "index");
}
absl::StatusOr<Value> ListCount(CallContext&, const Value& self, const CallArgs& args) {
  return ListSearch(self, args, "count");
}
absl::StatusOr<Value> ListRemove(CallContext&, const Value& self, const CallArgs& args) {
  return ListSearch(self, args, "remove");
}

absl::StatusOr<Value> ListCopy(CallContext&, const Value& self, const CallArgs&) {
  return Value::List(self.list().items);
}

const MethodTable& DictMethods() {
  static const auto* table = new MethodTable{
      {"items", DictItems},   {"keys", DictKeys}, {"values", DictValues},
      {"get", DictGet},       {"pop", DictPop},   {"setdefault", DictSetDefault},
      {"update", DictUpdate}, {"copy", DictCopy},
  };
  return *table;
}

const MethodTable& ListMethods() {
  static const auto* table = new MethodTable{
      {"append", ListAppend}, {"extend", ListExtend}, {"pop", ListPop},       {"insert", ListInsert},
      {"index", ListIndex},   {"count", ListCount},   {"remove", ListRemove}, {"copy", ListCopy},
  };
  return *table;
}

}  // namespace

Value BindMethod(const Value& obj, std::string_view name) {
  const MethodTable* table = nullptr;
  if (obj.is_string()) table = &StringMethods();
  if (obj.is_dict()) table = &DictMethods();
  if (obj.is_list() && !obj.is_tuple()) table = &ListMethods();
  if (table == nullptr) return Value::Undefined();
  auto it = table->find(name);
  if (it == table->end()) return Value::Undefined();
  const Method method = it->second;
  return Value::Builtin(std::string(name),
                        [obj, method](CallContext& ctx, CallArgs args) { return method(ctx, obj, args); });
}

}  // namespace catena::tmpl
