// String formatting of the template engine with Python semantics (see format.h).
#include "common/template/format.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "common/status.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

constexpr int kMaxJsonDepth = 200;

// One parsed conversion spec: flags, width, precision and type character.
struct Spec {
  std::string flags;
  int width = -1;
  int precision = -1;
  char type = 's';
  char fill = ' ';
  char align = 0;  // '<', '>', '^' or 0 (type default)
};

std::string Pad(std::string s, const Spec& spec, bool numeric) {
  const auto len = static_cast<int>(text::CodePointCount(s));
  if (spec.width <= len) return s;
  const auto pad = static_cast<size_t>(spec.width - len);
  char align = spec.align != 0 ? spec.align : (numeric ? '>' : '<');
  if (spec.flags.find('-') != std::string::npos) align = '<';
  if (align == '<') return s + std::string(pad, spec.fill);
  if (align == '^') return std::string(pad / 2, spec.fill) + s + std::string(pad - pad / 2, spec.fill);
  return std::string(pad, spec.fill) + s;
}

absl::StatusOr<std::string> FormatNumber(const Value& arg, const Spec& spec) {
  if (!arg.is_number()) {
    return absl::InvalidArgumentError(
        text::Cat("%", std::string(1, spec.type), " format: a real number is required, not ", TypeName(arg)));
  }
  std::string fmt = "%" + spec.flags;
  if (spec.width >= 0 && spec.align == 0) text::Append(&fmt, spec.width);
  if (spec.precision >= 0) text::Append(&fmt, ".", spec.precision);
  char buf[512];
  const bool integral = spec.type == 'd' || spec.type == 'i' || spec.type == 'u' || spec.type == 'x' ||
                        spec.type == 'X' || spec.type == 'o';
  if (integral) {
    const auto v = static_cast<long long>(arg.is_float() ? std::trunc(arg.float_value()) : arg.int_value());
    const char type = spec.type == 'i' || spec.type == 'u' ? 'd' : spec.type;
    std::snprintf(buf, sizeof(buf), (fmt + "ll" + type).c_str(), v);
  } else {
    std::snprintf(buf, sizeof(buf), (fmt + spec.type).c_str(), arg.AsDouble());
  }
  return spec.align == 0 ? std::string(buf) : Pad(buf, spec, true);
}

absl::StatusOr<std::string> Convert(CallContext& ctx, const Value& arg, const Spec& spec) {
  switch (spec.type) {
    case 's': {
      CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(arg));
      if (spec.precision >= 0) s = s.substr(0, static_cast<size_t>(spec.precision));
      return Pad(std::move(s), spec, false);
    }
    case 'r':
    case 'a':
      return Pad(Repr(arg), spec, false);
    case 'c': {
      if (arg.is_string()) return Pad(arg.string_value(), spec, false);
      if (!arg.is_int() || arg.int_value() < 0 || arg.int_value() > 0x10FFFF) {
        return absl::InvalidArgumentError("%c requires an int in range(0x110000) or a char");
      }
      std::string s;
      text::AppendUtf8(static_cast<uint32_t>(arg.int_value()), &s);
      return Pad(std::move(s), spec, false);
    }
    case 'd':
    case 'i':
    case 'u':
    case 'x':
    case 'X':
    case 'o':
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      return FormatNumber(arg, spec);
    default:
      return absl::InvalidArgumentError(text::Cat("unsupported format character '", std::string(1, spec.type), "'"));
  }
}

