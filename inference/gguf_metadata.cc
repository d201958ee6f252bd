// GgufMetadata's typed getters and the value-type helpers shared by the GGUF reader and writer.
#include <iterator>
#include <limits>
#include <optional>

#include "common/status.h"

#include "absl/strings/str_cat.h"
#include "inference/gguf.h"
#include "inference/gguf_format.h"

namespace catena::inference {
namespace gguf_internal {

std::string ValueTypeName(uint32_t type) {
  static constexpr const char* kNames[] = {"uint8", "int8",   "uint16", "int16",  "uint32", "int32", "float32",
                                           "bool",  "string", "array",  "uint64", "int64",  "float64"};
  if (type < std::size(kNames)) return kNames[type];
  return absl::StrCat("type ", type);
}

bool IsKnownValueType(uint32_t type) { return type <= static_cast<uint32_t>(GgufValueType::kFloat64); }

uint64_t MinEncodedBytes(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    case GgufValueType::kString: return 8;
    case GgufValueType::kArray: return 12;
  }
  return 0;
}

}  // namespace gguf_internal

namespace {

using gguf_internal::ValueTypeName;

absl::Status WrongType(std::string_view key, const GgufValue& value, std::string_view wanted) {
  return absl::InvalidArgumentError(absl::StrCat("metadata key '", std::string(key), "' is ",
                                                 ValueTypeName(static_cast<uint32_t>(value.type)), ", expected ",
                                                 std::string(wanted)));
}

// The value as a signed 128-bit-safe pair: nullopt when it is not an integer.
std::optional<__int128> AsInteger(const GgufValue& value) {
  if (const auto* u = std::get_if<uint64_t>(&value.value)) return static_cast<__int128>(*u);
  if (const auto* i = std::get_if<int64_t>(&value.value)) return static_cast<__int128>(*i);
  return std::nullopt;
}

template <typename T>
absl::StatusOr<T> IntegerAs(std::string_view key, const GgufValue& value, std::string_view wanted) {
  const std::optional<__int128> integer = AsInteger(value);
  if (!integer) return WrongType(key, value, wanted);
  if (*integer < static_cast<__int128>(std::numeric_limits<T>::min()) ||
      *integer > static_cast<__int128>(std::numeric_limits<T>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key '", std::string(key), "' value ",
                                                   static_cast<int64_t>(*integer), " does not fit ",
                                                   std::string(wanted)));
  }
  return static_cast<T>(*integer);
}

bool IsIntegerType(GgufValueType type) {
  switch (type) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kUint16:
    case GgufValueType::kInt16: case GgufValueType::kUint32: case GgufValueType::kInt32:
    case GgufValueType::kUint64: case GgufValueType::kInt64:
      return true;
    default:
      return false;
  }
}

absl::StatusOr<const GgufArray*> ArrayOf(std::string_view key, const GgufValue& value, GgufValueType element,
                                         std::string_view wanted) {
  const auto* array = std::get_if<GgufArray>(&value.value);
  if (array == nullptr) return WrongType(key, value, wanted);
  const bool float_ok = element == GgufValueType::kFloat32 && array->element_type == GgufValueType::kFloat64;
  const bool int_ok = element == GgufValueType::kInt32 && IsIntegerType(array->element_type);
  if (array->element_type != element && !float_ok && !int_ok) {
    return absl::InvalidArgumentError(absl::StrCat("metadata key '", std::string(key), "' is an array of ",
                                                   ValueTypeName(static_cast<uint32_t>(array->element_type)),
                                                   ", expected ", std::string(wanted)));
  }
  return array;
}

}  // namespace

const GgufValue* GgufMetadata::Find(std::string_view key) const {
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

void GgufMetadata::Set(std::string key, GgufValue value) {
  auto it = values_.find(key);
  if (it != values_.end()) {
    it->second = std::move(value);
    return;
  }
  keys_.push_back(key);
  values_.emplace(std::move(key), std::move(value));
}

#define CATENA_GGUF_FIND_OR_RETURN(value, key)                                                              \
  const GgufValue* value = Find(key);                                                                       \
  if (value == nullptr) {                                                                                   \
    return absl::NotFoundError(absl::StrCat("metadata key '", std::string(key), "' is missing"));          \
  }

absl::StatusOr<std::string> GgufMetadata::GetString(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  const auto* text = std::get_if<std::string>(&value->value);
  if (text == nullptr) return WrongType(key, *value, "string");
  return *text;
}

absl::StatusOr<uint32_t> GgufMetadata::GetUint32(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  return IntegerAs<uint32_t>(key, *value, "uint32");
}

absl::StatusOr<int64_t> GgufMetadata::GetInt64(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  return IntegerAs<int64_t>(key, *value, "int64");
}

absl::StatusOr<float> GgufMetadata::GetFloat32(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  const auto* number = std::get_if<double>(&value->value);
  if (number == nullptr) return WrongType(key, *value, "float32");
  return static_cast<float>(*number);
}

absl::StatusOr<bool> GgufMetadata::GetBool(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  const auto* flag = std::get_if<bool>(&value->value);
  if (flag == nullptr) return WrongType(key, *value, "bool");
  return *flag;
}

absl::StatusOr<std::vector<std::string>> GgufMetadata::GetStringArray(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  CATENA_ASSIGN_OR_RETURN(const GgufArray* array, ArrayOf(key, *value, GgufValueType::kString, "string array"));
  std::vector<std::string> out;
  out.reserve(array->elements.size());
  for (const GgufValue& element : array->elements) out.push_back(std::get<std::string>(element.value));
  return out;
}

absl::StatusOr<std::vector<float>> GgufMetadata::GetFloat32Array(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  CATENA_ASSIGN_OR_RETURN(const GgufArray* array, ArrayOf(key, *value, GgufValueType::kFloat32, "float32 array"));
  std::vector<float> out;
  out.reserve(array->elements.size());
  for (const GgufValue& element : array->elements) out.push_back(static_cast<float>(std::get<double>(element.value)));
  return out;
}

absl::StatusOr<std::vector<int32_t>> GgufMetadata::GetInt32Array(std::string_view key) const {
  CATENA_GGUF_FIND_OR_RETURN(value, key);
  CATENA_ASSIGN_OR_RETURN(const GgufArray* array, ArrayOf(key, *value, GgufValueType::kInt32, "int32 array"));
  std::vector<int32_t> out;
  out.reserve(array->elements.size());
  for (size_t i = 0; i < array->elements.size(); ++i) {
    CATENA_ASSIGN_OR_RETURN(const int32_t element,
                            IntegerAs<int32_t>(absl::StrCat(std::string(key), "[", i, "]"), array->elements[i], "int32"));
    out.push_back(element);
  }
  return out;
}

#undef CATENA_GGUF_FIND_OR_RETURN

int64_t GgufTensor::elements() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;  // the reader and writer reject shapes whose product overflows
  return count;
}

}  // namespace catena::inference
