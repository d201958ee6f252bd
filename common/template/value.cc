// Value model of the template engine: construction, Python-style printing, equality, ordering, hashing.
#include "common/template/value.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "common/template/text.h"

namespace catena::tmpl {
namespace {

constexpr int kMaxNesting = 200;  // Printing/comparing deeper (or cyclic) containers stops here.

std::string ReprImpl(const Value& v, int depth);

std::string ReprItems(const std::vector<Value>& items, int depth) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += ReprImpl(items[i], depth + 1);
  }
  return out;
}

std::string ReprMap(const MapData& map, int depth) {
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : map.entries()) {
    if (!first) out += ", ";
    first = false;
    text::Append(&out, ReprImpl(key, depth + 1), ": ", ReprImpl(value, depth + 1));
  }
  out += "}";
  if (map.kind() == ObjectKind::kNamespace) return text::Cat("<Namespace ", out, ">");
  if (map.kind() == ObjectKind::kObject) return "<object>";
  return out;
}

std::string ReprImpl(const Value& v, int depth) {
  if (depth > kMaxNesting) return "...";
  switch (v.kind()) {
    case Value::Kind::kString:
      return text::ReprString(v.string_value());
    case Value::Kind::kList: {
      const ListData& list = v.list();
      if (!list.is_tuple) return text::Cat("[", ReprItems(list.items, depth), "]");
      return text::Cat("(", ReprItems(list.items, depth), list.items.size() == 1 ? ",)" : ")");
    }
    case Value::Kind::kMap:
      return ReprMap(v.map(), depth);
    case Value::Kind::kUndefined:
      return "Undefined";
    default:
      return ToStr(v);
  }
}

bool EqualsImpl(const Value& a, const Value& b, int depth);

bool MapsEqual(const MapData& a, const MapData& b, int depth) {
  if (a.size() != b.size()) return false;
  for (const auto& [key, value] : a.entries()) {
    const Value* other = b.FindKey(key);
    if (other == nullptr || !EqualsImpl(value, *other, depth + 1)) return false;
  }
  return true;
}

bool EqualsImpl(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) return false;
  if (a.is_number() && b.is_number()) {
    if (a.is_float() || b.is_float()) return a.AsDouble() == b.AsDouble();
    return a.int_value() == b.int_value();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kString:
      return a.string_value() == b.string_value();
    case Value::Kind::kList: {
      const auto& x = a.list().items;
      const auto& y = b.list().items;
      if (x.size() != y.size() || a.is_tuple() != b.is_tuple()) return false;
      for (size_t i = 0; i < x.size(); ++i) {
        if (!EqualsImpl(x[i], y[i], depth + 1)) return false;
      }
      return true;
    }
    case Value::Kind::kMap:
      if (a.identity() == b.identity()) return true;
      return a.is_dict() && b.is_dict() && MapsEqual(a.map(), b.map(), depth);
    default:
      return a.identity() == b.identity();
  }
}

absl::StatusOr<int> CompareImpl(const Value& a, const Value& b, int depth);

absl::StatusOr<int> CompareLists(const std::vector<Value>& x, const std::vector<Value>& y, int depth) {
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    if (EqualsImpl(x[i], y[i], depth + 1)) continue;
    return CompareImpl(x[i], y[i], depth + 1);
  }
  return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
}

absl::StatusOr<int> CompareImpl(const Value& a, const Value& b, int depth) {
  if (depth > kMaxNesting) return absl::InvalidArgumentError("comparison nests too deeply");
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) {
      return a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
    }
    const double x = a.AsDouble();
    const double y = b.AsDouble();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    const int c = a.string_value().compare(b.string_value());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list() && a.is_tuple() == b.is_tuple()) {
    return CompareLists(a.list().items, b.list().items, depth);
  }
  return absl::InvalidArgumentError(
      text::Cat("'<' not supported between instances of '", TypeName(a), "' and '", TypeName(b), "'"));
}

const std::string& EmptyString() {
  static const std::string* empty = new std::string();
  return *empty;
}

std::optional<std::string> HashKeyImpl(const Value& v, int depth) {
  if (depth > kMaxNesting) return std::nullopt;
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "u";
    case Value::Kind::kNone:
      return "n";
    case Value::Kind::kBool:
    case Value::Kind::kInt:
      return text::Cat("i", v.int_value());
    case Value::Kind::kFloat: {
      const double d = v.float_value();
      if (std::trunc(d) == d && std::abs(d) < 9.2e18) return text::Cat("i", static_cast<int64_t>(d));
      return text::Cat("f", FormatFloat(d));
    }
    case Value::Kind::kString:
      return text::Cat("s", v.string_value());
    case Value::Kind::kList:
      if (!v.is_tuple()) return std::nullopt;
      {
        std::string key = "t";
        for (const Value& item : v.list().items) {
          std::optional<std::string> part = HashKeyImpl(item, depth + 1);
          if (!part.has_value()) return std::nullopt;
          text::Append(&key, part->size(), ":", *part);
        }
        return key;
      }
    default:
      return std::nullopt;
  }
}

