// Helpers for problem messages about pipeline files: "did you mean 'collection'?" suggestions, name lists,
// value descriptions ("a string ('five')") and type checks of written values. Used by the pipeline parser and
// compiler only. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "chains/pipeline_spec.h"
#include "chains/problems.h"

namespace catena::chains {

// Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent transpositions),
// comparing ASCII letters case-insensitively.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a likely typo, else a candidate that `word`
// abbreviates (3 characters or more), else "".
std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" for the closest candidate, or "" when none is close.
std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates);

// "a, b, c" in the given order.
std::string JoinNames(const std::vector<std::string>& names);
// "a, b or c" in the given order.
std::string JoinOr(const std::vector<std::string>& names);

// "a string ('five')", "an int (5)", "a list", "a mapping", "null" for messages such as "..., not <this>".
std::string Describe(const SpecValue& value);
// "a string", "an int", "a number", "a boolean", "a list", "a mapping", "any value".
std::string TypeNoun(FieldType type);
// Reports each key of mapping `map` not in `allowed`: "<prefix>unknown key 'x'<where> (did you mean 'y'?)".
void ReportUnknownKeys(const SpecValue& map, const std::vector<std::string>& allowed, const std::string& node,
                       const std::string& prefix, const std::string& where, ProblemList& problems);
// True when `value` is of `kind`; else reports "<what>, not <Describe(value)>" at the value.
bool ExpectKind(const SpecValue& value, SpecValue::Kind kind, const std::string& node, const std::string& what,
                ProblemList& problems);

// Whether a written literal is acceptable where `type` is expected (an int is a number; null is not a bool).
bool HasType(const SpecValue& value, FieldType type);

}  // namespace catena::chains
