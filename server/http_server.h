// HttpServer: a small HTTP/1.1 server on Boost.Beast for catenad's operational routes (/healthz, /readyz,
// /metrics) and the OpenAI-compatible gateway. Runs its own I/O threads. A handler gets each request with an
// HttpResponder it may keep and answer later from any thread, whole (Send) or streamed (StartStream, Write,
// Finish: chunked, flushed per Write), and learns through OnClientGone when the client disconnects, so no thread
// waits for a slow answer. Serves HTTPS (optionally with client certificates) when options.tls says so. Handlers
// must be thread-safe and quick. Boost headers stay in http_server.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::server {

struct HttpRequest {
  std::string method;                                        // "GET", "POST", ...
  std::string target;                                        // path and query, e.g. "/metrics?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased, in arrival order
  std::string body;

  // The first header named `name` (case-insensitive); "" when absent.
  std::string Header(std::string_view name) const;
  // The target without its query string.
  std::string Path() const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. {"allow", "POST"}
};

// The answer to one request. Either Send once, or StartStream, any number of Write, then Finish. Calls after the
// answer is complete, or after the client went away, are ignored. Thread-safe. Dropping the last reference
// without answering sends 500.
class HttpResponder {
 public:
  virtual ~HttpResponder() = default;
  // Sends a whole response.
  virtual void Send(HttpResponse response) = 0;
  // Sends the status line and headers of a streamed response (chunked for HTTP/1.1, close-delimited for 1.0).
  virtual void StartStream(int status, std::string content_type,
                           std::vector<std::pair<std::string, std::string>> headers = {}) = 0;
  // Queues `data` as the next piece of a streamed response; it is flushed to the socket without waiting for more.
  virtual void Write(std::string data) = 0;
  // Ends a streamed response.
  virtual void Finish() = 0;
  // Runs `callback` once if the client disconnects (or the server stops) before the answer is complete; at once
  // when that already happened. Runs on an I/O thread: it must only signal (e.g. cancel work), never block.
  virtual void OnClientGone(std::function<void()> callback) = 0;
  // Whether the client is known to be gone.
  virtual bool client_gone() const = 0;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using AsyncHttpHandler = std::function<void(HttpRequest request, std::shared_ptr<HttpResponder> responder)>;
// Renders an error the server detects itself (413 for a body over the limit, 400 for malformed HTTP); `request`
// has the method, target and headers when they could be read.
using HttpErrorRenderer = std::function<HttpResponse(const HttpRequest& request, int status, std::string message)>;

// HTTPS: set cert_file to serve TLS; client_ca_file asks clients for a certificate (mutual TLS).
struct HttpTlsOptions {
  std::string cert_file;       // PEM certificate chain; empty = plaintext
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // PEM CAs of client certificates; empty = none asked for
  bool require_client_cert = false;
};

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;
  size_t max_body_bytes = 1 << 20;
  HttpErrorRenderer render_error;  // empty = plain text
  HttpTlsOptions tls;
};

class HttpServer {
 public:
  // Starts listening; UNAVAILABLE naming the address and reason when the port cannot be bound, INVALID_ARGUMENT
  // naming the file when a TLS file cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, HttpHandler handler);
  // Same, with a handler that answers through an HttpResponder (possibly later, possibly streamed).
  static absl::StatusOr<std::unique_ptr<HttpServer>> StartAsync(const HttpServerOptions& options,
                                                                AsyncHttpHandler handler);
  ~HttpServer();

  // The port actually bound.
  int port() const;

  // Stops accepting, closes connections (their responders see the client gone) and joins the I/O threads.
  // Idempotent.
  void Stop();

  struct Impl;

 private:
  explicit HttpServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace catena::server
