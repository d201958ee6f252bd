// Config loading: value parsing by type, the YAML walker (yaml-cpp exceptions stay in this file), environment
// and override application, and the YAML dump.
#include "common/config.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"
#include "yaml-cpp/yaml.h"

extern char** environ;

namespace catena {
namespace {

using Value = std::variant<std::string, int64_t, double, bool, std::vector<std::string>, std::vector<ConfigObject>>;

// How strictly booleans are read: YAML files accept only true/false, other sources the usual spellings.
enum class BoolSyntax { kYaml, kLenient };

std::string TypeName(ConfigType type) {
  switch (type) {
    case ConfigType::kString:
      return "string";
    case ConfigType::kInt:
      return "int";
    case ConfigType::kDouble:
      return "double";
    case ConfigType::kBool:
      return "bool";
    case ConfigType::kStringList:
      return "string list";
    case ConfigType::kObjectList:
      return "list of mappings";
  }
  return "unknown";
}

absl::Status Invalid(absl::string_view message) { return absl::InvalidArgumentError(message); }

bool IsValidSegment(absl::string_view segment) {
  if (segment.empty() || !absl::ascii_islower(segment[0])) return false;
  return std::all_of(segment.begin(), segment.end(),
                     [](char c) { return absl::ascii_islower(c) || absl::ascii_isdigit(c) || c == '_'; });
}

bool IsValidPath(absl::string_view path) {
  for (absl::string_view segment : absl::StrSplit(path, '.')) {
    if (!IsValidSegment(segment)) return false;
  }
  return true;
}

// Optimal string alignment distance: Levenshtein plus adjacent transpositions ("grcp" vs "grpc" is 1).
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

absl::StatusOr<Value> ParseInt(const ConfigKey& key, absl::string_view text) {
  int64_t value = 0;
  if (!absl::SimpleAtoi(text, &value)) {
    return Invalid(absl::StrCat("'", key.path, "' must be an integer, got '", text, "'"));
  }
  const bool too_low = key.min.has_value() && value < *key.min;
  const bool too_high = key.max.has_value() && value > *key.max;
  if (!too_low && !too_high) return Value(value);
  if (key.min.has_value() && key.max.has_value()) {
    return Invalid(absl::StrCat("'", key.path, "' must be between ", *key.min, " and ", *key.max, ", got ", value));
  }
  if (too_low) return Invalid(absl::StrCat("'", key.path, "' must be at least ", *key.min, ", got ", value));
  return Invalid(absl::StrCat("'", key.path, "' must be at most ", *key.max, ", got ", value));
}

absl::StatusOr<Value> ParseDouble(const ConfigKey& key, absl::string_view text) {
  double value = 0;
  if (!absl::SimpleAtod(text, &value) || !std::isfinite(value)) {
    return Invalid(absl::StrCat("'", key.path, "' must be a number, got '", text, "'"));
  }
  return Value(value);
}

absl::StatusOr<Value> ParseBool(const ConfigKey& key, absl::string_view text, BoolSyntax syntax) {
  const std::string lower = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (lower == "true") return Value(true);
  if (lower == "false") return Value(false);
  if (syntax == BoolSyntax::kYaml) {
    return Invalid(absl::StrCat("'", key.path, "' must be true or false, got '", text, "'"));
  }
  if (lower == "yes" || lower == "on" || lower == "1") return Value(true);
  if (lower == "no" || lower == "off" || lower == "0") return Value(false);
  return Invalid(absl::StrCat("'", key.path, "' must be one of true/false/yes/no/on/off/1/0, got '", text, "'"));
}

absl::Status CheckAllowed(const ConfigKey& key, const std::string& item) {
  if (key.allowed_values.empty() ||
      std::find(key.allowed_values.begin(), key.allowed_values.end(), item) != key.allowed_values.end()) {
    return absl::OkStatus();
  }
  return Invalid(absl::StrCat("'", key.path, "' must be one of '", absl::StrJoin(key.allowed_values, "', '"),
                              "', got '", item, "'"));
}

std::vector<std::string> SplitList(absl::string_view text) {
  std::vector<std::string> items;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) items.emplace_back(item);
  }
  return items;
}

