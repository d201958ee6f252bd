// JSON loading (an object is one document, an array of objects one per item) and JSONL (one object per
// non-empty line). The text field may be a dotted path ("body.text"); other fields stay JSON in metadata.
#include <exception>

#include "absl/strings/str_cat.h"
#include "retrieval/loaders/loaders.h"

namespace catena::retrieval::loaders {
namespace {

using Json = nlohmann::json;

// The value at `path`: the key itself when present, else the dotted segments; nullptr when absent.
const Json* FindPath(const Json& object, const std::string& path) {
  if (const auto it = object.find(path); it != object.end()) return &*it;
  const Json* node = &object;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
    if (dot == std::string::npos) return node;
    start = dot + 1;
  }
}

// Removes the value at `path` (as FindPath resolves it), then any objects that became empty on the way.
void ErasePath(Json& object, const std::string& path) {
  if (object.erase(path) > 0) return;
  const size_t dot = path.find('.');
  if (dot == std::string::npos) return;
  const auto it = object.find(path.substr(0, dot));
  if (it == object.end() || !it->is_object()) return;
  ErasePath(*it, path.substr(dot + 1));
  if (it->empty()) object.erase(it);
}

// The document for one JSON object; errors name the field.
absl::StatusOr<LoadedDocument> ObjectToDocument(const Json& item, const LoaderOptions& options) {
  if (!item.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat("expected a JSON object, got ", item.type_name()));
  }
  const Json* text = FindPath(item, options.text_field);
  if (text == nullptr) return absl::InvalidArgumentError(absl::StrCat("no field '", options.text_field, "'"));
  if (!text->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field '", options.text_field, "' is ", text->type_name(), ", expected a string"));
  }
  LoadedDocument document;
  document.text = NormalizeNewlines(text->get_ref<const std::string&>());
  if (options.metadata_fields.empty()) {
    document.metadata = item;
    ErasePath(document.metadata, options.text_field);
    return document;
  }
  for (const std::string& field : options.metadata_fields) {
    if (field == options.text_field) continue;
    if (const Json* value = FindPath(item, field)) document.metadata[field] = *value;
  }
  return document;
}

// Parses `text`; the error message drops nlohmann's "[json.exception...]" prefix.
absl::StatusOr<Json> ParseJson(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    std::string_view message = e.what();
    if (message.starts_with("[json.exception."))
      message.remove_prefix(std::min(message.find("] ") + 2, message.size()));
    return absl::InvalidArgumentError(std::string(message));
  }
}

// Appends the document for `item` unless its text is blank; errors are prefixed with `where`.
absl::Status AddDocument(const Json& item, const LoaderOptions& options, const std::string& where,
                         std::vector<LoadedDocument>& documents) {
  absl::StatusOr<LoadedDocument> document = ObjectToDocument(item, options);
  if (!document.ok()) return where.empty() ? document.status() : Annotate(document.status(), where);
  if (IsBlank(document->text)) return absl::OkStatus();
  document->position = where;
  documents.push_back(*std::move(document));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<LoadedDocument>> LoadJson(std::string_view content, const LoaderOptions& options) {
  CATENA_RETURN_IF_ERROR(CheckUtf8(content));
  absl::StatusOr<Json> root = ParseJson(StripBom(content));
  if (!root.ok()) return Annotate(root.status(), "JSON");
  std::vector<LoadedDocument> documents;
  if (root->is_array()) {
    for (size_t i = 0; i < root->size(); ++i) {
      CATENA_RETURN_IF_ERROR(AddDocument((*root)[i], options, absl::StrCat("item ", i + 1), documents));
    }
    return documents;
  }
  if (!root->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON must be an object or an array of objects, got ", root->type_name()));
  }
  CATENA_RETURN_IF_ERROR(AddDocument(*root, options, "", documents));
  return documents;
}

absl::StatusOr<std::vector<LoadedDocument>> LoadJsonl(std::string_view content, const LoaderOptions& options) {
  CATENA_RETURN_IF_ERROR(CheckUtf8(content));
  std::vector<LoadedDocument> documents;
  const std::vector<std::string_view> lines = SplitLines(StripBom(content));
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    if (line.empty()) continue;
    const std::string where = absl::StrCat("line ", i + 1);
    absl::StatusOr<Json> item = ParseJson(line);
    if (!item.ok()) return Annotate(item.status(), where);
    CATENA_RETURN_IF_ERROR(AddDocument(*item, options, where, documents));
  }
  return documents;
}

}  // namespace catena::retrieval::loaders
