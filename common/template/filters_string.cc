// String and scalar filters of the template engine (jinja2 semantics): case mapping, trim, replace,
// truncate, indent, format, escape, conversions, round, default, length and tojson.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "common/status.h"
#include "common/template/builtins.h"
#include "common/template/format.h"
#include "common/template/text.h"

namespace catena::tmpl {
namespace {

using FilterTable = std::vector<std::pair<std::string_view, FilterFn>>;

// Adapts a pure string -> string function into a filter that takes no arguments.
template <std::string (*Fn)(std::string_view)>
absl::StatusOr<Value> StringFilter(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_RETURN_IF_ERROR(BoundArgs::Bind("filter", args, {}).status());
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  return Value(Fn(s));
}

std::string Escape(std::string_view s) { return HtmlEscape(s); }
std::string Identity(std::string_view s) { return std::string(s); }

absl::StatusOr<Value> Trim(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("trim", args, {"chars"}));
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  if (!bound.Has(0) || bound.Get(0).is_none()) return Value(text::Strip(s, nullptr, true, true));
  CATENA_ASSIGN_OR_RETURN(std::string chars, bound.String(0, ""));
  return Value(text::Strip(s, &chars, true, true));
}

absl::StatusOr<Value> Replace(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("replace", args, {"old", "new", "count"}));
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  CATENA_ASSIGN_OR_RETURN(std::string old, ctx.Str(bound.Get(0)));
  CATENA_ASSIGN_OR_RETURN(std::string repl, ctx.Str(bound.Get(1)));
  CATENA_ASSIGN_OR_RETURN(int64_t count, bound.Int(2, -1));
  std::optional<std::string> out = text::Replace(s, old, repl, count, ctx.options().max_output_bytes);
  if (!out.has_value()) return ctx.CheckSize(ctx.options().max_output_bytes + 1);
  return Value(*std::move(out));
}

// Approximates Python's \w for a code point: ASCII letters, digits and '_', plus non-ASCII characters that
// are not punctuation, symbols or emoji.
bool IsWordChar(uint32_t cp) {
  if (cp < 0x80) return absl::ascii_isalnum(static_cast<unsigned char>(cp)) || cp == '_';
  if (cp <= 0xBF)
    return cp == 0xAA || cp == 0xB2 || cp == 0xB3 || cp == 0xB5 || cp == 0xB9 || cp == 0xBA ||
           (cp >= 0xBC && cp <= 0xBE);
  if (cp == 0xD7 || cp == 0xF7) return false;
  if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0x1F000 && cp <= 0x1FAFF)) {
    return false;
  }
  return true;
}

absl::StatusOr<Value> WordCount(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  int64_t words = 0;
  bool in_word = false;
  size_t pos = 0;
  while (pos < s.size()) {
    const bool word_char = IsWordChar(text::DecodeOne(s, &pos));
    if (word_char && !in_word) ++words;
    in_word = word_char;
  }
  return Value(words);
}

// jinja2's truncate on a non-string: len() decides, so short sequences pass through and scalars fail.
absl::StatusOr<Value> TruncateNonString(CallContext& ctx, const Value& input, const BoundArgs& bound) {
  CATENA_ASSIGN_OR_RETURN(const int64_t length, bound.Int(0, 255));
  CATENA_ASSIGN_OR_RETURN(const int64_t leeway, bound.Int(3, 5));
  CATENA_ASSIGN_OR_RETURN(const int64_t size, Length(ctx, input));
  if (size <= length + leeway) return input;
  return absl::InvalidArgumentError(text::Cat("truncate: cannot slice a '", TypeName(input), "' like a string"));
}

