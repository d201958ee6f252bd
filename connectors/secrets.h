// Secrets for connectors: API keys and tokens referenced from config as "env:NAME", "file:/path" or a literal, and
// a Secret holder that prints as "***" so keys never reach logs, error messages or traces by accident.
// Used by the OpenAI clients, HTTP tools and MCP transports. Free functions are thread-safe.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace catena::connectors {

// Resolves a secret reference: "env:NAME" (the environment variable; NOT_FOUND when unset, FAILED_PRECONDITION
// when empty), "file:/path" (the file's contents with surrounding whitespace trimmed; NOT_FOUND when unreadable),
// "literal:text" (text as is), anything else is the literal value itself. Errors name the reference, never the value.
absl::StatusOr<std::string> ResolveSecret(std::string_view ref);

// A secret value. Printing it with operator<< shows "***" (Debian's abseil has no AbslStringify, so StrCat rejects it);
// only Reveal() gives the value, to be put into a request header and nowhere else.
class Secret {
 public:
  Secret() = default;
  explicit Secret(std::string value) : value_(std::move(value)) {}

  // Resolves `ref` with ResolveSecret.
  static absl::StatusOr<Secret> FromRef(std::string_view ref);

  // The secret value.
  const std::string& Reveal() const { return value_; }
  // True when no value is set.
  bool empty() const { return value_.empty(); }

  friend std::ostream& operator<<(std::ostream& os, const Secret&) { return os << "***"; }

 private:
  std::string value_;
};

}  // namespace catena::connectors
