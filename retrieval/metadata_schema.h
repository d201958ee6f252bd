// MetadataSchema: the declared metadata fields of a collection (name, type, indexed flag), used to validate
// and normalize document metadata on ingest and to type-check filter expressions (filter.h) at parse time.
// Undeclared keys are allowed and untyped. Immutable after construction; safe to share across threads.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::retrieval {

// The type of a declared metadata field. Timestamps are stored as int64 unix milliseconds.

// Timestamp numbers of at least this magnitude are unix milliseconds already (as seconds they would lie past
// the year 5000); smaller ones are unix seconds. Shared by Normalize and filter literals.
inline constexpr double kTimestampMillisThreshold = 1e11;
enum class FieldType { kString, kInt, kFloat, kBool, kStringList, kTimestamp };

// "string", "int", "float", "bool", "string_list", "timestamp".
std::string_view FieldTypeName(FieldType type);

// One declared field. `indexed` is a hint for stores that keep per-field indexes.
struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  bool indexed = false;
};

// Longest metadata key, in bytes.
inline constexpr size_t kMaxMetadataKeyLength = 64;

// Whether `key` matches [A-Za-z_][A-Za-z0-9_.]{0,63}.
bool IsValidMetadataKey(std::string_view key);

// Parses an RFC 3339 date-time ("2023-05-01T12:00:00Z", "2023-05-01T12:00:00.250+02:00") into unix
// milliseconds; INVALID_ARGUMENT naming the text when it is not one.
absl::StatusOr<int64_t> ParseRfc3339Millis(std::string_view text);

// A short description of a JSON value for error messages: `string "2023"`, `float 2.5`, `list`, `null`.
std::string DescribeJsonValue(const nlohmann::json& value);

class MetadataSchema {
 public:
  // An empty schema: every key is undeclared.
  MetadataSchema() = default;
  // Field names must be valid metadata keys and distinct; use Create to get a Status instead of undefined use.
  static absl::StatusOr<MetadataSchema> Create(std::vector<FieldSpec> fields);

  // The declared fields in declaration order.
  const std::vector<FieldSpec>& fields() const { return fields_; }
  // Whether no field is declared (filters then accept any field name).
  bool empty() const { return fields_.empty(); }
  // The declared field named `name`, or nullptr.
  const FieldSpec* Find(std::string_view name) const;

  // OK when `metadata` is a JSON object with valid keys whose declared fields hold values of their type (or a
  // form Normalize converts). Errors are INVALID_ARGUMENT, e.g. `metadata.year: expected int, got string "2023"`.
  absl::Status Validate(const nlohmann::json& metadata) const;

  // Validates, then returns the canonical form: declared int fields given as whole doubles become ints (as
  // protobuf Struct delivers them), float fields become doubles, timestamps given as RFC 3339 strings or unix
  // seconds (int or double; magnitudes >= 1e11 are milliseconds already) become int64 unix milliseconds, so
  // normalizing twice changes nothing. Undeclared keys are copied unchanged.
  absl::StatusOr<nlohmann::json> Normalize(const nlohmann::json& metadata) const;

 private:
  explicit MetadataSchema(std::vector<FieldSpec> fields) : fields_(std::move(fields)) {}

  std::vector<FieldSpec> fields_;
};

}  // namespace catena::retrieval