absl::StatusOr<Value> ParseList(const ConfigKey& key, std::vector<std::string> items) {
  for (const std::string& item : items) CATENA_RETURN_IF_ERROR(CheckAllowed(key, item));
  return Value(std::move(items));
}

std::string NodeKind(const YAML::Node& node);

// Parses a YAML list of mappings of scalars; `where` turns a mark into a location.
absl::StatusOr<Value> ParseObjectList(const ConfigKey& key, const YAML::Node& list,
                                      const std::function<std::string(const YAML::Mark&)>& where) {
  std::vector<ConfigObject> items;
  if (list.IsNull()) return Value(std::move(items));
  if (!list.IsSequence()) {
    return Invalid(absl::StrCat(where(list.Mark()), ": '", key.path, "' must be a list of mappings, got ",
                                NodeKind(list)));
  }
  for (const YAML::Node& item : list) {
    if (!item.IsMap()) {
      return Invalid(absl::StrCat(where(item.Mark()), ": each '", key.path, "' item must be a mapping, got ",
                                  NodeKind(item)));
    }
    ConfigObject object{.origin = where(item.Mark())};
    for (const auto& field : item) {
      const std::string name = field.first.IsScalar() ? field.first.Scalar() : "";
      if (std::find(key.object_fields.begin(), key.object_fields.end(), name) == key.object_fields.end()) {
        return Invalid(absl::StrCat(where(field.first.Mark()), ": unknown field '", name, "' in '", key.path,
                                    "' (fields: ", absl::StrJoin(key.object_fields, ", "), ")"));
      }
      if (!field.second.IsNull() && !field.second.IsScalar()) {
        return Invalid(absl::StrCat(where(field.second.Mark()), ": '", key.path, "' field '", name,
                                    "' must be a single value, got ", NodeKind(field.second)));
      }
      if (object.fields.count(name) > 0) {
        return Invalid(absl::StrCat(where(field.first.Mark()), ": duplicate field '", name, "'"));
      }
      object.fields[name] = field.second.IsNull() ? "" : field.second.Scalar();
      object.field_origins[name] = where(field.second.Mark());
    }
    items.push_back(std::move(object));
  }
  return Value(std::move(items));
}

// An object list written as YAML flow / JSON text (defaults, environment, overrides); origins are filled in by
// the caller, which knows where the text came from.
absl::StatusOr<Value> ParseObjectListText(const ConfigKey& key, absl::string_view text) {
  if (absl::StripAsciiWhitespace(text).empty()) return Value(std::vector<ConfigObject>{});
  try {
    const YAML::Node node = YAML::Load(std::string(text));
    return ParseObjectList(key, node, [](const YAML::Mark& mark) {
      return absl::StrCat("column ", mark.column + 1, " of line ", mark.line + 1);
    });
  } catch (const YAML::Exception& e) {
    return Invalid(absl::StrCat("'", key.path, "' is not a YAML list of mappings: ", e.msg));
  }
}

// Parses `text` as the value of `key`; the error message names the key but not where the text came from.
absl::StatusOr<Value> ParseValue(const ConfigKey& key, absl::string_view text, BoolSyntax syntax) {
  switch (key.type) {
    case ConfigType::kInt:
      return ParseInt(key, text);
    case ConfigType::kDouble:
      return ParseDouble(key, text);
    case ConfigType::kBool:
      return ParseBool(key, text, syntax);
    case ConfigType::kStringList:
      return ParseList(key, SplitList(text));
    case ConfigType::kObjectList:
      return ParseObjectListText(key, text);
    case ConfigType::kString:
      break;
  }
  std::string value(text);
  CATENA_RETURN_IF_ERROR(CheckAllowed(key, value));
  return Value(std::move(value));
}