// Destroys `pending` without recursion: children of uniquely owned containers are flattened first.
void ReleaseIteratively(std::vector<Value> pending) {
  while (!pending.empty()) {
    Value last = std::move(pending.back());
    pending.pop_back();
    last.TakeChildrenIfUnique(&pending);
  }
}

}  // namespace

ListData::~ListData() { ReleaseIteratively(std::move(items)); }

MapData::~MapData() {
  std::vector<Value> values;
  values.reserve(entries_.size());
  for (auto& entry : entries_) values.push_back(std::move(entry.second));
  ReleaseIteratively(std::move(values));
}

void Value::TakeChildrenIfUnique(std::vector<Value>* out) {
  if (auto* list = std::get_if<std::shared_ptr<ListData>>(&data_); list != nullptr && list->use_count() == 1) {
    for (Value& item : (*list)->items) out->push_back(std::move(item));
    (*list)->items.clear();
  } else if (auto* map = std::get_if<std::shared_ptr<MapData>>(&data_); map != nullptr && map->use_count() == 1) {
    for (auto& entry : (*map)->entries_) out->push_back(std::move(entry.second));
    (*map)->entries_.clear();
    (*map)->index_.clear();
  }
}

const Value* MapData::FindKey(const Value& key) const {
  const std::optional<size_t> index = IndexOf(key);
  return index.has_value() ? &entries_[*index].second : nullptr;
}

const Value* MapData::Find(std::string_view key) const {
  if (!index_.empty()) {
    auto it = index_.find(text::Cat("s", key));
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& [k, v] : entries_) {
    if (k.is_string() && k.string_value() == key) return &v;
  }
  return nullptr;
}

std::optional<size_t> MapData::IndexOf(const Value& key) const {
  if (!index_.empty()) {
    const std::optional<std::string> hash = HashKey(key);
    if (!hash.has_value()) return std::nullopt;
    auto it = index_.find(*hash);
    if (it == index_.end()) return std::nullopt;
    return it->second;
  }
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (Equals(entries_[i].first, key)) return i;
  }
  return std::nullopt;
}

absl::Status MapData::SetKey(Value key, Value value) {
  std::optional<std::string> hash = HashKey(key);
  if (!hash.has_value()) {
    return absl::InvalidArgumentError(text::Cat("unhashable type: '", TypeName(key), "'"));
  }
  if (const std::optional<size_t> index = IndexOf(key); index.has_value()) {
    entries_[*index].second = std::move(value);
    return absl::OkStatus();
  }
  entries_.emplace_back(std::move(key), std::move(value));
  if (!index_.empty()) {
    index_.emplace(*std::move(hash), entries_.size() - 1);
  } else if (entries_.size() > kIndexThreshold) {
    Reindex();
  }
  return absl::OkStatus();
}

void MapData::Set(std::string_view key, Value value) {
  if (index_.empty()) {
    for (auto& [k, v] : entries_) {
      if (k.is_string() && k.string_value() == key) {
        v = std::move(value);
        return;
      }
    }
  }
  (void)SetKey(Value(key), std::move(value));
}

Value& MapData::value_at(size_t i) { return entries_[i].second; }

bool MapData::Erase(const Value& key) {
  const std::optional<size_t> index = IndexOf(key);
  if (!index.has_value()) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(*index));
  index_.clear();
  if (entries_.size() > kIndexThreshold) Reindex();
  return true;
}

void MapData::Reindex() {
  index_.clear();
  for (size_t i = 0; i < entries_.size(); ++i) index_.emplace(*HashKey(entries_[i].first), i);
}

Value::Value(const Value& other) = default;
Value::Value(Value&& other) noexcept = default;
Value& Value::operator=(const Value& other) = default;
Value& Value::operator=(Value&& other) noexcept = default;
Value::~Value() = default;

Value Value::Undefined(std::string hint, int line, int column) {
  if (hint.empty() && line == 0) return Value();
  return Value(Kind::kUndefined, std::make_shared<const UndefinedInfo>(UndefinedInfo{std::move(hint), line, column}));
}
Value Value::None() { return Value(Kind::kNone, std::monostate()); }

