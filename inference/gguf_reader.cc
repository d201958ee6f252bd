// GgufFile: maps a GGUF v2/v3 file (or takes bytes) and validates every count, length, type and offset
// before anything points into it. Parsing never reads outside [data, data + size).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/gguf.h"
#include "inference/gguf_format.h"

namespace catena::inference {

struct GgufFile::Storage {
  const std::byte* data = nullptr;
  uint64_t size = 0;
  void* mapping = nullptr;  // munmap'ed when set
  size_t mapping_size = 0;
  void* owned = nullptr;    // free'd when set
  ~Storage() {
    if (mapping != nullptr) ::munmap(mapping, mapping_size);
    std::free(owned);
  }
};

namespace {

using namespace gguf_internal;

constexpr uint64_t kInfoMinBytes = 8 + 4 + 8 + 4 + 8;  // name length, n_dims, one dim, type, offset
constexpr uint64_t kKeyValueMinBytes = 8 + 4 + 1;     // key length, value type, smallest value

// A bounds-checked little-endian cursor over the file's bytes; every error names file, offset and field.
class Cursor {
 public:
  Cursor(const std::byte* data, uint64_t size, const std::string& name) : data_(data), size_(size), name_(name) {}

  uint64_t position() const { return position_; }
  uint64_t remaining() const { return size_ - position_; }
  void Seek(uint64_t position) { position_ = position; }

  absl::Status Error(absl::StatusCode code, uint64_t offset, std::string_view field, std::string_view what) const {
    return absl::Status(code, absl::StrCat(name_, ": byte ", offset, ": ", std::string(field), ": ", std::string(what)));
  }
  absl::Status Invalid(uint64_t offset, std::string_view field, std::string_view what) const {
    return Error(absl::StatusCode::kInvalidArgument, offset, field, what);
  }
  absl::Status Truncated(std::string_view field, uint64_t need) const {
    return Error(absl::StatusCode::kDataLoss, position_, field,
                 absl::StrCat("truncated: needs ", need, " bytes, file has ", remaining(), " left"));
  }

  template <typename T>
  absl::StatusOr<T> Read(std::string_view field) {
    if (remaining() < sizeof(T)) return Truncated(field, sizeof(T));
    T value;
    std::memcpy(&value, data_ + position_, sizeof(T));
    position_ += sizeof(T);
    return value;
  }

  absl::StatusOr<std::string> ReadString(std::string_view field, uint64_t max_bytes) {
    const uint64_t start = position_;
    CATENA_ASSIGN_OR_RETURN(const uint64_t length, Read<uint64_t>(field));
    if (length > remaining()) {
      return Error(absl::StatusCode::kDataLoss, start, field,
                   absl::StrCat("string length ", length, " runs past the end of the file (", remaining(), " bytes left)"));
    }
    if (length > max_bytes) return Invalid(start, field, absl::StrCat("string length ", length, " exceeds ", max_bytes));
    std::string text(reinterpret_cast<const char*>(data_ + position_), length);
    position_ += length;
    return text;
  }

 private:
  const std::byte* data_;
  uint64_t size_;
  uint64_t position_ = 0;
  const std::string& name_;
};

struct ParsedInfo {
  GgufTensor tensor;
  uint64_t offset = 0;       // relative to the data section
  uint64_t info_offset = 0;  // where the tensor info starts, for messages
};

class Parser {
 public:
  Parser(const std::byte* data, uint64_t size, const std::string& name) : cursor_(data, size, name), size_(size) {}

  absl::Status ParseHeader();
  absl::Status ParseMetadata();
  absl::Status ParseTensorInfos();
  absl::Status PlaceTensorData(const std::byte* data);

  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  GgufMetadata metadata;
  std::vector<GgufTensor> tensors;

