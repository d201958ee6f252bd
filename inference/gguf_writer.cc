// GgufWriter: lays a GGUF v3 file out as header, key/value pairs, tensor infos, padding and aligned data.
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/gguf.h"
#include "inference/gguf_format.h"

namespace catena::inference {
namespace {

using namespace gguf_internal;

template <typename T>
void Put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

void PutString(std::string& out, std::string_view text) {
  Put<uint64_t>(out, text.size());
  out.append(text.data(), text.size());
}

absl::Status Mismatch(const std::string& field, const GgufValue& value) {
  return absl::InvalidArgumentError(absl::StrCat("metadata ", field, ": value does not hold a ",
                                                 ValueTypeName(static_cast<uint32_t>(value.type))));
}

template <typename Wire, typename Held>
absl::Status PutInteger(std::string& out, const GgufValue& value, const std::string& field) {
  const auto* held = std::get_if<Held>(&value.value);
  if (held == nullptr) return Mismatch(field, value);
  if (*held < static_cast<Held>(std::numeric_limits<Wire>::min()) ||
      *held > static_cast<Held>(std::numeric_limits<Wire>::max())) {
    return absl::InvalidArgumentError(absl::StrCat("metadata ", field, ": ", *held, " does not fit ",
                                                   ValueTypeName(static_cast<uint32_t>(value.type))));
  }
  Put<Wire>(out, static_cast<Wire>(*held));
  return absl::OkStatus();
}

absl::Status EncodeValue(std::string& out, const GgufValue& value, const std::string& field, int depth);

absl::Status EncodeArray(std::string& out, const GgufValue& value, const std::string& field, int depth) {
  const auto* array = std::get_if<GgufArray>(&value.value);
  if (array == nullptr) return Mismatch(field, value);
  if (depth >= kMaxArrayDepth) {
    return absl::InvalidArgumentError(absl::StrCat("metadata ", field, ": arrays nested deeper than ", kMaxArrayDepth));
  }
  Put<uint32_t>(out, static_cast<uint32_t>(array->element_type));
  Put<uint64_t>(out, array->elements.size());
  for (size_t i = 0; i < array->elements.size(); ++i) {
    const GgufValue& element = array->elements[i];
    const std::string element_field = absl::StrCat(field, "[", i, "]");
    if (element.type != array->element_type) {
      return absl::InvalidArgumentError(absl::StrCat("metadata ", element_field, ": element of type ",
                                                     ValueTypeName(static_cast<uint32_t>(element.type)),
                                                     " in an array of ",
                                                     ValueTypeName(static_cast<uint32_t>(array->element_type))));
    }
    CATENA_RETURN_IF_ERROR(EncodeValue(out, element, element_field, depth + 1));
  }
  return absl::OkStatus();
}

absl::Status EncodeValue(std::string& out, const GgufValue& value, const std::string& field, int depth) {
  switch (value.type) {
    case GgufValueType::kUint8: return PutInteger<uint8_t, uint64_t>(out, value, field);
    case GgufValueType::kUint16: return PutInteger<uint16_t, uint64_t>(out, value, field);
    case GgufValueType::kUint32: return PutInteger<uint32_t, uint64_t>(out, value, field);
    case GgufValueType::kUint64: return PutInteger<uint64_t, uint64_t>(out, value, field);
    case GgufValueType::kInt8: return PutInteger<int8_t, int64_t>(out, value, field);
    case GgufValueType::kInt16: return PutInteger<int16_t, int64_t>(out, value, field);
    case GgufValueType::kInt32: return PutInteger<int32_t, int64_t>(out, value, field);
    case GgufValueType::kInt64: return PutInteger<int64_t, int64_t>(out, value, field);
    case GgufValueType::kFloat32:
    case GgufValueType::kFloat64: {
      const auto* number = std::get_if<double>(&value.value);
      if (number == nullptr) return Mismatch(field, value);
      if (value.type == GgufValueType::kFloat32) Put<float>(out, static_cast<float>(*number));
      else Put<double>(out, *number);
      return absl::OkStatus();
    }
    case GgufValueType::kBool: {
      const auto* flag = std::get_if<bool>(&value.value);
      if (flag == nullptr) return Mismatch(field, value);
      Put<uint8_t>(out, *flag ? 1 : 0);
      return absl::OkStatus();
    }
    case GgufValueType::kString: {
      const auto* text = std::get_if<std::string>(&value.value);
      if (text == nullptr) return Mismatch(field, value);
      PutString(out, *text);
      return absl::OkStatus();
    }
    case GgufValueType::kArray: return EncodeArray(out, value, field, depth);
  }
  return absl::InvalidArgumentError(absl::StrCat("metadata ", field, ": unknown value type ",
                                                 static_cast<uint32_t>(value.type)));
}

absl::StatusOr<uint64_t> AlignmentOf(const GgufMetadata& metadata) {
  if (metadata.Find(kAlignmentKey) == nullptr) return kDefaultAlignment;
  CATENA_ASSIGN_OR_RETURN(const uint32_t alignment, metadata.GetUint32(kAlignmentKey));
  if (!IsPowerOfTwo(alignment)) {
    return absl::InvalidArgumentError(absl::StrCat(kAlignmentKey, " ", alignment, " is not a power of two"));
  }
  return alignment;
}

// Everything before the data section, and where each tensor's data starts in it.
struct Layout {
  std::string head;  // header, key/value pairs, tensor infos and the padding up to the data section
  std::vector<uint64_t> offsets;
  uint64_t alignment = kDefaultAlignment;
};

}  // namespace

void GgufWriter::SetString(std::string key, std::string value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kString, std::move(value)});
}
void GgufWriter::SetUint32(std::string key, uint32_t value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kUint32, uint64_t{value}});
}
void GgufWriter::SetInt32(std::string key, int32_t value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kInt32, int64_t{value}});
}
void GgufWriter::SetUint64(std::string key, uint64_t value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kUint64, value});
}
void GgufWriter::SetFloat32(std::string key, float value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kFloat32, static_cast<double>(value)});
}
void GgufWriter::SetBool(std::string key, bool value) {
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kBool, value});
}