Value Value::List(std::vector<Value> items) {
  auto data = std::make_shared<ListData>();
  data->items = std::move(items);
  return Value(Kind::kList, std::move(data));
}

Value Value::Tuple(std::vector<Value> items) {
  Value v = List(std::move(items));
  v.list().is_tuple = true;
  return v;
}

Value Value::Dict(ObjectKind kind) { return Value(Kind::kMap, std::make_shared<MapData>(kind)); }

Value Value::Builtin(std::string name, NativeFunction fn) {
  return Value(Kind::kCallable, std::make_shared<Callable>(Callable{std::move(name), std::move(fn)}));
}

Value Value::Function(std::string name, SimpleFunction fn) {
  return Builtin(std::move(name), [fn = std::move(fn)](CallContext&, CallArgs args) { return fn(args); });
}

const std::string& Value::undefined_hint() const {
  if (const auto* info = std::get_if<std::shared_ptr<const UndefinedInfo>>(&data_)) return (*info)->hint;
  return EmptyString();
}

int Value::undefined_line() const {
  const auto* info = std::get_if<std::shared_ptr<const UndefinedInfo>>(&data_);
  return info != nullptr ? (*info)->line : 0;
}

int Value::undefined_column() const {
  const auto* info = std::get_if<std::shared_ptr<const UndefinedInfo>>(&data_);
  return info != nullptr ? (*info)->column : 0;
}

const void* Value::identity() const {
  switch (kind_) {
    case Kind::kList:
      return std::get<std::shared_ptr<ListData>>(data_).get();
    case Kind::kMap:
      return std::get<std::shared_ptr<MapData>>(data_).get();
    case Kind::kCallable:
      return std::get<std::shared_ptr<Callable>>(data_).get();
    default:
      return nullptr;
  }
}

bool Truthy(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return false;
    case Value::Kind::kBool:
      return v.bool_value();
    case Value::Kind::kInt:
      return v.int_value() != 0;
    case Value::Kind::kFloat:
      return v.float_value() != 0.0;
    case Value::Kind::kString:
      return !v.string_value().empty();
    case Value::Kind::kList:
      return !v.list().items.empty();
    case Value::Kind::kMap:
      return v.map().kind() != ObjectKind::kDict || v.map().size() > 0;
    case Value::Kind::kCallable:
      return true;
  }
  return false;
}

std::string FormatFloat(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d > 0 ? "inf" : "-inf";
  char buf[64];
  auto result = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(result.ptr - buf));
  const bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  const size_t e_pos = sci.find('e');
  std::string digits(sci.substr(0, e_pos));
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const int decpt = exponent + 1;  // value = 0.<digits> * 10^decpt
  std::string out = negative ? "-" : "";
  if (decpt > 16 || decpt < -3) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) text::Append(&out, ".", digits.substr(1));
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof(exp_buf), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp_buf;
  }
  if (decpt <= 0) return text::Cat(out, "0.", std::string(static_cast<size_t>(-decpt), '0'), digits);
  if (static_cast<size_t>(decpt) >= digits.size()) {
    return text::Cat(out, digits, std::string(static_cast<size_t>(decpt) - digits.size(), '0'), ".0");
  }
  return text::Cat(out, digits.substr(0, static_cast<size_t>(decpt)), ".", digits.substr(static_cast<size_t>(decpt)));
}

std::string ToStr(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "";
    case Value::Kind::kNone:
      return "None";
    case Value::Kind::kBool:
      return v.bool_value() ? "True" : "False";
    case Value::Kind::kInt:
      return text::Cat(v.int_value());
    case Value::Kind::kFloat:
      return FormatFloat(v.float_value());
    case Value::Kind::kString:
      return v.string_value();
    case Value::Kind::kCallable:
      return text::Cat("<function ", v.callable().name, ">");
    default:
      return ReprImpl(v, 0);
  }
}

std::string Repr(const Value& v) { return ReprImpl(v, 0); }

std::string TypeName(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return "Undefined";
    case Value::Kind::kNone:
      return "NoneType";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kList:
      return v.is_tuple() ? "tuple" : "list";
    case Value::Kind::kMap:
      return v.map().kind() == ObjectKind::kDict ? "dict" : "object";
    case Value::Kind::kCallable:
      return "function";
  }
  return "object";
}

bool Equals(const Value& a, const Value& b) { return EqualsImpl(a, b, 0); }

absl::StatusOr<int> Compare(const Value& a, const Value& b) { return CompareImpl(a, b, 0); }

std::optional<std::string> HashKey(const Value& v) { return HashKeyImpl(v, 0); }

}  // namespace catena::tmpl