// Parses "%[(name)][flags][width][.precision]type" after the '%' at fmt[*pos].
absl::StatusOr<Spec> ParsePercentSpec(std::string_view fmt, size_t* pos, std::string* key) {
  Spec spec;
  if (*pos < fmt.size() && fmt[*pos] == '(') {
    const size_t close = fmt.find(')', *pos);
    if (close == std::string_view::npos) return absl::InvalidArgumentError("incomplete format key");
    *key = std::string(fmt.substr(*pos + 1, close - *pos - 1));
    *pos = close + 1;
  }
  while (*pos < fmt.size() && std::string_view("-+ #0").find(fmt[*pos]) != std::string_view::npos) {
    spec.flags.push_back(fmt[(*pos)++]);
  }
  auto number = [&]() {
    int n = 0;
    while (*pos < fmt.size() && fmt[*pos] >= '0' && fmt[*pos] <= '9' && n < 10000) n = n * 10 + (fmt[(*pos)++] - '0');
    return n;
  };
  if (*pos < fmt.size() && fmt[*pos] >= '0' && fmt[*pos] <= '9') spec.width = number();
  if (*pos < fmt.size() && fmt[*pos] == '.') {
    ++*pos;
    spec.precision = number();
  }
  if (*pos >= fmt.size()) return absl::InvalidArgumentError("incomplete format");
  spec.type = fmt[(*pos)++];
  if (spec.type == 's' || spec.type == 'r' || spec.type == 'a' || spec.type == 'c') {
    spec.align = spec.flags.find('-') != std::string::npos ? '<' : '>';  // printf pads on the left
  }
  if (spec.flags.find('0') != std::string::npos && spec.flags.find('-') == std::string::npos && spec.type != 's' &&
      spec.type != 'r') {
    spec.fill = '0';
  }
  return spec;
}

// Parses a str.format() spec: [[fill]align][sign][0][width][.precision][type].
Spec ParseBraceSpec(std::string_view s) {
  Spec spec;
  spec.type = 0;
  size_t i = 0;
  auto is_align = [](char c) { return c == '<' || c == '>' || c == '^'; };
  if (s.size() >= 2 && is_align(s[1])) {
    spec.fill = s[0];
    spec.align = s[1];
    i = 2;
  } else if (!s.empty() && is_align(s[0])) {
    spec.align = s[0];
    i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == ' ')) spec.flags.push_back(s[i++]);
  if (i < s.size() && s[i] == '0') {
    spec.flags.push_back('0');
    ++i;
  }
  int width = 0;
  bool has_width = false;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9' && width < 10000) {
    width = width * 10 + (s[i++] - '0');
    has_width = true;
  }
  if (has_width) spec.width = width;
  if (i < s.size() && s[i] == '.') {
    spec.precision = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9' && spec.precision < 10000; ++i) {
      spec.precision = spec.precision * 10 + (s[i] - '0');
    }
  }
  if (i < s.size()) spec.type = s[i];
  return spec;
}

// One str.format() replacement field "name!conv:spec" (without braces).
absl::StatusOr<std::string> FormatField(CallContext& ctx, std::string_view field, const CallArgs& args,
                                        size_t* auto_index) {
  std::string_view spec_text;
  if (const size_t colon = field.find(':'); colon != std::string_view::npos) {
    spec_text = field.substr(colon + 1);
    field = field.substr(0, colon);
  }
  char conversion = 0;
  if (field.size() >= 2 && field[field.size() - 2] == '!') {
    conversion = field.back();
    field.remove_suffix(2);
  }
  Value arg;
  if (field.empty() || std::all_of(field.begin(), field.end(), [](char d) { return d >= '0' && d <= '9'; })) {
    const size_t index = field.empty() ? (*auto_index)++ : static_cast<size_t>(std::atol(std::string(field).c_str()));
    if (index >= args.positional.size()) {
      return absl::InvalidArgumentError("Replacement index out of range for positional args tuple");
    }
    arg = args.positional[index];
  } else {
    const auto it =
        std::find_if(args.keyword.begin(), args.keyword.end(), [&](const auto& kw) { return kw.first == field; });
    if (it == args.keyword.end()) return absl::InvalidArgumentError(text::Cat("format key '", field, "' missing"));
    arg = it->second;
  }
  Spec spec = ParseBraceSpec(spec_text);
  if (conversion == 'r') arg = Value(Repr(arg));
  if (spec.type == 0) spec.type = arg.is_int() ? 'd' : (arg.is_float() ? 'g' : 's');
  if (arg.is_float() && spec.type == 'g' && spec_text.empty()) return FormatFloat(arg.float_value());
  return Convert(ctx, arg, spec);
}

