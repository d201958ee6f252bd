// GGUF v3 files: a memory-mapped reader (GgufFile) and a writer (GgufWriter). The model loader, the
// tokenizer builder and `catena-model` use them. A GgufFile is immutable after Open and may be read from
// many threads; tensor data points into the mapping and lives as long as the GgufFile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "inference/ggml_types.h"

namespace catena::inference {

// GGUF metadata value type ids as stored in the file.
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

// One metadata value. Arrays hold elements of one type (nested arrays are allowed by the format).
struct GgufValue;
struct GgufArray {
  GgufValueType element_type = GgufValueType::kUint8;
  std::vector<GgufValue> elements;
};
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string, GgufArray> value;
};

// Typed access to the key/value section. Integer getters accept any integer type that fits the result.
class GgufMetadata {
 public:
  // The value of `key`, or nullptr.
  const GgufValue* Find(std::string_view key) const;
  // NOT_FOUND naming the key when absent, INVALID_ARGUMENT naming key and actual type when of another type.
  absl::StatusOr<std::string> GetString(std::string_view key) const;
  absl::StatusOr<uint32_t> GetUint32(std::string_view key) const;
  absl::StatusOr<int64_t> GetInt64(std::string_view key) const;
  absl::StatusOr<float> GetFloat32(std::string_view key) const;
  absl::StatusOr<bool> GetBool(std::string_view key) const;
  absl::StatusOr<std::vector<std::string>> GetStringArray(std::string_view key) const;
  absl::StatusOr<std::vector<float>> GetFloat32Array(std::string_view key) const;
  absl::StatusOr<std::vector<int32_t>> GetInt32Array(std::string_view key) const;
  // Keys in file order.
  const std::vector<std::string>& keys() const { return keys_; }
  // Adds or replaces a value (used by the reader and by the writer's builder).
  void Set(std::string key, GgufValue value);

 private:
  std::vector<std::string> keys_;
  std::map<std::string, GgufValue, std::less<>> values_;
};

// One tensor: ggml dimension order, so shape[0] is the row length (the contiguous dimension).
struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // into the mapping, aligned to the file's alignment
  uint64_t size_bytes = 0;
  int64_t elements() const;
  int64_t rows() const { return shape.empty() ? 0 : elements() / shape[0]; }
};

class GgufFile {
 public:
  // Maps and validates `path`. Every structural problem (bad magic, version, truncation, unknown value or
  // tensor type, absurd counts or sizes, offsets outside the file, misalignment, duplicate names) is an
  // INVALID_ARGUMENT or DATA_LOSS status naming the path, the byte offset and the field.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(const std::string& path);
  // Same checks over bytes held in memory (tests, fuzzing); `bytes` is copied into a page-aligned buffer owned
  // by the result, so tensor data is aligned as in a mapping (to min(alignment, 4096) bytes).
  static absl::StatusOr<std::unique_ptr<GgufFile>> FromBytes(std::string bytes, std::string name = "<memory>");
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  const GgufMetadata& metadata() const { return metadata_; }
  std::span<const GgufTensor> tensors() const { return tensors_; }
  // The tensor called `name`, or nullptr.
  const GgufTensor* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  struct Storage;
  // Validates the bytes held by `storage` and builds the file (shared by Open and FromBytes).
  static absl::StatusOr<std::unique_ptr<GgufFile>> Parse(std::unique_ptr<Storage> storage, const std::string& name);
  std::unique_ptr<Storage> storage_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  GgufMetadata metadata_;
  std::vector<GgufTensor> tensors_;
};

// Builds a GGUF v3 file in memory order: metadata, tensor infos, then aligned tensor data.
class GgufWriter {
 public:
  void SetString(std::string key, std::string value);
  void SetUint32(std::string key, uint32_t value);
  void SetInt32(std::string key, int32_t value);
  void SetUint64(std::string key, uint64_t value);
  void SetFloat32(std::string key, float value);
  void SetBool(std::string key, bool value);
  void SetStringArray(std::string key, std::vector<std::string> values);
  void SetFloat32Array(std::string key, std::vector<float> values);
  void SetInt32Array(std::string key, std::vector<int32_t> values);
  // Any value, including nested arrays.
  void Set(std::string key, GgufValue value);
  // Adds a tensor whose `data` is already in `type`'s layout; INVALID_ARGUMENT on a duplicate name or when
  // data.size() does not match the shape.
  absl::Status AddTensor(std::string name, GgmlType type, std::vector<int64_t> shape,
                         std::vector<std::byte> data);
  // Writes the file (to a temporary name, then renamed). `general.alignment` is honoured when set.
  absl::Status WriteFile(const std::string& path) const;
  // The file's bytes.
  absl::StatusOr<std::string> Serialize() const;

 private:
  GgufMetadata metadata_;
  struct PendingTensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> shape;
    std::vector<std::byte> data;
  };
  std::vector<PendingTensor> tensors_;
};

}  // namespace catena::inference
