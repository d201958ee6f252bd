// OpenAiTransport: what the OpenAI-compatible clients (chat completions, embeddings) share: base URL and API key
// (resolved from a secret reference, sent as `Authorization: Bearer`, never logged or put into messages), timeouts,
// retries with backoff and a circuit breaker per client, and OpenAI error JSON -> absl::Status mapping.
// Thread-safe; one transport per configured remote endpoint.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "connectors/circuit_breaker.h"
#include "connectors/http_client.h"
#include "connectors/retry.h"
#include "connectors/secrets.h"

namespace catena::connectors {

struct OpenAiClientOptions {
  std::string base_url;     // e.g. "https://api.openai.com/v1" or "http://127.0.0.1:8000/v1" (no trailing path)
  std::string api_key_ref;  // secret reference (connectors/secrets.h); "" = no Authorization header
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(120);     // per attempt, also bounded by the request's deadline
  absl::Duration idle_timeout = absl::Seconds(60);
  size_t max_response_bytes = 32 << 20;
  RetryPolicy retry;
  CircuitBreakerOptions breaker;
  std::vector<std::pair<std::string, std::string>> extra_headers;  // e.g. OpenAI-Organization
  std::shared_ptr<HttpClient> http;  // shared connection pool; null = a client of its own
};

class OpenAiTransport {
 public:
  // Resolves the API key (errors name the reference, never the value) and validates base_url.
  static absl::StatusOr<std::shared_ptr<OpenAiTransport>> Create(OpenAiClientOptions options);

  // POSTs `json` to base_url + path with retries; a non-2xx final reply becomes an error (MapHttpError).
  absl::StatusOr<HttpResponse> PostJson(std::string_view path, const std::string& json, absl::Time deadline,
                                        const std::atomic<bool>* cancel = nullptr);
  // Like PostJson but streams a 2xx body to on_data. on_attempt runs before each attempt (reset parsers there);
  // a failed attempt is retried only while `committed()` is false (the caller decides when tokens were delivered).
  absl::StatusOr<HttpResponse> PostStream(std::string_view path, const std::string& json, absl::Time deadline,
                                          const std::function<bool(std::string_view)>& on_data,
                                          const std::function<void()>& on_attempt,
                                          const std::function<bool()>& committed,
                                          const std::atomic<bool>* cancel = nullptr);

  // A Status for a non-2xx reply: the server's error.message when the body is OpenAI error JSON (else a snippet),
  // code by status (400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 NOT_FOUND,
  // 429 RESOURCE_EXHAUSTED, 408/5xx UNAVAILABLE, others UNKNOWN). The API key never appears in it.
  absl::Status MapHttpError(const HttpResponse& response, std::string_view what) const;
  // `text` with every occurrence of the API key replaced by "***".
  std::string Redact(std::string_view text) const;
  // `status` with its message redacted (OK stays OK).
  absl::Status Redact(const absl::Status& status) const;
  // `result`, or its status redacted.
  template <typename T>
  absl::StatusOr<T> Redact(absl::StatusOr<T> result) const {
    if (result.ok()) return result;
    return Redact(result.status());
  }

  const std::string& base_url() const { return options_.base_url; }
  CircuitBreaker& breaker() { return breaker_; }
  void set_retry_env(RetryEnv env) { retry_env_ = std::move(env); }  // tests: fake sleeps

 private:
  OpenAiTransport(OpenAiClientOptions options, Secret key);
  absl::StatusOr<HttpRequest> BuildRequest(std::string_view path, const std::string& json, absl::Time deadline,
                                           const std::atomic<bool>* cancel) const;

  OpenAiClientOptions options_;
  Secret key_;
  CircuitBreaker breaker_;
  RetryEnv retry_env_;
};

// The host[:port] of `url` ("" when it has none), used to name circuit breakers.
std::string UrlHost(std::string_view url);

}  // namespace catena::connectors