void AppendJsonString(std::string_view s, const JsonDumpOptions& options, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  char buf[16];
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = text::DecodeOne(s, &pos);
    switch (cp) {
      case '"':
        *out += "\\\"";
        continue;
      case '\\':
        *out += "\\\\";
        continue;
      case '\n':
        *out += "\\n";
        continue;
      case '\r':
        *out += "\\r";
        continue;
      case '\t':
        *out += "\\t";
        continue;
      case '\b':
        *out += "\\b";
        continue;
      case '\f':
        *out += "\\f";
        continue;
      default:
        break;
    }
    const bool html_escape = options.html_safe && (cp == '<' || cp == '>' || cp == '&' || cp == '\'');
    if (cp < 0x20 || html_escape || (options.ensure_ascii && cp >= 0x7F)) {
      if (cp >= 0x10000) {
        const uint32_t v = cp - 0x10000;
        std::snprintf(buf, sizeof(buf), "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        std::snprintf(buf, sizeof(buf), "\\u%04x", cp);
      }
      *out += buf;
    } else {
      out->append(s.substr(start, pos - start));
    }
  }
  out->push_back('"');
}

std::string JsonFloat(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  return FormatFloat(d);
}

absl::StatusOr<std::string> JsonKey(const Value& key) {
  if (key.is_string()) return key.string_value();
  if (key.is_none()) return std::string("null");
  if (key.is_bool()) return std::string(key.bool_value() ? "true" : "false");
  if (key.is_int()) return text::Cat(key.int_value());
  if (key.is_float()) return JsonFloat(key.float_value());
  return absl::InvalidArgumentError(text::Cat("keys must be str, int, float, bool or None, not ", TypeName(key)));
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonDumpOptions& options) : options_(options) {}

  absl::Status Write(const Value& v, int depth);
  std::string Take() { return std::move(out_); }

 private:
  void NewLine(int depth) {
    if (!options_.indent.has_value()) return;
    out_.push_back('\n');
    for (int i = 0; i < depth; ++i) out_ += *options_.indent;
  }
  absl::Status WriteList(const std::vector<Value>& items, int depth);
  absl::Status WriteMap(const MapData& map, int depth);

  const JsonDumpOptions& options_;
  std::string out_;
};

absl::Status JsonWriter::Write(const Value& v, int depth) {
  if (depth > kMaxJsonDepth) return absl::InvalidArgumentError("value nests too deeply for tojson");
  switch (v.kind()) {
    case Value::Kind::kNone:
      out_ += "null";
      return absl::OkStatus();
    case Value::Kind::kBool:
      out_ += v.bool_value() ? "true" : "false";
      return absl::OkStatus();
    case Value::Kind::kInt:
      text::Append(&out_, v.int_value());
      return absl::OkStatus();
    case Value::Kind::kFloat:
      out_ += JsonFloat(v.float_value());
      return absl::OkStatus();
    case Value::Kind::kString:
      AppendJsonString(v.string_value(), options_, &out_);
      return absl::OkStatus();
    case Value::Kind::kList:
      return WriteList(v.list().items, depth);
    case Value::Kind::kMap:
      if (v.is_dict()) return WriteMap(v.map(), depth);
      break;
    default:
      break;
  }
  const std::string type = v.is_undefined() ? "Undefined" : (v.is_map() ? "Namespace" : TypeName(v));
  return absl::InvalidArgumentError(text::Cat("Object of type ", type, " is not JSON serializable"));
}

absl::Status JsonWriter::WriteList(const std::vector<Value>& items, int depth) {
  if (items.empty()) {
    out_ += "[]";
    return absl::OkStatus();
  }
  out_.push_back('[');
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out_ += options_.item_separator;
    NewLine(depth + 1);
    CATENA_RETURN_IF_ERROR(Write(items[i], depth + 1));
  }
  NewLine(depth);
  out_.push_back(']');
  return absl::OkStatus();
}

