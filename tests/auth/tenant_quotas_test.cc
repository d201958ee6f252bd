#include "auth/tenant_quotas.h"

#include <catch2/catch.hpp>
#include <vector>

namespace catena::auth {
namespace {

TEST_CASE("the rate limit allows a burst, then refills at the configured rate", "[unit]") {
  absl::Time now = absl::FromUnixSeconds(1000);
  TenantQuotas quotas({.defaults = {.requests_per_second = 2, .burst = 3}, .clock = [&now] { return now; }});
  for (int i = 0; i < 3; ++i) CHECK(quotas.Admit("acme").ok());
  auto refused = quotas.Admit("acme");
  REQUIRE(refused.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(refused.status().message()),
             Catch::Contains("tenant 'acme'") && Catch::Contains("2 requests/s"));
  CHECK(RetryAfterSeconds(refused.status()) == 1);
  // Another tenant has its own bucket.
  CHECK(quotas.Admit("globex").ok());
  now += absl::Milliseconds(500);  // one token back at 2/s
  CHECK(quotas.Admit("acme").ok());
  CHECK_FALSE(quotas.Admit("acme").ok());
}

TEST_CASE("the concurrency limit counts calls in flight until their slots are released", "[unit]") {
  TenantQuotas quotas({.defaults = {.max_in_flight = 2}});
  auto first = quotas.Admit("acme");
  auto second = quotas.Admit("acme");
  REQUIRE((first.ok() && second.ok()));
  CHECK(*first != nullptr);
  auto third = quotas.Admit("acme");
  REQUIRE(third.status().code() == absl::StatusCode::kResourceExhausted);
  CHECK_THAT(std::string(third.status().message()), Catch::Contains("concurrency limit of 2"));
  first->reset();
  CHECK(quotas.Admit("acme").ok());
}

TEST_CASE("per-tenant overrides replace the defaults for that tenant only", "[unit]") {
  auto parsed = ParseTenantQuota("big:requests_per_second=100,max_in_flight=50", {.requests_per_second = 1});
  REQUIRE(parsed.ok());
  CHECK(parsed->first == "big");
  CHECK(parsed->second.requests_per_second == 100);
  CHECK(parsed->second.max_in_flight == 50);
  CHECK(ParseTenantQuota("nocolon", {}).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(ParseTenantQuota("t:speed=3", {}).status().message()), Catch::Contains("speed"));
  CHECK(ParseTenantQuota("t:burst=-1", {}).status().code() == absl::StatusCode::kInvalidArgument);

  absl::Time now = absl::FromUnixSeconds(1000);
  TenantQuotas quotas({.defaults = {.requests_per_second = 1},
                       .tenants = {{parsed->first, parsed->second}},
                       .clock = [&now] { return now; }});
  CHECK(quotas.enabled());
  CHECK(quotas.Admit("small").ok());
  CHECK_FALSE(quotas.Admit("small").ok());
  for (int i = 0; i < 20; ++i) CHECK(quotas.Admit("big").ok());
}

TEST_CASE("no configured limit admits everything", "[unit]") {
  TenantQuotas quotas({});
  CHECK_FALSE(quotas.enabled());
  std::vector<std::shared_ptr<void>> slots;
  for (int i = 0; i < 1000; ++i) slots.push_back(*quotas.Admit("acme"));
}

}  // namespace
}  // namespace catena::auth
