// JSON helpers of the chain engine: ExtractJson reads the JSON value out of a model reply (tolerating ```json
// fences and prose around it), CheckJsonSchema validates a value against a JSON-Schema subset, and
// MinimalJsonInstance builds the smallest valid instance of a schema (the "test-json" model). Used by the
// output.json and llm.chat nodes and by TestChatModel. Pure functions; thread-safe.
//
// Supported keywords: type (string or list), properties, required, additionalProperties (bool), enum, const,
// items, minItems/maxItems, minLength/maxLength, minimum/maximum, exclusiveMinimum/exclusiveMaximum, multipleOf,
// anyOf, oneOf (as anyOf), allOf, and on strings `pattern` or a `format` among date, time, date-time, uuid, ipv4
// and email (inference::StringMatchesSchemaPattern: the constrained-decoding grammar's own automaton). Other
// keywords are ignored.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace catena::chains {

// The JSON value in `text`: the whole text, else the inside of a ```json (or ```) fence, else the span from
// the first '{' or '[' to the last matching '}' or ']'. INVALID_ARGUMENT saying why nothing parsed (with the
// parser's byte position).
absl::StatusOr<nlohmann::ordered_json> ExtractJson(std::string_view text);

// OK when `value` satisfies `schema`; INVALID_ARGUMENT naming the first failing place as a path ("$.items[2].id:
// expected a string, got a number").
absl::Status CheckJsonSchema(const nlohmann::ordered_json& schema, const nlohmann::ordered_json& value);

// The smallest valid instance: required properties only, empty strings padded to minLength with "a", numbers
// at their minimum (or 0), the first enum/const value, the first anyOf branch, minItems copies of items.
nlohmann::ordered_json MinimalJsonInstance(const nlohmann::ordered_json& schema);

}  // namespace catena::chains