 private:
  absl::StatusOr<GgufValue> ReadValue(uint32_t raw_type, const std::string& field, int depth);
  absl::StatusOr<GgufValue> ReadArray(const std::string& field, int depth);
  template <typename Raw, typename Stored>
  absl::StatusOr<GgufValue> ReadScalar(const std::string& field, GgufValue value) {
    CATENA_ASSIGN_OR_RETURN(const Raw raw, cursor_.Read<Raw>(field));
    value.value = static_cast<Stored>(raw);
    return value;
  }
  absl::Status ReadAlignment(uint64_t value_offset);
  absl::StatusOr<ParsedInfo> ReadTensorInfo(uint64_t index);
  absl::Status ReadShape(ParsedInfo& info, const std::string& field);

  Cursor cursor_;
  uint64_t size_;
  uint64_t tensor_count_ = 0;
  uint64_t kv_count_ = 0;
  uint64_t element_budget_ = kMaxMetadataElements;
  std::vector<ParsedInfo> infos_;
};

absl::Status Parser::ParseHeader() {
  if (cursor_.remaining() < 4) return cursor_.Truncated("header.magic", 4);
  CATENA_ASSIGN_OR_RETURN(const uint32_t magic, cursor_.Read<uint32_t>("header.magic"));
  if (std::memcmp(&magic, kMagic, 4) != 0) {
    return cursor_.Invalid(0, "header.magic", "not a GGUF file (the first 4 bytes are not \"GGUF\")");
  }
  CATENA_ASSIGN_OR_RETURN(version, cursor_.Read<uint32_t>("header.version"));
  if (version != 2 && version != 3) {
    return cursor_.Invalid(4, "header.version",
                           absl::StrCat("version ", version, " is not supported (2 and 3 are; a big-endian file "
                                        "reads as a huge version)"));
  }
  CATENA_ASSIGN_OR_RETURN(tensor_count_, cursor_.Read<uint64_t>("header.tensor_count"));
  CATENA_ASSIGN_OR_RETURN(kv_count_, cursor_.Read<uint64_t>("header.metadata_kv_count"));
  if (kv_count_ > cursor_.remaining() / kKeyValueMinBytes) {
    return cursor_.Error(absl::StatusCode::kDataLoss, 16, "header.metadata_kv_count",
                         absl::StrCat(kv_count_, " key/value pairs cannot fit in the ", size_, "-byte file"));
  }
  if (tensor_count_ > (cursor_.remaining() - kv_count_ * kKeyValueMinBytes) / kInfoMinBytes) {
    return cursor_.Error(absl::StatusCode::kDataLoss, 8, "header.tensor_count",
                         absl::StrCat(tensor_count_, " tensor infos cannot fit in the ", size_, "-byte file"));
  }
  return absl::OkStatus();
}

absl::Status Parser::ParseMetadata() {
  for (uint64_t i = 0; i < kv_count_; ++i) {
    const uint64_t key_offset = cursor_.position();
    CATENA_ASSIGN_OR_RETURN(std::string key, cursor_.ReadString(absl::StrCat("metadata[", i, "].key"), 65535));
    if (key.empty()) return cursor_.Invalid(key_offset, absl::StrCat("metadata[", i, "].key"), "empty key");
    if (metadata.Find(key) != nullptr) {
      return cursor_.Invalid(key_offset, absl::StrCat("metadata[", i, "].key"), absl::StrCat("duplicate key '", key, "'"));
    }
    const std::string field = absl::StrCat("metadata '", key, "'");
    CATENA_ASSIGN_OR_RETURN(const uint32_t type, cursor_.Read<uint32_t>(field + " type"));
    const uint64_t value_offset = cursor_.position();
    CATENA_ASSIGN_OR_RETURN(GgufValue value, ReadValue(type, field, 0));
    metadata.Set(key, std::move(value));
    if (key == kAlignmentKey) CATENA_RETURN_IF_ERROR(ReadAlignment(value_offset));
  }
  return absl::OkStatus();
}

absl::Status Parser::ReadAlignment(uint64_t value_offset) {
  const GgufValue& value = *metadata.Find(kAlignmentKey);
  const auto* number = std::get_if<uint64_t>(&value.value);
  if (number == nullptr || value.type == GgufValueType::kBool) {
    return cursor_.Invalid(value_offset, kAlignmentKey,
                           absl::StrCat("must be an unsigned integer, is ", ValueTypeName(static_cast<uint32_t>(value.type))));
  }
  if (!IsPowerOfTwo(*number) || *number > std::numeric_limits<uint32_t>::max()) {
    return cursor_.Invalid(value_offset, kAlignmentKey, absl::StrCat(*number, " is not a 32-bit power of two"));
  }
  alignment = *number;
  return absl::OkStatus();
}

absl::StatusOr<GgufValue> Parser::ReadValue(uint32_t raw_type, const std::string& field, int depth) {
  const uint64_t start = cursor_.position();
  if (!IsKnownValueType(raw_type)) return cursor_.Invalid(start - 4, field, absl::StrCat("unknown value type ", raw_type));
  GgufValue value;
  value.type = static_cast<GgufValueType>(raw_type);
  switch (value.type) {
    case GgufValueType::kUint8: return ReadScalar<uint8_t, uint64_t>(field, std::move(value));
    case GgufValueType::kUint16: return ReadScalar<uint16_t, uint64_t>(field, std::move(value));
    case GgufValueType::kUint32: return ReadScalar<uint32_t, uint64_t>(field, std::move(value));
    case GgufValueType::kUint64: return ReadScalar<uint64_t, uint64_t>(field, std::move(value));
    case GgufValueType::kInt8: return ReadScalar<int8_t, int64_t>(field, std::move(value));
    case GgufValueType::kInt16: return ReadScalar<int16_t, int64_t>(field, std::move(value));
    case GgufValueType::kInt32: return ReadScalar<int32_t, int64_t>(field, std::move(value));
    case GgufValueType::kInt64: return ReadScalar<int64_t, int64_t>(field, std::move(value));
    case GgufValueType::kFloat32: return ReadScalar<float, double>(field, std::move(value));
    case GgufValueType::kFloat64: return ReadScalar<double, double>(field, std::move(value));
    case GgufValueType::kBool: {
      CATENA_ASSIGN_OR_RETURN(const uint8_t flag, cursor_.Read<uint8_t>(field));
      if (flag > 1) return cursor_.Invalid(start, field, absl::StrCat("bool byte is ", flag, ", not 0 or 1"));
      value.value = flag == 1;
      break;
    }
    case GgufValueType::kString: {
      CATENA_ASSIGN_OR_RETURN(std::string text, cursor_.ReadString(field, size_));
      value.value = std::move(text);
      break;
    }
    case GgufValueType::kArray: return ReadArray(field, depth);
  }
  return value;
}

absl::StatusOr<GgufValue> Parser::ReadArray(const std::string& field, int depth) {
  const uint64_t start = cursor_.position();
  if (depth >= kMaxArrayDepth) {
    return cursor_.Invalid(start, field, absl::StrCat("arrays nested deeper than ", kMaxArrayDepth, " levels"));
  }
  CATENA_ASSIGN_OR_RETURN(const uint32_t element_type, cursor_.Read<uint32_t>(field + " element type"));
  if (!IsKnownValueType(element_type)) {
    return cursor_.Invalid(start, field, absl::StrCat("unknown array element type ", element_type));
  }
  CATENA_ASSIGN_OR_RETURN(const uint64_t count, cursor_.Read<uint64_t>(field + " element count"));
  const uint64_t min_bytes = MinEncodedBytes(static_cast<GgufValueType>(element_type));
  if (count > cursor_.remaining() / min_bytes) {
    return cursor_.Error(absl::StatusCode::kDataLoss, start + 4, field,
                         absl::StrCat(count, " array elements cannot fit in the ", cursor_.remaining(), " bytes left"));
  }
  if (count > element_budget_) {
    return cursor_.Invalid(start + 4, field, absl::StrCat("metadata arrays hold more than ", kMaxMetadataElements,
                                                          " elements in total"));
  }
  element_budget_ -= count;
  GgufValue value;
  value.type = GgufValueType::kArray;
  GgufArray array;
  array.element_type = static_cast<GgufValueType>(element_type);
  array.elements.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    CATENA_ASSIGN_OR_RETURN(GgufValue element, ReadValue(element_type, absl::StrCat(field, "[", i, "]"), depth + 1));
    array.elements.push_back(std::move(element));
  }
  value.value = std::move(array);
  return value;
}

absl::Status Parser::ReadShape(ParsedInfo& info, const std::string& field) {
  const uint64_t dims_offset = cursor_.position();
  CATENA_ASSIGN_OR_RETURN(const uint32_t n_dims, cursor_.Read<uint32_t>(field + " n_dims"));
  if (n_dims == 0 || n_dims > kMaxDims) {
    return cursor_.Invalid(dims_offset, field + " n_dims", absl::StrCat(n_dims, " dimensions (1 to ", kMaxDims, " allowed)"));
  }
  int64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const uint64_t dim_offset = cursor_.position();
    const std::string dim_field = absl::StrCat(field, " shape[", d, "]");
    CATENA_ASSIGN_OR_RETURN(const uint64_t dim, cursor_.Read<uint64_t>(dim_field));
    if (dim == 0 || dim > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return cursor_.Invalid(dim_offset, dim_field, absl::StrCat("dimension ", dim, " must be between 1 and 2^63-1"));
    }
    if (elements > std::numeric_limits<int64_t>::max() / static_cast<int64_t>(dim)) {
      return cursor_.Invalid(dim_offset, dim_field, "element count overflows 64 bits");
    }
    elements *= static_cast<int64_t>(dim);
    info.tensor.shape.push_back(static_cast<int64_t>(dim));
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedInfo> Parser::ReadTensorInfo(uint64_t index) {
  ParsedInfo info;
  info.info_offset = cursor_.position();
  const std::string base = absl::StrCat("tensor[", index, "]");
  CATENA_ASSIGN_OR_RETURN(info.tensor.name, cursor_.ReadString(base + ".name", kMaxTensorNameBytes));
  if (info.tensor.name.empty()) return cursor_.Invalid(info.info_offset, base + ".name", "empty tensor name");
  const std::string field = absl::StrCat(base, " '", info.tensor.name, "'");
  CATENA_RETURN_IF_ERROR(ReadShape(info, field));
  const uint64_t type_offset = cursor_.position();
  CATENA_ASSIGN_OR_RETURN(const uint32_t raw_type, cursor_.Read<uint32_t>(field + " type"));
  absl::StatusOr<GgmlTypeTraits> traits = TraitsOf(raw_type);
  if (!traits.ok()) return cursor_.Invalid(type_offset, field + " type", std::string(traits.status().message()));
  info.tensor.type = static_cast<GgmlType>(raw_type);
  absl::StatusOr<int64_t> row_bytes = RowBytes(info.tensor.type, info.tensor.shape[0]);
  if (!row_bytes.ok()) return cursor_.Invalid(type_offset, field + " shape[0]", std::string(row_bytes.status().message()));
  const int64_t rows = info.tensor.rows();
  if (*row_bytes != 0 && rows > std::numeric_limits<int64_t>::max() / *row_bytes) {
    return cursor_.Invalid(type_offset, field + " shape", "byte size overflows 64 bits");
  }
  info.tensor.size_bytes = static_cast<uint64_t>(*row_bytes * rows);
  const uint64_t offset_at = cursor_.position();
  CATENA_ASSIGN_OR_RETURN(info.offset, cursor_.Read<uint64_t>(field + " offset"));
  if (info.offset % alignment != 0) {
    return cursor_.Invalid(offset_at, field + " offset",
                           absl::StrCat("data offset ", info.offset, " is not a multiple of the alignment ", alignment));
  }
  return info;
}

absl::Status Parser::ParseTensorInfos() {
  std::set<std::string, std::less<>> names;
  for (uint64_t i = 0; i < tensor_count_; ++i) {
    CATENA_ASSIGN_OR_RETURN(ParsedInfo info, ReadTensorInfo(i));
    if (!names.insert(info.tensor.name).second) {
      return cursor_.Invalid(info.info_offset, absl::StrCat("tensor[", i, "].name"),
                             absl::StrCat("duplicate tensor name '", info.tensor.name, "'"));
    }
    infos_.push_back(std::move(info));
  }
  return absl::OkStatus();
}

absl::Status Parser::PlaceTensorData(const std::byte* data) {
  const uint64_t data_start = AlignUp(cursor_.position(), alignment);
  std::vector<const ParsedInfo*> by_offset;
  for (const ParsedInfo& info : infos_) {
    const std::string field = absl::StrCat("tensor '", info.tensor.name, "' data");
    if (data_start > size_ || info.offset > size_ - data_start || info.tensor.size_bytes > size_ - data_start - info.offset) {
      return cursor_.Error(absl::StatusCode::kDataLoss, info.info_offset, field,
                           absl::StrCat(info.tensor.size_bytes, " bytes at data offset ", info.offset, " (file offset ",
                                        data_start, " + ", info.offset, ") lie outside the ", size_, "-byte file"));
    }
    by_offset.push_back(&info);
  }
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    if (by_offset[i - 1]->offset + by_offset[i - 1]->tensor.size_bytes > by_offset[i]->offset) {
      return cursor_.Invalid(by_offset[i]->info_offset, absl::StrCat("tensor '", by_offset[i]->tensor.name, "' offset"),
                             absl::StrCat("data overlaps tensor '", by_offset[i - 1]->tensor.name, "'"));
    }
  }
  for (ParsedInfo& info : infos_) {
    info.tensor.data = data + data_start + info.offset;
    tensors.push_back(std::move(info.tensor));
  }
  return absl::OkStatus();
}

absl::Status ErrnoStatus(int error, const std::string& what) {
  const std::string message = absl::StrCat(what, ": ", std::strerror(error));
  if (error == ENOENT) return absl::NotFoundError(message);
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::InternalError(message);
}

}  // namespace

