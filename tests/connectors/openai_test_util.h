// Shared helpers for the OpenAI-compatible client tests: client options pointing at an HttpTestServer with a
// recognizable API key, short timeouts and fast retries, canned replies and a stopwatch. Test-only.
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "connectors/openai_common.h"
#include "tests/support/http_test_server.h"

namespace catena::connectors::testutil {

// The key every test client sends; no Status message may contain it.
inline constexpr const char* kApiKey = "sk-test-Zq81SECRETkey";

// Options for `server`'s /v1 with kApiKey, 2 s timeouts and 3 attempts with 10 ms backoff (no jitter).
inline OpenAiClientOptions TestOptions(const catena::testing::HttpTestServer& server) {
  OpenAiClientOptions options;
  options.base_url = server.url() + "/v1/";
  options.api_key_ref = std::string("literal:") + kApiKey;
  options.connect_timeout = absl::Seconds(2);
  options.timeout = absl::Seconds(2);
  options.idle_timeout = absl::Seconds(2);
  options.retry = {.max_attempts = 3, .initial_backoff = absl::Milliseconds(10), .max_backoff = absl::Seconds(5),
                   .multiplier = 2.0, .jitter = false};
  options.breaker = {.failure_threshold = 100, .open_duration = absl::Seconds(30)};
  return options;
}

// An OpenAI error body with `message`.
inline std::string ErrorJson(const std::string& message, const std::string& type = "invalid_request_error") {
  return nlohmann::json{{"error", {{"message", message}, {"type", type}, {"code", nullptr}}}}.dump();
}

// Seconds elapsed since `start`.
inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// True when `text` does not contain the test API key (or its distinctive middle part).
inline bool KeyAbsent(const std::string& text) {
  return text.find(kApiKey) == std::string::npos && text.find("Zq81SECRET") == std::string::npos;
}

}  // namespace catena::connectors::testutil
