#include "connectors/secrets.h"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace catena::connectors {
namespace {

TEST_CASE("env secret refs read the environment and name a missing variable", "[unit]") {
  REQUIRE(setenv("CATENA_SECRETS_TEST_KEY", "sk-test-123", 1) == 0);
  auto value = ResolveSecret("env:CATENA_SECRETS_TEST_KEY");
  REQUIRE(value.ok());
  CHECK(*value == "sk-test-123");
  unsetenv("CATENA_SECRETS_TEST_KEY");
  auto missing = ResolveSecret("env:CATENA_SECRETS_TEST_KEY");
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("CATENA_SECRETS_TEST_KEY is not set") != std::string::npos);
  REQUIRE(setenv("CATENA_SECRETS_TEST_EMPTY", "", 1) == 0);
  CHECK(ResolveSecret("env:CATENA_SECRETS_TEST_EMPTY").status().code() == absl::StatusCode::kFailedPrecondition);
  unsetenv("CATENA_SECRETS_TEST_EMPTY");
}

TEST_CASE("file secret refs are read and trimmed, and errors never show the value", "[unit]") {
  testing::TempDir dir("catena-secrets");
  auto path = dir.Write("key.txt", "  sk-from-file\n\n");
  auto value = ResolveSecret("file:" + path.string());
  REQUIRE(value.ok());
  CHECK(*value == "sk-from-file");

  auto missing = ResolveSecret("file:" + (dir.path() / "nope").string());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(std::string(missing.status().message()).find("nope") != std::string::npos);

  auto blank = dir.Write("blank.txt", " \n");
  CHECK(ResolveSecret("file:" + blank.string()).status().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("other secret refs are literals, with literal: as an escape", "[unit]") {
  CHECK(*ResolveSecret("sk-literal") == "sk-literal");
  CHECK(*ResolveSecret("literal:env:NOT_A_REF") == "env:NOT_A_REF");
}

TEST_CASE("a secret prints as stars through streams and StrCat", "[unit]") {
  Secret secret("sk-very-secret");
  std::ostringstream os;
  os << secret;
  CHECK(os.str() == "***");
  CHECK(secret.Reveal() == "sk-very-secret");
  CHECK_FALSE(secret.empty());
  auto from_ref = Secret::FromRef("literal:abc");
  REQUIRE(from_ref.ok());
  CHECK(from_ref->Reveal() == "abc");
}

}  // namespace
}  // namespace catena::connectors
