// CSV loading (RFC 4180: quoted fields with "" escapes, embedded commas and newlines, LF or CRLF records,
// a header row). One document per data row whose text column is not blank; other columns are typed metadata.
#include <charconv>
#include <cmath>
#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "retrieval/loaders/loaders.h"

namespace catena::retrieval::loaders {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Number of digits at text[i...], with no leading zero unless the run is a lone "0"; npos when malformed.
size_t DigitRun(std::string_view text, size_t i, bool allow_leading_zero) {
  size_t j = i;
  while (j < text.size() && IsDigit(text[j])) ++j;
  if (!allow_leading_zero && j - i > 1 && text[i] == '0') return std::string_view::npos;
  return j - i;
}

// Whether `text` is a decimal number literal; sets `is_integer` when it has no fraction or exponent.
bool IsNumberLiteral(std::string_view text, bool& is_integer) {
  size_t i = (!text.empty() && (text[0] == '+' || text[0] == '-')) ? 1 : 0;
  const size_t integer_digits = DigitRun(text, i, false);
  if (integer_digits == std::string_view::npos) return false;
  i += integer_digits;
  size_t fraction_digits = 0;
  is_integer = true;
  if (i < text.size() && text[i] == '.') {
    is_integer = false;
    fraction_digits = DigitRun(text, i + 1, true);
    if (fraction_digits == 0) return false;
    i += 1 + fraction_digits;
  }
  if (integer_digits + fraction_digits == 0) return false;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    is_integer = false;
    ++i;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) ++i;
    const size_t exponent_digits = DigitRun(text, i, true);
    if (exponent_digits == 0) return false;
    i += exponent_digits;
  }
  return i == text.size();
}

struct CsvRecord {
  std::vector<std::string> fields;
  size_t line = 0;  // 1-based line where the record starts.
};

// Splits CSV text (BOM already dropped) into records; blank lines are skipped.
class CsvParser {
 public:
  explicit CsvParser(std::string_view text) : text_(text) {}

  absl::StatusOr<std::vector<CsvRecord>> Parse() {
    std::vector<CsvRecord> records;
    while (pos_ < text_.size()) {
      CsvRecord record{.line = line_};
      CATENA_RETURN_IF_ERROR(ParseRecord(record.fields));
      if (record.fields.size() > 1 || !record.fields[0].empty() || quoted_) records.push_back(std::move(record));
    }
    return records;
  }

 private:
  // Reads fields up to the end of the line (consumed) or of the input.
  absl::Status ParseRecord(std::vector<std::string>& fields) {
    quoted_ = false;
    while (true) {
      fields.emplace_back();
      if (pos_ < text_.size() && text_[pos_] == '"') {
        quoted_ = true;
        CATENA_RETURN_IF_ERROR(ParseQuoted(fields.back()));
      } else {
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
          fields.back() += text_[pos_++];
        }
      }
      if (pos_ >= text_.size()) return absl::OkStatus();
      const char c = text_[pos_++];
      if (c == ',') continue;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      return absl::OkStatus();
    }
  }

  // Reads a quoted field starting at its opening quote, leaving pos_ after the closing quote.
  absl::Status ParseQuoted(std::string& field) {
    const size_t start_line = line_;
    ++pos_;
    while (pos_ < text_.size()) {
      const char c = text_[pos_++];
      if (c == '"') {
        if (pos_ < text_.size() && text_[pos_] == '"') {
          field += '"';
          ++pos_;
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
          return absl::InvalidArgumentError(
              absl::StrCat("CSV line ", line_, ": unexpected character after a closing quote"));
        }
        return absl::OkStatus();
      }
      if (c == '\n' || (c == '\r' && (pos_ >= text_.size() || text_[pos_] != '\n'))) ++line_;
      field += c;
    }
    return absl::InvalidArgumentError(
        absl::StrCat("CSV line ", start_line, ": quoted field is not closed before the end of the input"));
  }

  std::string_view text_;
  size_t pos_ = 0;
  size_t line_ = 1;
  bool quoted_ = false;
};

struct CsvColumns {
  size_t text = 0;
  std::vector<size_t> metadata;
};

absl::StatusOr<size_t> FindColumn(const std::vector<std::string>& header, const std::string& name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return i;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("CSV has no column '", name, "'; available columns: ", absl::StrJoin(header, ", ")));
}

absl::StatusOr<CsvColumns> SelectColumns(const std::vector<std::string>& header, const LoaderOptions& options) {
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < header.size(); ++i) {
    if (!seen.emplace(header[i], i).second) {
      return absl::InvalidArgumentError(absl::StrCat("CSV header repeats column '", header[i], "'"));
    }
  }
  CsvColumns columns;
  CATENA_ASSIGN_OR_RETURN(columns.text, FindColumn(header, options.text_field));
  for (const std::string& name : options.metadata_fields) {
    CATENA_ASSIGN_OR_RETURN(size_t index, FindColumn(header, name));
    if (index != columns.text) columns.metadata.push_back(index);
  }
  if (options.metadata_fields.empty()) {
    for (size_t i = 0; i < header.size(); ++i) {
      if (i != columns.text) columns.metadata.push_back(i);
    }
  }
  return columns;
}

}  // namespace

nlohmann::json InferScalar(std::string_view cell) {
  std::string lower;
  for (char c : cell) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "true" || lower == "false") return lower == "true";
  bool is_integer = false;
  if (!IsNumberLiteral(cell, is_integer)) return std::string(cell);
  const char* begin = cell.data() + (cell[0] == '+' ? 1 : 0);
  const char* end = cell.data() + cell.size();
  if (is_integer) {
    int64_t value = 0;
    const auto [ptr, ec] = std::from_chars(begin, end, value);
    if (ec == std::errc() && ptr == end) return value;
    return std::string(cell);  // Too large for int64: keep every digit.
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec == std::errc() && ptr == end && std::isfinite(value)) return value;
  return std::string(cell);
}

absl::StatusOr<std::vector<LoadedDocument>> LoadCsv(std::string_view content, const LoaderOptions& options) {
  CATENA_RETURN_IF_ERROR(CheckUtf8(content));
  CATENA_ASSIGN_OR_RETURN(std::vector<CsvRecord> records, CsvParser(StripBom(content)).Parse());
  std::vector<LoadedDocument> documents;
  if (records.empty()) return documents;
  const std::vector<std::string>& header = records[0].fields;
  CATENA_ASSIGN_OR_RETURN(CsvColumns columns, SelectColumns(header, options));
  for (size_t row = 1; row < records.size(); ++row) {
    const CsvRecord& record = records[row];
    if (record.fields.size() != header.size()) {
      return absl::InvalidArgumentError(absl::StrCat("CSV row ", row, " (line ", record.line, ") has ",
                                                     record.fields.size(), " fields, expected ", header.size()));
    }
    if (IsBlank(record.fields[columns.text])) continue;
    LoadedDocument document;
    document.text = NormalizeNewlines(record.fields[columns.text]);
    document.position = absl::StrCat("row ", row);
    for (size_t column : columns.metadata) document.metadata[header[column]] = InferScalar(record.fields[column]);
    documents.push_back(std::move(document));
  }
  return documents;
}

}  // namespace catena::retrieval::loaders
