// Reads YAML or JSON text into a SpecValue tree with 1-based positions. Plain scalars become null, bool,
// int or float when they read as such (YAML 1.2 core schema); quoted scalars stay strings. Duplicate mapping
// keys are problems (the first one is kept). Catches every yaml-cpp exception. Used by pipeline_spec.cc only.
#pragma once

#include <optional>
#include <string_view>

#include "chains/pipeline_spec.h"
#include "chains/problems.h"

namespace catena::chains {

// The document's root value, or nullopt after reporting a syntax error or an empty file to `problems`.
std::optional<SpecValue> ReadSpecValue(std::string_view text, ProblemList& problems);

}  // namespace catena::chains
