// HttpTestServer: a real HTTP/1.1 server on 127.0.0.1 (port 0) for tests of HTTP clients (connectors, HTTP tools,
// MCP over HTTP, the gateway's clients). A handler scripts each response: normal, chunked streaming with delays,
// truncated bodies, slow headers, never-ending streams, any status and headers. Every request is recorded.
// One thread accepts, one thread per connection serves (keep-alive); Stop()/the destructor ends them all, also
// streams that would never end. Handlers run on connection threads and may be called concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace catena::testing {

// A request as the server received it. Header names are lowercased.
struct RecordedRequest {
  std::string method;
  std::string path;  // the request target, with its query string
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int connection = 0;  // 1-based number of the connection it arrived on
  // The first header called `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
};

// One piece of a chunked body, sent after `delay`.
struct TestChunk {
  std::chrono::milliseconds delay{0};
  std::string data;
};

// How the server answers one request.
struct TestResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Retry-After", "1"}
  std::string body;                                          // sent with Content-Length unless chunked
  std::chrono::milliseconds delay_before_headers{0};          // a slow server
  bool chunked = false;          // send `chunks` with Transfer-Encoding: chunked (body is ignored)
  std::vector<TestChunk> chunks;
  bool finish_stream = true;     // chunked: false -> after the chunks send nothing more, keep the connection open
  std::chrono::milliseconds repeat_last_chunk_every{0};  // chunked: > 0 -> resend the last chunk forever
  std::optional<size_t> content_length;  // declared length (default body.size()); larger -> body, then close
  bool close_connection = false;         // Connection: close, and close after the response

  // A JSON body with Content-Type application/json.
  static TestResponse Json(int status, std::string json);
  // A text/plain body.
  static TestResponse Text(int status, std::string text);
  // A text/event-stream of `data: <payload>` events, one chunk each, `gap` apart.
  static TestResponse Sse(const std::vector<std::string>& payloads, std::chrono::milliseconds gap = {});
};

using TestHandler = std::function<TestResponse(const RecordedRequest&)>;

class HttpTestServer {
 public:
  // Binds 127.0.0.1:0 and starts serving with `handler`.
  explicit HttpTestServer(TestHandler handler);
  // Stops the server.
  ~HttpTestServer();
  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  // A handler answering with `responses` in order, repeating the last one afterwards.
  static TestHandler Sequence(std::vector<TestResponse> responses);

  int port() const { return port_; }
  // "http://127.0.0.1:<port>".
  std::string url() const;
  // Every request received so far, in arrival order.
  std::vector<RecordedRequest> requests() const;
  // Number of TCP connections accepted so far.
  int connections_accepted() const { return accepted_.load(); }
  // Closes the listener and every connection (ending endless streams) and joins the threads. Idempotent.
  void Stop();

 private:
  void AcceptLoop();
  void Serve(int fd, int connection);
  bool Respond(int fd, const TestResponse& response);
  bool SendChunked(int fd, const TestResponse& response);
  // Sleeps for `d` unless Stop begins; false when stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds d);

  TestHandler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  std::vector<RecordedRequest> requests_;
  std::vector<std::thread> connection_threads_;
  std::set<int> open_fds_;
};

}  // namespace catena::testing