absl::StatusOr<Value> Truncate(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("truncate", args, {"length", "killwords", "end", "leeway"}));
  if (!input.is_string()) return TruncateNonString(ctx, input, bound);
  const std::string& s = input.string_value();
  CATENA_ASSIGN_OR_RETURN(const int64_t length, bound.Int(0, 255));
  CATENA_ASSIGN_OR_RETURN(const std::string end, bound.String(2, "..."));
  CATENA_ASSIGN_OR_RETURN(const int64_t leeway, bound.Int(3, 5));
  const auto end_len = static_cast<int64_t>(text::CodePointCount(end));
  if (length < end_len) return absl::InvalidArgumentError(text::Cat("expected length >= ", end_len, ", got ", length));
  if (leeway < 0) return absl::InvalidArgumentError("expected leeway >= 0");
  const std::vector<std::string_view> chars = text::CodePoints(s);
  if (static_cast<int64_t>(chars.size()) <= length + leeway) return Value(s);
  std::string head;
  for (int64_t i = 0; i < length - end_len; ++i) head.append(chars[static_cast<size_t>(i)]);
  if (!bound.Bool(1, false)) {
    const size_t space = head.rfind(' ');
    if (space != std::string::npos) head.resize(space);
  }
  return Value(head + end);
}

absl::StatusOr<Value> Indent(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("indent", args, {"width", "first", "blank"}));
  if (input.is_undefined()) return UndefinedError(input);
  if (!input.is_string()) {
    return absl::InvalidArgumentError(text::Cat("indent expects a string, got '", TypeName(input), "'"));
  }
  const std::string& s = input.string_value();
  std::string indentation;
  if (bound.Get(0).is_string()) {
    indentation = bound.Get(0).string_value();
  } else {
    CATENA_ASSIGN_OR_RETURN(const int64_t width, bound.Int(0, 4));
    indentation.assign(static_cast<size_t>(std::clamp<int64_t>(width, 0, 1 << 16)), ' ');
  }
  const std::vector<std::string> lines = text::SplitLines(s + "\n");
  CATENA_RETURN_IF_ERROR(ctx.CheckSize(s.size() + (lines.size() + 1) * indentation.size()));
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += "\n";
    if (i > 0 && (bound.Bool(2, false) || !lines[i].empty())) out += indentation;
    out += lines[i];
  }
  if (bound.Bool(1, false)) out = indentation + out;
  CATENA_RETURN_IF_ERROR(ctx.CheckSize(out.size()));
  return Value(std::move(out));
}

absl::StatusOr<Value> Center(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("center", args, {"width"}));
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  CATENA_ASSIGN_OR_RETURN(const int64_t width, bound.Int(0, 80));
  const auto len = static_cast<int64_t>(text::CodePointCount(s));
  if (width <= len) return Value(s);
  CATENA_RETURN_IF_ERROR(ctx.CheckSize(static_cast<size_t>(width)));
  const int64_t margin = width - len;
  const int64_t left = margin / 2 + (margin & width & 1);
  return Value(std::string(static_cast<size_t>(left), ' ') + s + std::string(static_cast<size_t>(margin - left), ' '));
}

absl::StatusOr<Value> Format(CallContext& ctx, const Value& input, const CallArgs& args) {
  if (!args.positional.empty() && !args.keyword.empty()) {
    return absl::InvalidArgumentError("format: can't handle positional and keyword arguments at the same time");
  }
  CATENA_ASSIGN_OR_RETURN(std::string fmt, ctx.Str(input));
  Value params = Value::Tuple(args.positional);
  if (!args.keyword.empty()) {
    params = Value::Dict();
    for (const auto& [key, value] : args.keyword) params.map().Set(key, value);
  }
  CATENA_ASSIGN_OR_RETURN(std::string out, PercentFormat(ctx, fmt, params));
  return Value(std::move(out));
}

// Python int(str, base) for base 10 or 16 (prefix optional), with sign, whitespace and underscores.
std::optional<int64_t> ParseInt(std::string_view s, int64_t base) {
  s = text::Strip(s, nullptr, true, true);
  bool negative = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' &&
      ((base == 16 && (s[1] == 'x' || s[1] == 'X')) || (base == 8 && (s[1] == 'o' || s[1] == 'O')) ||
       (base == 2 && (s[1] == 'b' || s[1] == 'B')))) {
    s.remove_prefix(2);
  }
  if (s.empty() || s.front() == '_' || s.back() == '_' || s.find("__") != std::string_view::npos) return std::nullopt;
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(digits.c_str(), &end, static_cast<int>(base));
  if (errno != 0 || end != digits.c_str() + digits.size() || digits[0] == '+' || digits[0] == '-') return std::nullopt;
  return negative ? -v : v;
}

