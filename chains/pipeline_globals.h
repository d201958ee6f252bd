// Functions pipeline templates can call besides Jinja's builtins (docs/templates.md "Pipeline globals"):
// detect_language(text). Binding compiles every pipeline template with them, and the pipeline compiler accepts
// their names as template roots. Pure functions; the table is built once and shared read-only.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/template/value.h"

namespace catena::chains {

// The globals by name, ready for tmpl::TemplateOptions::globals.
const std::map<std::string, tmpl::Value>& PipelineGlobals();

// Whether `name` is one of PipelineGlobals().
bool IsPipelineGlobal(std::string_view name);

}  // namespace catena::chains