void GgufWriter::SetStringArray(std::string key, std::vector<std::string> values) {
  GgufArray array{GgufValueType::kString, {}};
  array.elements.reserve(values.size());
  for (std::string& value : values) array.elements.push_back({GgufValueType::kString, std::move(value)});
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kArray, std::move(array)});
}

void GgufWriter::SetFloat32Array(std::string key, std::vector<float> values) {
  GgufArray array{GgufValueType::kFloat32, {}};
  array.elements.reserve(values.size());
  for (float value : values) array.elements.push_back({GgufValueType::kFloat32, static_cast<double>(value)});
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kArray, std::move(array)});
}

void GgufWriter::SetInt32Array(std::string key, std::vector<int32_t> values) {
  GgufArray array{GgufValueType::kInt32, {}};
  array.elements.reserve(values.size());
  for (int32_t value : values) array.elements.push_back({GgufValueType::kInt32, int64_t{value}});
  metadata_.Set(std::move(key), GgufValue{GgufValueType::kArray, std::move(array)});
}

void GgufWriter::Set(std::string key, GgufValue value) { metadata_.Set(std::move(key), std::move(value)); }

absl::Status GgufWriter::AddTensor(std::string name, GgmlType type, std::vector<int64_t> shape,
                                   std::vector<std::byte> data) {
  if (name.empty() || name.size() > kMaxTensorNameBytes) {
    return absl::InvalidArgumentError(absl::StrCat("tensor name '", name, "' must be 1 to ", kMaxTensorNameBytes, " bytes"));
  }
  for (const PendingTensor& tensor : tensors_) {
    if (tensor.name == name) return absl::InvalidArgumentError(absl::StrCat("duplicate tensor name '", name, "'"));
  }
  if (shape.empty() || shape.size() > static_cast<size_t>(kMaxDims)) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' has ", shape.size(), " dimensions (1 to 4 allowed)"));
  }
  int64_t rows = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] <= 0 || (d > 0 && rows > std::numeric_limits<int64_t>::max() / shape[d])) {
      return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' shape[", d, "] = ", shape[d], " is invalid"));
    }
    if (d > 0) rows *= shape[d];
  }
  absl::StatusOr<int64_t> row_bytes = RowBytes(type, shape[0]);
  if (!row_bytes.ok()) return Annotate(row_bytes.status(), absl::StrCat("tensor '", name, "'"));
  if (*row_bytes != 0 && rows > std::numeric_limits<int64_t>::max() / *row_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' byte size overflows"));
  }
  if (static_cast<int64_t>(data.size()) != *row_bytes * rows) {
    return absl::InvalidArgumentError(absl::StrCat("tensor '", name, "' has ", data.size(), " bytes of data; its ",
                                                   std::string(TraitsOf(type).name), " shape needs ", *row_bytes * rows));
  }
  tensors_.push_back({std::move(name), type, std::move(shape), std::move(data)});
  return absl::OkStatus();
}