absl::Status JsonWriter::WriteMap(const MapData& map, int depth) {
  if (map.size() == 0) {
    out_ += "{}";
    return absl::OkStatus();
  }
  std::vector<const std::pair<Value, Value>*> entries;
  for (const auto& entry : map.entries()) entries.push_back(&entry);
  if (options_.sort_keys) {
    absl::Status status;
    std::stable_sort(entries.begin(), entries.end(), [&status](const auto* a, const auto* b) {
      absl::StatusOr<int> c = Compare(a->first, b->first);
      if (!c.ok()) status = c.status();
      return c.ok() && *c < 0;
    });
    CATENA_RETURN_IF_ERROR(status);
  }
  out_.push_back('{');
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out_ += options_.item_separator;
    NewLine(depth + 1);
    CATENA_ASSIGN_OR_RETURN(std::string key, JsonKey(entries[i]->first));
    AppendJsonString(key, options_, &out_);
    out_ += options_.key_separator;
    CATENA_RETURN_IF_ERROR(Write(entries[i]->second, depth + 1));
  }
  NewLine(depth);
  out_.push_back('}');
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> PercentFormat(CallContext& ctx, std::string_view fmt, const Value& args) {
  std::vector<Value> positional;
  if (args.is_tuple()) {
    positional = args.list().items;
  } else {
    positional.push_back(args);
  }
  size_t next = 0;
  bool used_mapping = false;
  std::string out;
  for (size_t pos = 0; pos < fmt.size();) {
    const size_t percent = fmt.find('%', pos);
    out.append(fmt.substr(pos, percent == std::string_view::npos ? std::string_view::npos : percent - pos));
    if (percent == std::string_view::npos) break;
    pos = percent + 1;
    if (pos < fmt.size() && fmt[pos] == '%') {
      out.push_back('%');
      ++pos;
      continue;
    }
    std::string key;
    CATENA_ASSIGN_OR_RETURN(Spec spec, ParsePercentSpec(fmt, &pos, &key));
    Value arg;
    if (!key.empty()) {
      if (!args.is_dict()) return absl::InvalidArgumentError("format requires a mapping");
      const Value* found = args.map().Find(key);
      if (found == nullptr) return absl::InvalidArgumentError(text::Cat("format key '", key, "' not found"));
      arg = *found;
      used_mapping = true;
    } else {
      if (next >= positional.size()) return absl::InvalidArgumentError("not enough arguments for format string");
      arg = positional[next++];
    }
    CATENA_ASSIGN_OR_RETURN(std::string piece, Convert(ctx, arg, spec));
    out += piece;
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(out.size()));
  }
  const bool mapping_like = args.is_map() || (args.is_list() && !args.is_tuple());  // Python's PyMapping_Check
  if (!used_mapping && !mapping_like && next < positional.size()) {
    return absl::InvalidArgumentError("not all arguments converted during string formatting");
  }
  return out;
}

absl::StatusOr<std::string> BraceFormat(CallContext& ctx, std::string_view fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t pos = 0; pos < fmt.size();) {
    const char c = fmt[pos];
    if ((c == '{' || c == '}') && pos + 1 < fmt.size() && fmt[pos + 1] == c) {
      out.push_back(c);
      pos += 2;
      continue;
    }
    if (c == '}') return absl::InvalidArgumentError("single '}' encountered in format string");
    if (c != '{') {
      out.push_back(c);
      ++pos;
      continue;
    }
    const size_t close = fmt.find('}', pos);
    if (close == std::string_view::npos) return absl::InvalidArgumentError("single '{' encountered in format string");
    CATENA_ASSIGN_OR_RETURN(std::string piece,
                            FormatField(ctx, fmt.substr(pos + 1, close - pos - 1), args, &auto_index));
    out += piece;
    CATENA_RETURN_IF_ERROR(ctx.CheckSize(out.size()));
    pos = close + 1;
  }
  return out;
}

absl::StatusOr<std::string> DumpJson(const Value& v, const JsonDumpOptions& options) {
  JsonWriter writer(options);
  CATENA_RETURN_IF_ERROR(writer.Write(v, 0));
  return writer.Take();
}

}  // namespace catena::tmpl