GgufFile::~GgufFile() = default;

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Parse(std::unique_ptr<Storage> storage, const std::string& name) {
  Parser parser(storage->data, storage->size, name);
  CATENA_RETURN_IF_ERROR(parser.ParseHeader());
  CATENA_RETURN_IF_ERROR(parser.ParseMetadata());
  CATENA_RETURN_IF_ERROR(parser.ParseTensorInfos());
  CATENA_RETURN_IF_ERROR(parser.PlaceTensorData(storage->data));
  std::unique_ptr<GgufFile> file(new GgufFile());
  file->storage_ = std::move(storage);
  file->version_ = parser.version;
  file->alignment_ = parser.alignment;
  file->metadata_ = std::move(parser.metadata);
  file->tensors_ = std::move(parser.tensors);
  return file;
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus(errno, absl::StrCat("cannot open GGUF file ", path));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return ErrnoStatus(error, absl::StrCat("cannot stat ", path));
  }
  auto storage = std::make_unique<Storage>();
  storage->size = static_cast<uint64_t>(info.st_size);
  if (storage->size > 0) {
    void* mapping = ::mmap(nullptr, storage->size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      return ErrnoStatus(error, absl::StrCat("cannot map ", path));
    }
    storage->mapping = mapping;
    storage->mapping_size = storage->size;
    storage->data = static_cast<const std::byte*>(mapping);
  }
  ::close(fd);
  return Parse(std::move(storage), path);
}

absl::StatusOr<std::unique_ptr<GgufFile>> GgufFile::FromBytes(std::string bytes, std::string name) {
  // Copied into a page-aligned buffer so tensor data is aligned the way a mapping would be.
  constexpr size_t kPage = 4096;
  auto storage = std::make_unique<Storage>();
  storage->size = bytes.size();
  storage->owned = std::aligned_alloc(kPage, AlignUp(std::max<size_t>(bytes.size(), 1), kPage));
  if (storage->owned == nullptr) return absl::ResourceExhaustedError(absl::StrCat(name, ": out of memory"));
  if (!bytes.empty()) std::memcpy(storage->owned, bytes.data(), bytes.size());
  storage->data = static_cast<const std::byte*>(storage->owned);
  return Parse(std::move(storage), name);
}

const GgufTensor* GgufFile::FindTensor(std::string_view name) const {
  for (const GgufTensor& tensor : tensors_) {
    if (tensor.name == name) return &tensor;
  }
  return nullptr;
}

}  // namespace catena::inference
