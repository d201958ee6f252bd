// Value: the dynamic value model of the template engine, with Python/Jinja2 semantics: undefined, none,
// bool, int64, double, string, list/tuple, insertion-ordered mapping and callables. Lists and mappings have
// reference semantics like Python objects (copies share them) and are not synchronized: a context whose lists
// a template mutates (list.append) must not be rendered concurrently. Scalars are immutable.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::tmpl {

class Value;
class CallContext;  // Renderer services available to callables; defined in renderer.h.

// Arguments of a call: positional values, then keyword arguments in call order.
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;
};

// A function callable from templates; receives the renderer of the current render.
using NativeFunction = std::function<absl::StatusOr<Value>(CallContext&, CallArgs)>;
// A caller-supplied global function that needs no renderer services.
using SimpleFunction = std::function<absl::StatusOr<Value>(const CallArgs&)>;

// What a mapping is for: a Python dict, a jinja2 namespace() object, or an internal object such as `loop`.
enum class ObjectKind { kDict, kNamespace, kObject };

// Payload of list and tuple values.
struct ListData {
  ListData() = default;
  ListData(const ListData&) = delete;
  ListData& operator=(const ListData&) = delete;
  // Releases nested containers iteratively, so deeply nested values cannot overflow the stack.
  ~ListData();

  std::vector<Value> items;
  bool is_tuple = false;
};

// Payload of undefined values that know where they came from (for error messages).
struct UndefinedInfo {
  std::string hint;  // expression path, e.g. "inputs.question"
  int line = 0;      // source position of the expression that produced it (0 when unknown)
  int column = 0;
};

// Payload of callable values (macros, globals, bound methods).
struct Callable {
  std::string name;
  NativeFunction fn;
};

// Payload of mapping values: insertion-ordered like a Python dict, keyed by hashable scalars where
// 1 == 1.0 == True is one key.
class MapData {
 public:
  explicit MapData(ObjectKind kind = ObjectKind::kDict) : kind_(kind) {}
  MapData(const MapData&) = delete;
  MapData& operator=(const MapData&) = delete;
  // Releases nested containers iteratively, so deeply nested values cannot overflow the stack.
  ~MapData();

  // Kind of object this mapping represents.
  ObjectKind kind() const { return kind_; }
  // Number of entries.
  size_t size() const { return entries_.size(); }
  // Entries in insertion order.
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  // Returns the value stored under `key`, or nullptr.
  const Value* FindKey(const Value& key) const;
  // Returns the value stored under the string key `key`, or nullptr.
  const Value* Find(std::string_view key) const;
  // Inserts or replaces; fails for unhashable keys (lists, mappings).
  absl::Status SetKey(Value key, Value value);
  // Inserts or replaces under a string key.
  void Set(std::string_view key, Value value);
  // Removes `key`; returns whether it was present.
  bool Erase(const Value& key);
  // Mutable value of entry `i` in insertion order (i < size()).
  Value& value_at(size_t i);

 private:
  friend class Value;  // TakeChildrenIfUnique
  static constexpr size_t kIndexThreshold = 12;
  std::optional<size_t> IndexOf(const Value& key) const;
  void Reindex();

  ObjectKind kind_;
  std::vector<std::pair<Value, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;  // canonical key -> position, once size > threshold
};

// A dynamically typed template value. Default-constructed values are undefined.
class Value {
 public:
  enum class Kind : uint8_t { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kMap, kCallable };

  // Undefined value without a name hint.
  Value() = default;
  // Copies share lists and mappings (Python reference semantics). Defined out of line: inlining the variant
  // copies into every caller bloats code and trips GCC's -Wmaybe-uninitialized false positives.
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;
  ~Value();
  // Boolean value.
  Value(bool b) : kind_(Kind::kBool), data_(b) {}  // NOLINT(google-explicit-constructor)
  // Integer value (any integral type but bool).
  template <typename T>
  requires(std::is_integral_v<T> && !std::is_same_v<T, bool>) Value(T i)
      : kind_(Kind::kInt), data_(static_cast<int64_t>(i)) {}  // NOLINT(google-explicit-constructor)
  // Float value.
  Value(double d) : kind_(Kind::kFloat), data_(d) {}  // NOLINT(google-explicit-constructor)
  // String values (UTF-8).
  Value(std::string s) : kind_(Kind::kString), data_(std::move(s)) {}  // NOLINT(google-explicit-constructor)
  Value(std::string_view s) : Value(std::string(s)) {}                 // NOLINT(google-explicit-constructor)
  Value(const char* s) : Value(std::string(s)) {}                      // NOLINT(google-explicit-constructor)

