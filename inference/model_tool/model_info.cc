#include "inference/model_tool/model_info.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "inference/gguf_format.h"

namespace catena::inference::model_tool {
namespace {

constexpr size_t kMaxStringPreview = 80;

std::string TypeName(GgufValueType type) { return gguf_internal::ValueTypeName(static_cast<uint32_t>(type)); }

std::string Quote(const std::string& text) {
  std::string out = "\"";
  for (size_t i = 0; i < text.size() && i < kMaxStringPreview; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"' || c == '\\') absl::StrAppend(&out, "\\", std::string(1, static_cast<char>(c)));
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += absl::StrFormat("\\x%02x", c);
    else out += static_cast<char>(c);
  }
  out += "\"";
  if (text.size() > kMaxStringPreview) absl::StrAppend(&out, "... (", text.size(), " bytes)");
  return out;
}

std::string Scalar(const GgufValue& value) {
  if (const auto* u = std::get_if<uint64_t>(&value.value)) return absl::StrCat(*u);
  if (const auto* i = std::get_if<int64_t>(&value.value)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&value.value)) return absl::StrFormat("%g", *d);
  if (const auto* b = std::get_if<bool>(&value.value)) return *b ? "true" : "false";
  if (const auto* s = std::get_if<std::string>(&value.value)) return Quote(*s);
  return "?";
}

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 30)) return absl::StrFormat("%.2f GiB", bytes / double(uint64_t{1} << 30));
  if (bytes >= (uint64_t{1} << 20)) return absl::StrFormat("%.2f MiB", bytes / double(uint64_t{1} << 20));
  if (bytes >= 1024) return absl::StrFormat("%.2f KiB", bytes / 1024.0);
  return absl::StrCat(bytes, " B");
}

}  // namespace

std::string FormatValue(const GgufValue& value) {
  const auto* array = std::get_if<GgufArray>(&value.value);
  if (array == nullptr) return Scalar(value);
  std::vector<std::string> shown;
  for (size_t i = 0; i < array->elements.size() && i < kInfoArrayPreview; ++i) {
    shown.push_back(FormatValue(array->elements[i]));
  }
  if (array->elements.size() > kInfoArrayPreview) shown.push_back("...");
  return absl::StrCat("[", absl::StrJoin(shown, ", "), "] (", array->elements.size(), " ",
                      TypeName(array->element_type), ")");
}

std::string DescribeGguf(const GgufFile& file) {
  std::string out = absl::StrCat("GGUF version ", file.version(), ", alignment ", file.alignment(), ", ",
                                 file.metadata().keys().size(), " metadata keys, ", file.tensors().size(), " tensors\n");
  out += "metadata:\n";
  size_t key_width = 0;
  for (const std::string& key : file.metadata().keys()) key_width = std::max(key_width, key.size());
  for (const std::string& key : file.metadata().keys()) {
    const GgufValue& value = *file.metadata().Find(key);
    absl::StrAppendFormat(&out, "  %-*s  %-7s  %s\n", static_cast<int>(key_width), key, TypeName(value.type),
                          FormatValue(value));
  }
  size_t name_width = 4;
  for (const GgufTensor& tensor : file.tensors()) name_width = std::max(name_width, tensor.name.size());
  out += "tensors:\n";
  absl::StrAppendFormat(&out, "  %-*s  %-5s  %-22s  %s\n", static_cast<int>(name_width), "name", "type", "shape", "bytes");
  int64_t parameters = 0;
  uint64_t bytes = 0;
  for (const GgufTensor& tensor : file.tensors()) {
    const std::string shape = absl::StrCat("[", absl::StrJoin(tensor.shape, ", "), "]");
    absl::StrAppendFormat(&out, "  %-*s  %-5s  %-22s  %d\n", static_cast<int>(name_width), tensor.name,
                          std::string(TraitsOf(tensor.type).name), shape, tensor.size_bytes);
    parameters += tensor.elements();
    bytes += tensor.size_bytes;
  }
  absl::StrAppend(&out, "total: ", parameters, " parameters, ", bytes, " bytes (", Bytes(bytes), ") of tensor data\n");
  return out;
}

}  // namespace catena::inference::model_tool
