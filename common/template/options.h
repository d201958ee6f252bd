// TemplateOptions: parse and render settings of the template engine (jinja2 Environment options plus
// resource limits and extra globals). Plain data; copied into each Template, so safe to share after setup.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "common/template/value.h"

namespace catena::tmpl {

// How the `tojson` filter formats JSON.
enum class JsonStyle {
  kJinja,        // jinja2: sorted keys, ASCII-only, HTML-safe escaping of < > & '.
  kHuggingFace,  // transformers chat templates: key order kept, UTF-8 kept, no HTML escaping.
};

// Settings for parsing and rendering; defaults match jinja2.Environment().
struct TemplateOptions {
  std::string name = "template";       // Prefix of every error message ("name:line:col: ...").
  bool trim_blocks = false;            // Drop the first newline after a block tag or comment.
  bool lstrip_blocks = false;          // Strip spaces and tabs before a block tag at the start of a line.
  bool keep_trailing_newline = false;  // Keep the single trailing newline of the source.
  bool strict_undefined = false;       // Using an undefined value is an error naming its path.
  JsonStyle tojson_style = JsonStyle::kJinja;
  size_t max_output_bytes = size_t{64} << 20;  // Limit on rendered output and on any built string.
  int max_recursion_depth = 100;               // Limit on nested macro calls.
  int64_t max_range_size = 1'000'000;          // Limit on the length of range() results.
  int64_t max_loop_iterations = 10'000'000;    // Limit on loop iterations per render.
  // Extra globals, e.g. Value::Function("strftime_now", ...); each render sees its own copy of lists and dicts.
  std::map<std::string, Value> globals;
};

// Options for Hugging Face chat templates: trim_blocks, lstrip_blocks and transformers' tojson.
inline TemplateOptions ChatTemplateOptions(std::string name = "chat_template") {
  TemplateOptions options;
  options.name = std::move(name);
  options.trim_blocks = true;
  options.lstrip_blocks = true;
  options.tojson_style = JsonStyle::kHuggingFace;
  return options;
}

}  // namespace catena::tmpl
