#include "chains/spec_reader.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace catena::chains {
namespace {

constexpr char kCoreTag[] = "tag:yaml.org,2002:";

SourcePos PosOf(const YAML::Mark& mark) {
  if (mark.line < 0) return SourcePos{};
  return SourcePos{mark.line + 1, mark.column + 1};
}

bool ReadBool(const std::string& text, bool* out) {
  if (text == "true" || text == "True" || text == "TRUE") return *out = true, true;
  if (text == "false" || text == "False" || text == "FALSE") return *out = false, true;
  return false;
}

bool AllOf(std::string_view text, const char* allowed) {
  return !text.empty() && text.find_first_not_of(allowed) == std::string_view::npos;
}

bool ReadInt(const std::string& text, int64_t* out) {
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0o")) {
    base = digits[1] == 'x' ? 16 : 8;
    digits.remove_prefix(2);
    if (!AllOf(digits, base == 16 ? "0123456789abcdefABCDEF" : "01234567")) return false;
  } else {
    if (digits.starts_with("+")) digits.remove_prefix(1);
    const std::string_view unsigned_part = digits.starts_with("-") ? digits.substr(1) : digits;
    if (!AllOf(unsigned_part, "0123456789")) return false;
  }
  auto [ptr, error] = std::from_chars(digits.data(), digits.data() + digits.size(), *out, base);
  return error == std::errc() && ptr == digits.data() + digits.size();
}

bool ReadFloat(const std::string& text, double* out) {
  std::string_view number = text;
  const bool negative = number.starts_with("-");
  if (number.starts_with("+") || negative) number.remove_prefix(1);
  if (number == ".inf" || number == ".Inf" || number == ".INF") {
    *out = negative ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
    return true;
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") return *out = std::numeric_limits<double>::quiet_NaN(), true;
  // Digits, one point and an exponent only: from_chars alone would also take "inf" and "nan".
  if (!AllOf(number, "0123456789.eE+-") || number.find_first_of("0123456789") == std::string_view::npos ||
      !(std::isdigit(static_cast<unsigned char>(number[0])) || number[0] == '.')) {
    return false;
  }
  auto [ptr, error] = std::from_chars(number.data(), number.data() + number.size(), *out);
  if (negative) *out = -*out;
  return error == std::errc() && ptr == number.data() + number.size();
}

// Plain scalars: null, bool, int, float, else string.
void ResolvePlain(const std::string& text, SpecValue& out) {
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    out.kind = SpecValue::Kind::kNull;
  } else if (ReadBool(text, &out.bool_value)) {
    out.kind = SpecValue::Kind::kBool;
  } else if (ReadInt(text, &out.int_value)) {
    out.kind = SpecValue::Kind::kInt;
  } else if (ReadFloat(text, &out.float_value)) {
    out.kind = SpecValue::Kind::kFloat;
  } else {
    out.kind = SpecValue::Kind::kString;
    out.string_value = text;
  }
}

// What a duplicate key is called in problems, by the key of the mapping holding it.
std::string DuplicateNoun(std::string_view parent_key) {
  if (parent_key == "nodes") return "node id";
  if (parent_key == "inputs") return "input";
  if (parent_key == "outputs") return "output";
  return "key";
}

class Reader {
 public:
  explicit Reader(ProblemList& problems) : problems_(problems) {}

  SpecValue Read(const YAML::Node& node, SourcePos key_pos, std::string_view key) {
    SpecValue out;
    out.pos = PosOf(node.Mark());
    out.key_pos = key_pos;
    switch (node.Type()) {
      case YAML::NodeType::Sequence:
        out.kind = SpecValue::Kind::kList;
        for (const YAML::Node& item : node) out.items.push_back(Read(item, SourcePos{}, ""));
        break;
      case YAML::NodeType::Map:
        out.kind = SpecValue::Kind::kMap;
        ReadMap(node, key, out);
        break;
      case YAML::NodeType::Scalar:
        ReadScalar(node, out);
        break;
      default:
        // An empty value ("key:") is placed by yaml-cpp at the next token; its key is the better place.
        out.kind = SpecValue::Kind::kNull;
        if (key_pos.line > 0 && (out.pos.line == 0 || out.pos.line > key_pos.line)) out.pos = key_pos;
        break;
    }
    return out;
  }

 private:
  void ReadScalar(const YAML::Node& node, SpecValue& out) {
    const std::string& tag = node.Tag();
    const std::string& text = node.Scalar();
    if (tag == "?") return ResolvePlain(text, out);
    out.kind = SpecValue::Kind::kString;
    out.string_value = text;
    if (tag == "!" || tag == absl::StrCat(kCoreTag, "str")) return;
    if (tag.rfind(kCoreTag, 0) == 0) {
      // Explicit core tags (!!int, !!float, !!bool, !!null) hold when the text reads as that type.
      const std::string type = tag.substr(sizeof(kCoreTag) - 1);
      SpecValue resolved;
      ResolvePlain(text, resolved);
      if (type == "float" && resolved.kind == SpecValue::Kind::kInt) {
        resolved.kind = SpecValue::Kind::kFloat;
        resolved.float_value = static_cast<double>(resolved.int_value);
      }
      if (resolved.KindName() == type) {
        resolved.pos = out.pos;
        resolved.key_pos = out.key_pos;
        out = std::move(resolved);
        return;
      }
    }
    problems_.Add(out.pos, "", absl::StrCat("unsupported YAML tag '", tag, "' on '", text, "'"));
  }

  void ReadMap(const YAML::Node& node, std::string_view parent_key, SpecValue& out) {
    std::map<std::string, int> first_line;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const SourcePos key_pos = PosOf(it->first.Mark());
      if (!it->first.IsScalar()) {
        problems_.Add(key_pos, "", "mapping keys must be plain text");
        continue;
      }
      const std::string key = it->first.Scalar();
      auto [found, inserted] = first_line.emplace(key, key_pos.line);
      if (!inserted) {
        problems_.Add(
            key_pos, "",
            absl::StrCat("duplicate ", DuplicateNoun(parent_key), " '", key, "' (first at line ", found->second, ")"));
        continue;
      }
      out.fields.emplace_back(key, Read(it->second, key_pos, key));
    }
  }

  ProblemList& problems_;
};

}  // namespace

std::optional<SpecValue> ReadSpecValue(std::string_view text, ProblemList& problems) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& error) {
    SourcePos pos = PosOf(error.mark);
    if (pos.line == 0) pos = SourcePos{1, 1};
    problems.Add(pos, "", absl::StrCat("syntax error: ", error.msg));
    return std::nullopt;
  } catch (const std::exception& error) {
    problems.Add(SourcePos{1, 1}, "", absl::StrCat("could not read the file: ", error.what()));
    return std::nullopt;
  }
  if (documents.empty() || documents[0].IsNull()) {
    problems.Add(SourcePos{1, 1}, "", "the file is empty; a pipeline needs apiVersion, kind, metadata and nodes");
    return std::nullopt;
  }
  if (documents.size() > 1) {
    problems.Add(PosOf(documents[1].Mark()), "",
                 absl::StrCat("a pipeline file holds one YAML document, not ", documents.size()));
  }
  try {
    return Reader(problems).Read(documents[0], SourcePos{}, "");
  } catch (const YAML::Exception& error) {
    problems.Add(PosOf(error.mark), "", absl::StrCat("could not read the file: ", error.msg));
    return std::nullopt;
  }
}

}  // namespace catena::chains
