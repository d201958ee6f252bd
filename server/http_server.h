// HttpServer: a small HTTP/1.1 server on Boost.Beast for catenad's operational routes (/healthz, /readyz,
// /metrics) and, later, the OpenAI-compatible gateway. Runs its own I/O threads; the handler is called on
// them and must be thread-safe. Boost headers stay in http_server.cc.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"

namespace catena::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // path and query, e.g. "/metrics?x=1"
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 1;
  size_t max_body_bytes = 1 << 20;
};

class HttpServer {
 public:
  // Starts listening; UNAVAILABLE naming the address and reason when the port cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, HttpHandler handler);
  ~HttpServer();

  // The port actually bound.
  int port() const;

  // Stops accepting, closes connections and joins the I/O threads. Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace catena::server
