#include "auth/api_key.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "auth/authenticator.h"
#include "auth/key_store.h"
#include "auth/key_verifier.h"
#include "tests/support/temp_dir.h"

namespace catena::auth {
namespace {

namespace fs = std::filesystem;

TEST_CASE("generated API keys are prefixed, 46 characters of base64url and never repeat", "[unit]") {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto key = GenerateApiKey();
    REQUIRE(key.ok());
    CHECK(key->rfind("ck_", 0) == 0);
    CHECK(key->size() == 46);
    CHECK(key->find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 3) ==
          std::string::npos);
    seen.insert(*key);
  }
  CHECK(seen.size() == 100);
}

TEST_CASE("API keys hash to the SHA-256 of their bytes", "[unit]") {
  // Known answer: SHA-256("abc").
  CHECK(HashApiKey("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HashApiKey("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("constant-time comparison agrees with ordinary equality", "[unit]") {
  CHECK(ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(ConstantTimeEquals("abc", "ab"));
  CHECK(ConstantTimeEquals("", ""));
}

TEST_CASE("bearer tokens are read from the authorization header and anything else is unauthenticated", "[unit]") {
  CHECK(*BearerToken("Bearer ck_x") == "ck_x");
  CHECK(*BearerToken("bearer  ck_y ") == "ck_y");
  CHECK(BearerToken("").status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(BearerToken("Basic dXNlcg==").status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(BearerToken("Bearer   ").status().code() == absl::StatusCode::kUnauthenticated);
}

TEST_CASE("the key file stores hashes, never secrets, and survives a round trip", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "auth" / "keys.json";
  const absl::Time now = absl::FromUnixSeconds(1'800'000'000);
  auto created = CreateKey(file, "acme", absl::InfiniteFuture(), now);
  REQUIRE(created.ok());
  std::ifstream in(file);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  CHECK(text.find(created->secret) == std::string::npos);
  CHECK(text.find(HashApiKey(created->secret)) != std::string::npos);
  CHECK((fs::status(file).permissions() & fs::perms::others_read) == fs::perms::none);

  auto records = ReadKeyFile(file);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0].id == created->record.id);
  CHECK((*records)[0].tenant == "acme");
  CHECK((*records)[0].created == now);
  CHECK((*records)[0].expires == absl::InfiniteFuture());
  CHECK_FALSE((*records)[0].revoked);
}

TEST_CASE("revoking and rotating keys changes the file and refuses unknown ids", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "keys.json";
  const absl::Time now = absl::Now();
  auto first = CreateKey(file, "acme", now + absl::Hours(1), now);
  REQUIRE(first.ok());
  auto rotated = RotateKey(file, first->record.id, now);
  REQUIRE(rotated.ok());
  CHECK(rotated->record.tenant == "acme");
  CHECK(rotated->record.expires == first->record.expires);
  CHECK(rotated->secret != first->secret);
  CHECK(RotateKey(file, first->record.id, now).status().code() == absl::StatusCode::kFailedPrecondition);
  CHECK(RevokeKey(file, "key_nope").status().code() == absl::StatusCode::kNotFound);
  REQUIRE(RevokeKey(file, rotated->record.id).ok());
  auto records = ReadKeyFile(file);
  REQUIRE(records.ok());
  REQUIRE(records->size() == 2);
  CHECK((*records)[0].revoked);
  CHECK((*records)[1].revoked);
}

TEST_CASE("creating a key refuses a bad tenant id and a past expiry", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "keys.json";
  const absl::Time now = absl::Now();
  CHECK(CreateKey(file, "bad tenant", absl::InfiniteFuture(), now).status().code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK(CreateKey(file, "acme", now - absl::Seconds(1), now).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("a malformed key file is reported with the record and field", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "keys.json";
  std::ofstream(file) << R"({"version": 1, "keys": [{"id": "k1", "tenant": "acme", "sha256": "short"}]})";
  auto records = ReadKeyFile(file);
  REQUIRE(records.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(records.status().message()), Catch::Contains("keys[0].sha256"));
  std::ofstream(file) << "not json";
  CHECK(ReadKeyFile(file).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("the verifier maps keys to tenants and sees revocations and expiry without a restart", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "keys.json";
  absl::Time now = absl::Now();
  auto acme = CreateKey(file, "acme", absl::InfiniteFuture(), now);
  auto brief = CreateKey(file, "globex", now + absl::Minutes(5), now);
  REQUIRE((acme.ok() && brief.ok()));
  auto verifier =
      ApiKeyVerifier::Create({.keys_file = file, .recheck = absl::ZeroDuration(), .clock = [&now] { return now; }});
  REQUIRE(verifier.ok());
  CHECK(*(*verifier)->Verify(acme->secret) == "acme");
  CHECK(*(*verifier)->Verify(brief->secret) == "globex");
  CHECK((*verifier)->Verify("ck_unknown").status().code() == absl::StatusCode::kUnauthenticated);

  REQUIRE(RevokeKey(file, acme->record.id).ok());
  auto revoked = (*verifier)->Verify(acme->secret);
  CHECK(revoked.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK_THAT(std::string(revoked.status().message()), Catch::Contains("revoked"));

  now += absl::Minutes(6);
  auto expired = (*verifier)->Verify(brief->secret);
  CHECK_THAT(std::string(expired.status().message()), Catch::Contains("expired"));
}

TEST_CASE("the authenticator takes the tenant from the key and refuses another claimed tenant", "[unit]") {
  const fs::path file = testing::ProcessTempDir("keys") / "keys.json";
  auto acme = CreateKey(file, "acme", absl::InfiniteFuture(), absl::Now());
  REQUIRE(acme.ok());
  auto authenticator = Authenticator::Create({.enabled = true, .keys_file = file});
  REQUIRE(authenticator.ok());
  const std::string bearer = "Bearer " + acme->secret;
  CHECK((*authenticator)->Admit(bearer, "")->tenant == "acme");
  CHECK((*authenticator)->Admit(bearer, "acme")->tenant == "acme");
  CHECK((*authenticator)->Admit(bearer, "globex").status().code() == absl::StatusCode::kPermissionDenied);
  CHECK((*authenticator)->Admit("", "acme").status().code() == absl::StatusCode::kUnauthenticated);
  CHECK((*authenticator)->Admit("Bearer ck_wrong", "").status().code() == absl::StatusCode::kUnauthenticated);
  // In-process calls of the server itself act for the tenant they name.
  CHECK((*authenticator)->Admit((*authenticator)->internal_authorization(), "globex")->tenant == "globex");
}

TEST_CASE("without auth the authenticator admits the claimed tenant", "[unit]") {
  auto authenticator = Authenticator::Create({});
  REQUIRE(authenticator.ok());
  CHECK((*authenticator)->Admit("", "")->tenant == "default");
  CHECK((*authenticator)->Admit("", "team-a")->tenant == "team-a");
  CHECK((*authenticator)->Admit("", "bad tenant").status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace catena::auth