  // Undefined value remembering the expression path (and position) that produced it, for error messages.
  static Value Undefined(std::string hint = {}, int line = 0, int column = 0);
  // Python None.
  static Value None();
  // New list owning `items`.
  static Value List(std::vector<Value> items = {});
  // New tuple owning `items`.
  static Value Tuple(std::vector<Value> items);
  // New empty mapping of the given kind.
  static Value Dict(ObjectKind kind = ObjectKind::kDict);
  // Callable wrapping a renderer-aware native function.
  static Value Builtin(std::string name, NativeFunction fn);
  // Callable wrapping a caller-supplied function (e.g. a `strftime_now` global).
  static Value Function(std::string name, SimpleFunction fn);
  // Converts JSON (objects keep their iteration order).
  static Value FromJson(const nlohmann::json& json);
  static Value FromJson(const nlohmann::ordered_json& json);

  // Kind of value, and one predicate per kind.
  Kind kind() const { return kind_; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_none() const { return kind_ == Kind::kNone; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_float() const { return kind_ == Kind::kFloat; }
  // True for bool, int and float (Python numbers).
  bool is_number() const { return kind_ == Kind::kBool || kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  // True for lists and tuples; is_tuple() only for tuples.
  bool is_list() const { return kind_ == Kind::kList; }
  bool is_tuple() const { return is_list() && list().is_tuple; }
  // True for dicts, namespaces and internal objects.
  bool is_map() const { return kind_ == Kind::kMap; }
  // True for a mapping that is a plain dict (not a namespace or internal object).
  bool is_dict() const { return is_map() && map().kind() == ObjectKind::kDict; }
  // True for macros, global functions and bound methods.
  bool is_callable() const { return kind_ == Kind::kCallable; }

  // Payload accessors; calling one for another kind is a programming error.
  bool bool_value() const { return std::get<bool>(data_); }
  int64_t int_value() const { return is_bool() ? bool_value() : std::get<int64_t>(data_); }
  double float_value() const { return std::get<double>(data_); }
  // Numeric value as double for bool, int and float.
  double AsDouble() const { return is_float() ? float_value() : static_cast<double>(int_value()); }
  const std::string& string_value() const { return std::get<std::string>(data_); }
  // Name hint and origin of an undefined value (empty / 0 when unknown).
  const std::string& undefined_hint() const;
  int undefined_line() const;
  int undefined_column() const;
  // Shared payloads: mutations are visible through every copy, like Python objects.
  ListData& list() const { return *std::get<std::shared_ptr<ListData>>(data_); }
  MapData& map() const { return *std::get<std::shared_ptr<MapData>>(data_); }
  const Callable& callable() const { return *std::get<std::shared_ptr<Callable>>(data_); }
  // Identity of a shared payload (Python `is`), or nullptr for scalars.
  const void* identity() const;
  // Moves the children of a list or mapping that no other Value shares into `out` (for iterative release).
  void TakeChildrenIfUnique(std::vector<Value>* out);

 private:
  using Data = std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<ListData>,
                            std::shared_ptr<MapData>, std::shared_ptr<Callable>, std::shared_ptr<const UndefinedInfo>>;
  // Builds the variant directly from its payload (no variant temporary to move).
  template <typename Payload>
  Value(Kind kind, Payload payload) : kind_(kind), data_(std::move(payload)) {}

  Kind kind_ = Kind::kUndefined;
  Data data_;
};

// Python truthiness (undefined and none are false).
bool Truthy(const Value& v);
// Python str(): None/True/False, float repr, Python-style containers; undefined prints as "".
std::string ToStr(const Value& v);
// Python repr() (strings quoted, 'a' style).
std::string Repr(const Value& v);
// Python type name used in error messages ("int", "str", "dict", "NoneType", ...).
std::string TypeName(const Value& v);
// Python float repr: shortest round-trip digits, "1.0", "1e+16", "inf", "nan".
std::string FormatFloat(double d);
// Python ==: numbers compare by value, containers element-wise, dicts ignore order.
bool Equals(const Value& a, const Value& b);
// Python ordering (<0, 0, >0) for numbers, strings and lists; errors for other type pairs.
absl::StatusOr<int> Compare(const Value& a, const Value& b);
// Canonical hash key for dict keys; nullopt for unhashable values.
std::optional<std::string> HashKey(const Value& v);
// Copy whose lists and mappings are new objects (recursively), so mutating it leaves `v` untouched.
Value DeepCopy(const Value& v);
// Converts to JSON; errors for undefined values and callables.
absl::StatusOr<nlohmann::json> ToJson(const Value& v);
// Converts to JSON keeping mapping order.
absl::StatusOr<nlohmann::ordered_json> ToOrderedJson(const Value& v);
// Compact JSON text, exactly ToOrderedJson(v)->dump(-1, ' ', false, error_handler_t::replace) (invalid UTF-8
// replaced, NaN and infinities as null) but written directly, without building the JSON tree; same errors.
absl::StatusOr<std::string> ToJsonText(const Value& v);

}  // namespace catena::tmpl