absl::Status CheckKeyShape(const ConfigKey& key) {
  if (!IsValidPath(key.path)) {
    return Invalid(
        absl::StrCat("invalid config path '", key.path, "': use dot-separated segments matching [a-z][a-z0-9_]*"));
  }
  if ((key.min.has_value() || key.max.has_value()) && key.type != ConfigType::kInt) {
    return Invalid(absl::StrCat("'", key.path, "': min/max are only allowed on int keys"));
  }
  if (key.min.has_value() && key.max.has_value() && *key.min > *key.max) {
    return Invalid(absl::StrCat("'", key.path, "': min ", *key.min, " is greater than max ", *key.max));
  }
  if (key.type == ConfigType::kObjectList && key.object_fields.empty()) {
    return Invalid(absl::StrCat("'", key.path, "': a list of mappings needs object_fields"));
  }
  if (!key.allowed_values.empty() && key.type != ConfigType::kString && key.type != ConfigType::kStringList) {
    return Invalid(absl::StrCat("'", key.path, "': allowed_values are only allowed on string keys"));
  }
  return Annotate(ParseValue(key, key.default_value, BoolSyntax::kLenient).status(), "bad default");
}

std::string FormatDouble(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text(buffer, result.ptr);
  // Keep doubles recognisable as numbers with a fraction part when they happen to be whole.
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
  return text;
}

std::string Quote(const std::string& text) {
  YAML::Emitter emitter;
  emitter << YAML::DoubleQuoted << text;
  return emitter.c_str();
}

std::string FormatForYaml(const Value& value) {
  struct Visitor {
    std::string operator()(const std::string& v) const { return Quote(v); }
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return FormatDouble(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<ConfigObject>& v) const {
      return absl::StrCat("[", absl::StrJoin(v, ", ", [](std::string* out, const ConfigObject& item) {
        absl::StrAppend(out, "{", absl::StrJoin(item.fields, ", ", [](std::string* o, const auto& field) {
          absl::StrAppend(o, field.first, ": ", Quote(field.second));
        }), "}");
      }), "]");
    }
    std::string operator()(const std::vector<std::string>& v) const {
      return absl::StrCat(
          "[", absl::StrJoin(v, ", ", [](std::string* out, const std::string& item) { out->append(Quote(item)); }),
          "]");
    }
  };
  return std::visit(Visitor{}, value);
}

std::string NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Null:
      return "an empty value";
    default:
      return "a scalar";
  }
}

}  // namespace

absl::Status ConfigSchema::Add(ConfigKey key) {
  CATENA_RETURN_IF_ERROR(Annotate(CheckKeyShape(key), absl::StrCat("config key '", key.path, "'")));
  if (keys_.count(key.path) > 0) {
    return absl::AlreadyExistsError(absl::StrCat("config key '", key.path, "' is already registered"));
  }
  if (IsSection(key.path)) {
    return Invalid(absl::StrCat("config key '", key.path, "' clashes with the section of the same name"));
  }
  for (size_t dot = key.path.find('.'); dot != std::string::npos; dot = key.path.find('.', dot + 1)) {
    if (Find(std::string_view(key.path).substr(0, dot)) != nullptr) {
      return Invalid(absl::StrCat("config key '", key.path, "' is inside key '", key.path.substr(0, dot), "'"));
    }
  }
  const std::string env = EnvironmentName(key.path);
  for (const auto& [path, existing] : keys_) {
    if (EnvironmentName(path) == env) {
      return Invalid(absl::StrCat("config keys '", path, "' and '", key.path, "' share environment name ", env));
    }
  }
  std::string path = key.path;
  keys_.emplace(std::move(path), std::move(key));
  return absl::OkStatus();
}

const ConfigKey* ConfigSchema::Find(std::string_view path) const {
  auto it = keys_.find(path);
  return it == keys_.end() ? nullptr : &it->second;
}

bool ConfigSchema::IsSection(std::string_view path) const {
  const std::string prefix = std::string(path) + ".";
  auto it = keys_.lower_bound(prefix);
  return it != keys_.end() && absl::StartsWith(it->first, prefix);
}

