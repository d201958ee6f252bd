// String formatting of the template engine with Python semantics: printf-style `%` formatting, a subset of
// str.format(), and json.dumps() as used by the `tojson` filter (jinja2 and Hugging Face flavours).
// Stateless free functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "common/template/call_context.h"
#include "common/template/value.h"

namespace catena::tmpl {

// Python `fmt % args`: a tuple spreads over the conversions, a dict feeds %(name)s, anything else is one arg.
absl::StatusOr<std::string> PercentFormat(CallContext& ctx, std::string_view fmt, const Value& args);

// Python `fmt.format(*args, **kwargs)` for {} / {0} / {name} fields with optional !r/!s and simple specs
// ([[fill]align][sign][0][width][.precision][type]).
absl::StatusOr<std::string> BraceFormat(CallContext& ctx, std::string_view fmt, const CallArgs& args);

// json.dumps() settings.
struct JsonDumpOptions {
  std::optional<std::string> indent;  // None: one line; otherwise newline plus this per level.
  bool sort_keys = false;
  bool ensure_ascii = true;           // Escape non-ASCII as \uXXXX.
  bool html_safe = false;             // jinja2: escape < > & ' as \u003c \u003e \u0026 \u0027.
  std::string item_separator = ", ";  // json.dumps default; "," when indented.
  std::string key_separator = ": ";
};

// Python json.dumps(v) with the given options; fails for undefined values and callables.
absl::StatusOr<std::string> DumpJson(const Value& v, const JsonDumpOptions& options);

}  // namespace catena::tmpl
