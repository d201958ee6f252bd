// HttpClient: a libcurl HTTP/1.1 client with connection reuse (keep-alive) shared by every connector (OpenAI
// chat/embeddings, HTTP tools, MCP over HTTP). One client is thread-safe and may run many requests at once; the
// connections it keeps alive are shared among them. HTTP statuses are not errors here: only transport failures,
// timeouts, size limits and cancellation are (see HttpClient).
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace catena::connectors {

// One HTTP request. Header names are sent as given; a request with a body should set Content-Type.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  absl::Duration connect_timeout = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(60);       // whole exchange
  absl::Duration idle_timeout = absl::Seconds(30);  // no bytes received for this long -> DEADLINE_EXCEEDED
  size_t max_response_bytes = 16 << 20;             // more -> RESOURCE_EXHAUSTED naming the limit
  const std::atomic<bool>* cancel = nullptr;        // optional: set to true from any thread -> CANCELLED (<= 50 ms)
};

// A complete HTTP response (the final one after any 1xx interim responses).
struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;
  // The value of the first header called `name` (case-insensitive), or "" when absent.
  std::string Header(std::string_view name) const;
};

struct HttpClientOptions {
  size_t max_idle_connections = 16;  // connections kept alive for reuse (libcurl connection cache size)
  std::string user_agent = "catena-connectors/0.1";
  bool verify_tls = true;            // verify server certificates and host names on https
  std::string ca_file;               // PEM bundle replacing the system CA store; "" = system default
};

// Transport failures map to UNAVAILABLE (connect refused, reset, truncated body), DEADLINE_EXCEEDED (connect,
// total or idle timeout), RESOURCE_EXHAUSTED (response over max_response_bytes), INVALID_ARGUMENT (bad URL or
// method); HTTP statuses such as 404 or 500 are returned in HttpResponse::status, not as errors.
class HttpClient {
 public:
  // Creates a client; curl_global_init runs once per process on the first call.
  static std::shared_ptr<HttpClient> Create(HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Runs `request` to completion and returns the whole response.
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

  // Body delivered in chunks as it arrives; on_data returning false aborts with CANCELLED. Only the body of a
  // 2xx response is streamed: any other status collects its body into HttpResponse::body (for error messages)
  // and on_data is not called. max_response_bytes bounds the total streamed bytes too. The returned response
  // has the status and headers (and an empty body for 2xx).
  absl::StatusOr<HttpResponse> SendStreaming(const HttpRequest& request,
                                             const std::function<bool(std::string_view chunk)>& on_data);

  // Number of new TCP connections this client has opened so far (for tests and metrics of keep-alive reuse).
  size_t connections_opened() const;

 private:
  struct Impl;
  explicit HttpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace catena::connectors