std::vector<const ConfigKey*> ConfigSchema::Keys() const {
  std::vector<const ConfigKey*> keys;
  keys.reserve(keys_.size());
  for (const auto& [path, key] : keys_) keys.push_back(&key);
  return keys;
}

std::string ConfigSchema::Suggest(std::string_view path) const {
  std::set<std::string> candidates;
  for (const auto& [key_path, key] : keys_) {
    for (size_t dot = key_path.find('.'); dot != std::string::npos; dot = key_path.find('.', dot + 1)) {
      candidates.insert(key_path.substr(0, dot));
    }
    candidates.insert(key_path);
  }
  const size_t max_distance = std::max<size_t>(1, std::min<size_t>(3, path.size() / 4));
  std::string best;
  size_t best_distance = max_distance + 1;
  for (const std::string& candidate : candidates) {
    const size_t distance = EditDistance(path, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string ConfigSchema::EnvironmentName(std::string_view path) {
  std::string name = "CATENA_" + absl::AsciiStrToUpper(absl::string_view(path.data(), path.size()));
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

std::map<std::string, std::string> CurrentEnvironment() {
  std::map<std::string, std::string> environment;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) continue;
    environment.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return environment;
}

// Builds a Config from one schema and one set of sources; lives only for the duration of Config::Load.
class ConfigLoader {
 public:
  ConfigLoader(const ConfigSchema& schema, const ConfigSources& sources) : schema_(schema), sources_(sources) {}

  absl::StatusOr<Config> Run() {
    for (const ConfigKey* key : schema_.Keys()) {
      CATENA_ASSIGN_OR_RETURN(Value value, ParseValue(*key, key->default_value, BoolSyntax::kLenient));
      config_.entries_[key->path] = Config::Entry{key->type, std::move(value), "default"};
    }
    if (!sources_.file_path.empty()) CATENA_RETURN_IF_ERROR(ApplyFile());
    CATENA_RETURN_IF_ERROR(ApplyEnvironment());
    CATENA_RETURN_IF_ERROR(ApplyOverrides());
    return std::move(config_);
  }

 private:
  std::string Where(const YAML::Mark& mark) const {
    if (mark.is_null()) return sources_.file_path;
    return absl::StrCat(sources_.file_path, ":", mark.line + 1, ":", mark.column + 1);
  }

  std::string UnknownKey(const std::string& path) const {
    std::string message = absl::StrCat("unknown key '", path, "'");
    const std::string suggestion = schema_.Suggest(path);
    if (!suggestion.empty()) absl::StrAppend(&message, " (did you mean '", suggestion, "'?)");
    return message;
  }

  void Set(const ConfigKey& key, Value value, std::string origin) {
    if (auto* objects = std::get_if<std::vector<ConfigObject>>(&value)) FillOrigins(*objects, origin);
    config_.entries_[key.path] = Config::Entry{key.type, std::move(value), std::move(origin)};
  }

  // Items parsed from text know only their position inside it: prefix where the text came from.
  static void FillOrigins(std::vector<ConfigObject>& objects, const std::string& origin) {
    for (size_t i = 0; i < objects.size(); ++i) {
      if (absl::StartsWith(objects[i].origin, "column ")) {
        objects[i].origin = absl::StrCat(origin, " item ", i + 1);
        for (auto& [field, where] : objects[i].field_origins) where = absl::StrCat(origin, " item ", i + 1, " ", field);
      }
    }
  }

  absl::StatusOr<std::string> ReadFile() const {
    std::ifstream in(sources_.file_path, std::ios::binary);
    if (!in) return Invalid(absl::StrCat(sources_.file_path, ": cannot read file: ", std::strerror(errno)));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return Invalid(absl::StrCat(sources_.file_path, ": cannot read file: ", std::strerror(errno)));
    return text.str();
  }

  absl::Status ApplyFile() {
    CATENA_ASSIGN_OR_RETURN(std::string text, ReadFile());
    try {
      const YAML::Node root = YAML::Load(text);
      if (root.IsNull()) return absl::OkStatus();
      if (!root.IsMap()) {
        return Invalid(absl::StrCat(Where(root.Mark()), ": top level must be a mapping, got ", NodeKind(root)));
      }
      return ApplyMapping(root, "");
    } catch (const YAML::Exception& e) {
      return Invalid(absl::StrCat(Where(e.mark), ": ", e.msg));
    }
  }

  absl::Status ApplyMapping(const YAML::Node& mapping, const std::string& prefix) {
    for (const auto& entry : mapping) {
      const YAML::Node& name = entry.first;
      if (!name.IsScalar()) {
        return Invalid(absl::StrCat(Where(name.Mark()), ": keys must be names, got ", NodeKind(name)));
      }
      const std::string path = prefix.empty() ? name.Scalar() : absl::StrCat(prefix, ".", name.Scalar());
      auto [seen, inserted] = file_seen_.emplace(path, Where(name.Mark()));
      if (!inserted) {
        return Invalid(absl::StrCat(Where(name.Mark()), ": duplicate key '", path, "' (first at ", seen->second, ")"));
      }
      CATENA_RETURN_IF_ERROR(ApplyEntry(name, entry.second, path));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyEntry(const YAML::Node& name, const YAML::Node& value, const std::string& path) {
    if (const ConfigKey* key = schema_.Find(path); key != nullptr) {
      CATENA_ASSIGN_OR_RETURN(Value parsed, ParseYamlValue(*key, value));
      Set(*key, std::move(parsed), Where(name.Mark()));
      return absl::OkStatus();
    }
    if (!schema_.IsSection(path)) return Invalid(absl::StrCat(Where(name.Mark()), ": ", UnknownKey(path)));
    if (value.IsNull()) return absl::OkStatus();
    if (!value.IsMap()) {
      return Invalid(absl::StrCat(Where(value.Mark()), ": '", path, "' is a section and must be a mapping, got ",
                                  NodeKind(value)));
    }
    return ApplyMapping(value, path);
  }

  absl::StatusOr<Value> ParseYamlValue(const ConfigKey& key, const YAML::Node& value) const {
    const std::string where = Where(value.Mark());
    if (key.type == ConfigType::kStringList && value.IsSequence()) return ParseYamlList(key, value);
    if (key.type == ConfigType::kObjectList) {
      return ParseObjectList(key, value, [this](const YAML::Mark& mark) { return Where(mark); });
    }
    if (value.IsMap() || value.IsSequence()) {
      return Invalid(absl::StrCat(where, ": '", key.path, "' must be a single value, got ", NodeKind(value)));
    }
    const std::string text = value.IsNull() ? "" : value.Scalar();
    absl::StatusOr<Value> parsed = ParseValue(key, text, BoolSyntax::kYaml);
    if (!parsed.ok()) return Annotate(parsed.status(), where);
    return parsed;
  }

  absl::StatusOr<Value> ParseYamlList(const ConfigKey& key, const YAML::Node& list) const {
    std::vector<std::string> items;
    for (const YAML::Node& item : list) {
      if (!item.IsScalar()) {
        return Invalid(absl::StrCat(Where(item.Mark()), ": '", key.path, "' must be a list of strings, got ",
                                    NodeKind(item), " item"));
      }
      if (absl::Status allowed = CheckAllowed(key, item.Scalar()); !allowed.ok()) {
        return Annotate(allowed, Where(item.Mark()));
      }
      items.push_back(item.Scalar());
    }
    return Value(std::move(items));
  }

  absl::Status ApplyEnvironment() {
    for (const ConfigKey* key : schema_.Keys()) {
      const std::string name = ConfigSchema::EnvironmentName(key->path);
      auto it = sources_.environment.find(name);
      if (it == sources_.environment.end()) continue;
      const std::string origin = absl::StrCat("environment ", name);
      absl::StatusOr<Value> parsed = ParseValue(*key, it->second, BoolSyntax::kLenient);
      if (!parsed.ok()) return Annotate(parsed.status(), origin);
      Set(*key, *std::move(parsed), origin);
    }
    return absl::OkStatus();
  }

  absl::Status ApplyOverrides() {
    for (const ConfigOverride& override_value : sources_.overrides) {
      const std::string origin =
          override_value.origin.empty() ? absl::StrCat("override ", override_value.path) : override_value.origin;
      const ConfigKey* key = schema_.Find(override_value.path);
      if (key == nullptr) return Invalid(absl::StrCat(origin, ": ", UnknownKey(override_value.path)));
      absl::StatusOr<Value> parsed = ParseValue(*key, override_value.value, BoolSyntax::kLenient);
      if (!parsed.ok()) return Annotate(parsed.status(), origin);
      Set(*key, *std::move(parsed), origin);
    }
    return absl::OkStatus();
  }

  const ConfigSchema& schema_;
  const ConfigSources& sources_;
  Config config_;
  std::map<std::string, std::string> file_seen_;  // Path -> where it was first set in the file.
};

absl::StatusOr<Config> Config::Load(const ConfigSchema& schema, const ConfigSources& sources) {
  return ConfigLoader(schema, sources).Run();
}

const Config::Entry& Config::EntryOrDie(std::string_view path) const {
  auto it = entries_.find(path);
  if (it == entries_.end()) {
    std::fprintf(stderr, "catena::Config: unknown config path '%.*s'\n", static_cast<int>(path.size()), path.data());
    std::abort();
  }
  return it->second;
}

const Config::Entry& Config::Lookup(std::string_view path, ConfigType type) const {
  const Entry& entry = EntryOrDie(path);
  if (entry.type != type) {
    std::fprintf(stderr, "catena::Config: '%.*s' has type %s, read as %s\n", static_cast<int>(path.size()), path.data(),
                 TypeName(entry.type).c_str(), TypeName(type).c_str());
    std::abort();
  }
  return entry;
}

int64_t Config::GetInt(std::string_view path) const { return std::get<int64_t>(Lookup(path, ConfigType::kInt).value); }

double Config::GetDouble(std::string_view path) const {
  return std::get<double>(Lookup(path, ConfigType::kDouble).value);
}

bool Config::GetBool(std::string_view path) const { return std::get<bool>(Lookup(path, ConfigType::kBool).value); }

std::string Config::GetString(std::string_view path) const {
  return std::get<std::string>(Lookup(path, ConfigType::kString).value);
}

std::vector<std::string> Config::GetStringList(std::string_view path) const {
  return std::get<std::vector<std::string>>(Lookup(path, ConfigType::kStringList).value);
}

std::vector<ConfigObject> Config::GetObjectList(std::string_view path) const {
  return std::get<std::vector<ConfigObject>>(Lookup(path, ConfigType::kObjectList).value);
}

std::string Config::Origin(std::string_view path) const { return EntryOrDie(path).origin; }

std::string ConfigObject::Get(std::string_view field, std::string fallback) const {
  auto it = fields.find(std::string(field));
  return it == fields.end() ? std::move(fallback) : it->second;
}

std::string ConfigObject::Origin(std::string_view field) const {
  auto it = field_origins.find(std::string(field));
  return it == field_origins.end() ? origin : it->second;
}

std::string Config::Dump() const {
  std::string out;
  std::vector<absl::string_view> open;  // Sections of the previous key, outermost first.
  for (const auto& [path, entry] : entries_) {
    std::vector<absl::string_view> segments = absl::StrSplit(path, '.');
    const absl::string_view leaf = segments.back();
    segments.pop_back();
    size_t common = 0;
    while (common < open.size() && common < segments.size() && open[common] == segments[common]) ++common;
    for (size_t i = common; i < segments.size(); ++i) {
      absl::StrAppend(&out, std::string(2 * i, ' '), segments[i], ":\n");
    }
    open = std::move(segments);
    absl::StrAppend(&out, std::string(2 * open.size(), ' '), leaf, ": ", FormatForYaml(entry.value), "  # ",
                    entry.origin, "\n");
  }
  return out;
}

}  // namespace catena