namespace {

absl::StatusOr<Layout> BuildLayout(const GgufMetadata& metadata, uint64_t tensor_count,
                                   const std::function<void(size_t, std::string&, uint64_t&)>& tensor_info) {
  Layout layout;
  CATENA_ASSIGN_OR_RETURN(layout.alignment, AlignmentOf(metadata));
  std::string& out = layout.head;
  out.append(kMagic, 4);
  Put<uint32_t>(out, kVersion);
  Put<uint64_t>(out, tensor_count);
  Put<uint64_t>(out, metadata.keys().size());
  for (const std::string& key : metadata.keys()) {
    const GgufValue& value = *metadata.Find(key);
    PutString(out, key);
    Put<uint32_t>(out, static_cast<uint32_t>(value.type));
    CATENA_RETURN_IF_ERROR(EncodeValue(out, value, absl::StrCat("'", key, "'"), 0));
  }
  uint64_t next_offset = 0;
  for (size_t i = 0; i < tensor_count; ++i) {
    uint64_t size = 0;
    tensor_info(i, out, size);
    Put<uint64_t>(out, next_offset);
    layout.offsets.push_back(next_offset);
    next_offset = AlignUp(next_offset + size, layout.alignment);
  }
  out.resize(AlignUp(out.size(), layout.alignment), '\0');
  return layout;
}

}  // namespace

absl::StatusOr<std::string> GgufWriter::Serialize() const {
  auto info = [this](size_t i, std::string& out, uint64_t& size) {
    const PendingTensor& tensor = tensors_[i];
    PutString(out, tensor.name);
    Put<uint32_t>(out, static_cast<uint32_t>(tensor.shape.size()));
    for (int64_t dim : tensor.shape) Put<uint64_t>(out, static_cast<uint64_t>(dim));
    Put<uint32_t>(out, static_cast<uint32_t>(tensor.type));
    size = tensor.data.size();
  };
  CATENA_ASSIGN_OR_RETURN(Layout layout, BuildLayout(metadata_, tensors_.size(), info));
  std::string out = std::move(layout.head);
  const uint64_t data_start = out.size();
  for (size_t i = 0; i < tensors_.size(); ++i) {
    out.resize(data_start + layout.offsets[i], '\0');
    out.append(reinterpret_cast<const char*>(tensors_[i].data.data()), tensors_[i].data.size());
  }
  out.resize(AlignUp(out.size(), layout.alignment), '\0');
  return out;
}

absl::Status GgufWriter::WriteFile(const std::string& path) const {
  CATENA_ASSIGN_OR_RETURN(const std::string bytes, Serialize());
  const std::string temp = absl::StrCat(path, ".tmp.", ::getpid());
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) return absl::PermissionDeniedError(absl::StrCat("cannot create ", temp, ": ", std::strerror(errno)));
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) {
      std::remove(temp.c_str());
      return absl::InternalError(absl::StrCat("cannot write ", temp, ": ", std::strerror(errno)));
    }
  }
  std::error_code error;
  std::filesystem::rename(temp, path, error);
  if (error) {
    std::remove(temp.c_str());
    return absl::InternalError(absl::StrCat("cannot rename ", temp, " to ", path, ": ", error.message()));
  }
  return absl::OkStatus();
}

}  // namespace catena::inference
