// Markdown loading: the text stays Markdown; YAML front matter becomes metadata; "title" comes from the
// front matter or the first level-1 heading (ATX "# Title" or setext "Title\n=====") outside code fences.
#include <exception>

#include "absl/strings/str_cat.h"
#include "retrieval/loaders/loaders.h"
#include "yaml-cpp/yaml.h"

namespace catena::retrieval::loaders {
namespace {

constexpr int kMaxYamlDepth = 64;

absl::StatusOr<nlohmann::json> YamlToJson(const YAML::Node& node, int depth) {
  if (depth > kMaxYamlDepth) return absl::InvalidArgumentError("front matter nests too deeply");
  switch (node.Type()) {
    case YAML::NodeType::Scalar: {
      const std::string& value = node.Scalar();
      if (node.Tag() == "!") return nlohmann::json(value);  // Quoted: always a string.
      if (value == "null" || value == "~") return nlohmann::json(nullptr);
      return InferScalar(value);
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json array = nlohmann::json::array();
      for (const YAML::Node& item : node) {
        CATENA_ASSIGN_OR_RETURN(nlohmann::json value, YamlToJson(item, depth + 1));
        array.push_back(std::move(value));
      }
      return array;
    }
    case YAML::NodeType::Map: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& entry : node) {
        CATENA_ASSIGN_OR_RETURN(object[entry.first.as<std::string>()], YamlToJson(entry.second, depth + 1));
      }
      return object;
    }
    default:
      return nlohmann::json(nullptr);
  }
}

struct FrontMatter {
  nlohmann::json fields = nlohmann::json::object();
  std::string_view body;  // The Markdown after the front matter.
};

// Splits off "---\n<yaml>\n---" (or "...") at the very start; no front matter when there is no closing line.
absl::StatusOr<FrontMatter> SplitFrontMatter(std::string_view text) {
  FrontMatter result{.body = text};
  if (!text.starts_with("---\n")) return result;
  size_t line_start = 4;
  while (line_start < text.size()) {
    size_t line_end = text.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = text.size();
    const std::string_view line = TrimRight(text.substr(line_start, line_end - line_start));
    if (line == "---" || line == "...") {
      const std::string yaml(text.substr(4, line_start - 4));
      try {
        const YAML::Node node = YAML::Load(yaml);
        if (!node.IsMap()) return result;  // A horizontal rule, not front matter.
        CATENA_ASSIGN_OR_RETURN(result.fields, YamlToJson(node, 0));
      } catch (const YAML::Exception& e) {
        return absl::InvalidArgumentError(absl::StrCat("front matter line ", e.mark.line + 2, ": ", e.msg));
      } catch (const std::exception& e) {
        return absl::InvalidArgumentError(absl::StrCat("front matter: ", e.what()));
      }
      result.body = text.substr(std::min(line_end + 1, text.size()));
      return result;
    }
    line_start = line_end + 1;
  }
  return result;
}

// The fence marker ("```" or "~~~", possibly longer) opening `line`, or "" when it is not a fence.
std::string_view FenceMarker(std::string_view line) {
  const size_t indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos || indent > 3) return {};
  line.remove_prefix(indent);
  const char c = line[0];
  if (c != '`' && c != '~') return {};
  const size_t length = std::min(line.find_first_not_of(c), line.size());
  return length >= 3 ? line.substr(0, length) : std::string_view();
}

// The heading text when `line` is an ATX level-1 heading ("# Title", "# Title #").
std::optional<std::string> AtxTitle(std::string_view line) {
  const size_t indent = line.find_first_not_of(' ');
  if (indent == std::string_view::npos || indent > 3) return std::nullopt;
  line.remove_prefix(indent);
  if (line == "#") return std::string();
  if (!line.starts_with("# ") && !line.starts_with("#\t")) return std::nullopt;
  std::string_view title = Trim(line.substr(2));
  const size_t hashes = title.find_last_not_of('#');
  if (hashes == std::string_view::npos) return std::string();
  if (hashes + 1 < title.size() && (title[hashes] == ' ' || title[hashes] == '\t')) {
    title = TrimRight(title.substr(0, hashes));
  }
  return std::string(title);
}

bool IsSetextUnderline(std::string_view line) {
  line = Trim(line);
  return !line.empty() && line.find_first_not_of('=') == std::string_view::npos;
}

// The first level-1 heading outside fenced code, or "".
std::string FindTitle(std::string_view markdown) {
  const std::vector<std::string_view> lines = SplitLines(markdown);
  std::string_view fence;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view marker = FenceMarker(lines[i]);
    if (!fence.empty()) {
      if (!marker.empty() && marker[0] == fence[0] && marker.size() >= fence.size()) fence = {};
      continue;
    }
    if (!marker.empty()) {
      fence = marker;
      continue;
    }
    if (auto title = AtxTitle(lines[i]); title && !title->empty()) return *title;
    if (i + 1 < lines.size() && !IsBlank(lines[i]) && IsSetextUnderline(lines[i + 1])) {
      return std::string(Trim(lines[i]));
    }
  }
  return {};
}

}  // namespace

absl::StatusOr<std::vector<LoadedDocument>> LoadMarkdown(std::string_view content) {
  CATENA_RETURN_IF_ERROR(CheckUtf8(content));
  const std::string text = NormalizeNewlines(StripBom(content));
  CATENA_ASSIGN_OR_RETURN(FrontMatter front_matter, SplitFrontMatter(text));
  std::vector<LoadedDocument> documents;
  std::string_view body = front_matter.body;
  body.remove_prefix(std::min(body.find_first_not_of('\n'), body.size()));
  if (IsBlank(body)) return documents;
  LoadedDocument document;
  document.text = std::string(body);
  document.metadata = std::move(front_matter.fields);
  if (!document.metadata.contains("title")) {
    if (std::string title = FindTitle(body); !title.empty()) document.metadata["title"] = std::move(title);
  }
  documents.push_back(std::move(document));
  return documents;
}

}  // namespace catena::retrieval::loaders
