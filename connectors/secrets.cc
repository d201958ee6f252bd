// ResolveSecret: environment variables, secret files and literals.
#include "connectors/secrets.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/str_cat.h"

namespace catena::connectors {

absl::StatusOr<std::string> ResolveSecret(std::string_view ref) {
  absl::string_view r(ref.data(), ref.size());
  if (absl::ConsumePrefix(&r, "env:")) {
    std::string name(r);
    if (name.empty()) return absl::InvalidArgumentError("secret 'env:': the variable name is empty");
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return absl::NotFoundError(absl::StrCat("secret 'env:", name, "': environment variable ", name, " is not set"));
    }
    if (*value == '\0') {
      return absl::FailedPreconditionError(
          absl::StrCat("secret 'env:", name, "': environment variable ", name, " is empty"));
    }
    return std::string(value);
  }
  if (absl::ConsumePrefix(&r, "file:")) {
    std::string path(r);
    std::ifstream in(path, std::ios::binary);
    if (path.empty() || !in) {
      return absl::NotFoundError(absl::StrCat("secret 'file:", path, "': cannot read the file"));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    std::string value(absl::StripAsciiWhitespace(contents.str()));
    if (value.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("secret 'file:", path, "': the file is empty"));
    }
    return value;
  }
  if (absl::ConsumePrefix(&r, "literal:")) return std::string(r);
  return std::string(r);
}

absl::StatusOr<Secret> Secret::FromRef(std::string_view ref) {
  absl::StatusOr<std::string> value = ResolveSecret(ref);
  if (!value.ok()) return value.status();
  return Secret(std::move(*value));
}

}  // namespace catena::connectors