// Python float(str): decimal, exponent, inf/nan, surrounding whitespace, underscores between digits.
std::optional<double> ParseFloat(std::string_view s) {
  s = text::Strip(s, nullptr, true, true);
  if (s.empty() || s.find("__") != std::string_view::npos) return std::nullopt;
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  const std::string lower = absl::AsciiStrToLower(digits);
  if (lower.find("0x") != std::string::npos) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size()) return std::nullopt;
  return v;
}

absl::StatusOr<Value> ToInt(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("int", args, {"default", "base"}));
  CATENA_ASSIGN_OR_RETURN(const int64_t base, bound.Int(1, 10));
  if (input.is_undefined()) return UndefinedError(input);
  if (input.is_int() || input.is_bool()) return Value(input.int_value());
  if (input.is_float() && std::isfinite(input.float_value()) && std::abs(input.float_value()) < 9.2e18) {
    return Value(static_cast<int64_t>(input.float_value()));
  }
  if (input.is_string()) {
    if (std::optional<int64_t> v = ParseInt(input.string_value(), base); v.has_value()) return Value(*v);
    const std::optional<double> d = ParseFloat(input.string_value());
    if (d.has_value() && std::isfinite(*d) && std::abs(*d) < 9.2e18) return Value(static_cast<int64_t>(*d));
  }
  return bound.Get(0, Value(0));
}

absl::StatusOr<Value> ToFloat(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("float", args, {"default"}));
  if (input.is_undefined()) return UndefinedError(input);
  if (input.is_number()) return Value(input.AsDouble());
  if (input.is_string()) {
    if (std::optional<double> v = ParseFloat(input.string_value()); v.has_value()) return Value(*v);
  }
  return bound.Get(0, Value(0.0));
}

// Python round(x, ndigits) for floats: correctly rounded, ties to even.
double PyRound(double x, int64_t ndigits) {
  if (!std::isfinite(x) || ndigits > 300) return x;
  if (ndigits >= 0) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", static_cast<int>(ndigits), x);
    return std::strtod(buf, nullptr);
  }
  const double pow10 = std::pow(10.0, static_cast<double>(-ndigits));
  return std::nearbyint(x / pow10) * pow10;
}

absl::StatusOr<Value> Round(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("round", args, {"precision", "method"}));
  CATENA_ASSIGN_OR_RETURN(const int64_t precision, bound.Int(0, 0));
  CATENA_ASSIGN_OR_RETURN(const std::string method, bound.String(1, "common"));
  if (method != "common" && method != "ceil" && method != "floor") {
    return absl::InvalidArgumentError("method must be common, ceil or floor");
  }
  if (input.is_undefined()) return UndefinedError(input);
  if (!input.is_number())
    return absl::InvalidArgumentError(text::Cat("type ", TypeName(input), " doesn't define __round__ method"));
  if (method == "common") {
    if (!input.is_float() && precision >= 0) return Value(input.int_value());
    const double rounded = PyRound(input.AsDouble(), precision);
    if (!input.is_float()) return Value(static_cast<int64_t>(rounded));
    return Value(rounded);
  }
  const double scale = std::pow(10.0, static_cast<double>(precision));
  const double scaled = input.AsDouble() * scale;
  return Value((method == "ceil" ? std::ceil(scaled) : std::floor(scaled)) / scale);
}

absl::StatusOr<Value> Abs(CallContext& ctx, const Value& input, const CallArgs&) {
  if (input.is_float()) return Value(std::abs(input.float_value()));
  if (input.is_int() || input.is_bool()) {
    if (input.int_value() == INT64_MIN) return absl::InvalidArgumentError("integer overflow");
    return Value(input.int_value() < 0 ? -input.int_value() : input.int_value());
  }
  if (input.is_undefined()) return UndefinedError(input);
  return absl::InvalidArgumentError(text::Cat("bad operand type for abs(): '", TypeName(input), "'"));
}

absl::StatusOr<Value> Default(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("default", args, {"default_value", "boolean"}));
  if (input.is_undefined() || (bound.Bool(1, false) && !Truthy(input))) return bound.Get(0, Value(""));
  return input;
}

absl::StatusOr<Value> LengthFilter(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(int64_t n, Length(ctx, input));
  return Value(n);
}

absl::StatusOr<Value> ToString(CallContext& ctx, const Value& input, const CallArgs&) {
  CATENA_ASSIGN_OR_RETURN(std::string s, ctx.Str(input));
  return Value(std::move(s));
}

absl::StatusOr<Value> PrettyPrint(CallContext& ctx, const Value& input, const CallArgs&) {
  if (input.is_undefined()) return Value("Undefined");
  return Value(Repr(input));
}

absl::StatusOr<Value> Attr(CallContext& ctx, const Value& input, const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("attr", args, {"name"}));
  CATENA_ASSIGN_OR_RETURN(std::string name, bound.String(0, ""));
  if (input.is_undefined()) return UndefinedError(input);
  if (input.is_map() && !input.is_dict()) {
    const Value* found = input.map().Find(name);
    return found != nullptr ? *found : Value::Undefined(name);
  }
  return BindMethod(input, name);
}

absl::StatusOr<JsonDumpOptions> HfJsonOptions(const CallArgs& args) {
  CATENA_ASSIGN_OR_RETURN(BoundArgs bound,
                          BoundArgs::Bind("tojson", args, {"ensure_ascii", "indent", "separators", "sort_keys"}));
  JsonDumpOptions options;
  options.ensure_ascii = bound.Bool(0, false);
  options.sort_keys = bound.Bool(3, false);
  const Value indent = bound.Get(1, Value::None());
  if (indent.is_string()) {
    options.indent = indent.string_value();
  } else if (!indent.is_none()) {
    CATENA_ASSIGN_OR_RETURN(const int64_t width, bound.Int(1, 0));
    options.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(width, 0, 64)), ' ');
  }
  if (options.indent.has_value()) options.item_separator = ",";
  const Value separators = bound.Get(2, Value::None());
  if (separators.is_list() && separators.list().items.size() == 2 && separators.list().items[0].is_string() &&
      separators.list().items[1].is_string()) {
    options.item_separator = separators.list().items[0].string_value();
    options.key_separator = separators.list().items[1].string_value();
  }
  return options;
}

absl::StatusOr<Value> ToJsonFilter(CallContext& ctx, const Value& input, const CallArgs& args) {
  JsonDumpOptions options;
  if (ctx.options().tojson_style == JsonStyle::kHuggingFace) {
    CATENA_ASSIGN_OR_RETURN(options, HfJsonOptions(args));
  } else {
    CATENA_ASSIGN_OR_RETURN(BoundArgs bound, BoundArgs::Bind("tojson", args, {"indent"}));
    options.sort_keys = true;
    options.html_safe = true;
    if (bound.Has(0) && !bound.Get(0).is_none()) {
      CATENA_ASSIGN_OR_RETURN(const int64_t width, bound.Int(0, 0));
      options.indent = std::string(static_cast<size_t>(std::clamp<int64_t>(width, 0, 64)), ' ');
      options.item_separator = ",";
    }
  }
  CATENA_ASSIGN_OR_RETURN(std::string json, DumpJson(input, options));
  CATENA_RETURN_IF_ERROR(ctx.CheckSize(json.size()));
  return Value(std::move(json));
}

}  // namespace

void RegisterStringFilters(FilterTable* table) {
  table->insert(table->end(), {
                                  {"upper", StringFilter<text::Upper>},
                                  {"lower", StringFilter<text::Lower>},
                                  {"capitalize", StringFilter<text::Capitalize>},
                                  {"title", StringFilter<text::JinjaTitle>},
                                  {"escape", StringFilter<Escape>},
                                  {"e", StringFilter<Escape>},
                                  {"forceescape", StringFilter<Escape>},
                                  {"safe", StringFilter<Identity>},
                                  {"trim", Trim},
                                  {"replace", Replace},
                                  {"wordcount", WordCount},
                                  {"truncate", Truncate},
                                  {"indent", Indent},
                                  {"center", Center},
                                  {"format", Format},
                                  {"int", ToInt},
                                  {"float", ToFloat},
                                  {"round", Round},
                                  {"abs", Abs},
                                  {"default", Default},
                                  {"d", Default},
                                  {"length", LengthFilter},
                                  {"count", LengthFilter},
                                  {"string", ToString},
                                  {"pprint", PrettyPrint},
                                  {"attr", Attr},
                                  {"tojson", ToJsonFilter},
                              });
}

}  // namespace catena::tmpl
