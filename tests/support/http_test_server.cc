// HttpTestServer over POSIX sockets: poll-based accept loop, blocking per-connection threads, requests parsed
// with Content-Length bodies (and chunked request bodies), responses written exactly as the script says.
#include "tests/support/http_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <stdexcept>

namespace catena::testing {
namespace {

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t");
  size_t e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

bool SendAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads more bytes into `buffer`; false on EOF or error.
bool ReadMore(int fd, std::string& buffer) {
  char tmp[16384];
  ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
  if (n <= 0) return false;
  buffer.append(tmp, static_cast<size_t>(n));
  return true;
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

// Decodes a chunked request body at the front of `buffer` once complete; nullopt while more bytes are needed.
std::optional<std::string> TakeChunkedBody(std::string& buffer) {
  std::string body;
  size_t pos = 0;
  while (true) {
    size_t eol = buffer.find("\r\n", pos);
    if (eol == std::string::npos) return std::nullopt;
    size_t size = std::strtoul(buffer.substr(pos, eol - pos).c_str(), nullptr, 16);
    if (size == 0) {
      size_t end = buffer.find("\r\n\r\n", eol);
      if (end == std::string::npos) return std::nullopt;
      buffer.erase(0, end + 4);
      return body;
    }
    if (buffer.size() < eol + 2 + size + 2) return std::nullopt;
    body.append(buffer, eol + 2, size);
    pos = eol + 2 + size + 2;
  }
}

// Parses one request from `fd` (with leftover bytes in `buffer`); false when the connection ended.
bool ReadRequest(int fd, std::string& buffer, RecordedRequest& request) {
  size_t header_end;
  while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!ReadMore(fd, buffer)) return false;
  }
  std::string head = buffer.substr(0, header_end);
  buffer.erase(0, header_end + 4);
  size_t line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  size_t sp1 = request_line.find(' ');
  size_t sp2 = request_line.find(' ', sp1 + 1);
  request.method = request_line.substr(0, sp1);
  request.path = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos) end = head.size();
    std::string line = head.substr(pos, end - pos);
    size_t colon = line.find(':');
    if (colon != std::string::npos) request.headers.emplace_back(Lower(line.substr(0, colon)), Trim(line.substr(colon + 1)));
    pos = end + 2;
  }
  if (Lower(request.Header("transfer-encoding")) == "chunked") {
    std::optional<std::string> body;
    while (!(body = TakeChunkedBody(buffer))) {
      if (!ReadMore(fd, buffer)) return false;
    }
    request.body = std::move(*body);
    return true;
  }
  size_t length = std::strtoul(request.Header("content-length").c_str(), nullptr, 10);
  while (buffer.size() < length) {
    if (!ReadMore(fd, buffer)) return false;
  }
  request.body = buffer.substr(0, length);
  buffer.erase(0, length);
  return true;
}

std::string Head(const TestResponse& r, bool chunked, size_t length) {
  std::string head = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  for (const auto& [name, value] : r.headers) head += name + ": " + value + "\r\n";
  head += chunked ? "Transfer-Encoding: chunked\r\n" : "Content-Length: " + std::to_string(length) + "\r\n";
  if (r.close_connection) head += "Connection: close\r\n";
  return head + "\r\n";
}

std::string Chunk(std::string_view data) {
  char size[32];
  std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

}  // namespace

std::string RecordedRequest::Header(std::string_view name) const {
  std::string wanted = Lower(std::string(name));
  for (const auto& [key, value] : headers) {
    if (key == wanted) return value;
  }
  return "";
}

TestResponse TestResponse::Json(int status, std::string json) {
  TestResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "application/json"}};
  r.body = std::move(json);
  return r;
}

TestResponse TestResponse::Text(int status, std::string text) {
  TestResponse r;
  r.status = status;
  r.headers = {{"Content-Type", "text/plain"}};
  r.body = std::move(text);
  return r;
}

TestResponse TestResponse::Sse(const std::vector<std::string>& payloads, std::chrono::milliseconds gap) {
  TestResponse r;
  r.headers = {{"Content-Type", "text/event-stream"}, {"Cache-Control", "no-cache"}};
  r.chunked = true;
  for (size_t i = 0; i < payloads.size(); ++i) {
    r.chunks.push_back({i == 0 ? std::chrono::milliseconds(0) : gap, "data: " + payloads[i] + "\n\n"});
  }
  return r;
}

HttpTestServer::HttpTestServer(TestHandler handler) : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 64) != 0) {
    throw std::runtime_error("HttpTestServer: cannot bind 127.0.0.1:0");
  }
  socklen_t len = sizeof(addr);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { AcceptLoop(); });
}

HttpTestServer::~HttpTestServer() { Stop(); }

TestHandler HttpTestServer::Sequence(std::vector<TestResponse> responses) {
  auto next = std::make_shared<std::atomic<size_t>>(0);
  auto script = std::make_shared<std::vector<TestResponse>>(std::move(responses));
  return [next, script](const RecordedRequest&) {
    size_t i = next->fetch_add(1);
    return (*script)[std::min(i, script->size() - 1)];
  };
}

std::string HttpTestServer::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

std::vector<RecordedRequest> HttpTestServer::requests() const {
  std::lock_guard<std::mutex> lock(mu_);
  return requests_;
}

void HttpTestServer::Stop() {
  if (stopping_.exchange(true)) return;
  stop_cv_.notify_all();
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  std::vector<std::thread> threads;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
    threads.swap(connection_threads_);
  }
  for (std::thread& t : threads) t.join();
}

void HttpTestServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 20) <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    int connection = ++accepted_;
    std::lock_guard<std::mutex> lock(mu_);
    open_fds_.insert(fd);
    connection_threads_.emplace_back([this, fd, connection] { Serve(fd, connection); });
  }
}

bool HttpTestServer::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mu_);
  return !stop_cv_.wait_for(lock, d, [this] { return stopping_.load(); });
}

void HttpTestServer::Serve(int fd, int connection) {
  std::string buffer;
  while (!stopping_.load()) {
    RecordedRequest request;
    if (!ReadRequest(fd, buffer, request)) break;
    request.connection = connection;
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    TestResponse response = handler_(request);
    if (!Respond(fd, response) || response.close_connection) break;
  }
  std::lock_guard<std::mutex> lock(mu_);
  open_fds_.erase(fd);
  ::close(fd);
}

bool HttpTestServer::Respond(int fd, const TestResponse& r) {
  if (r.delay_before_headers.count() > 0 && !SleepUnlessStopped(r.delay_before_headers)) return false;
  if (r.chunked) return SendChunked(fd, r);
  size_t declared = r.content_length.value_or(r.body.size());
  if (!SendAll(fd, Head(r, false, declared)) || !SendAll(fd, r.body)) return false;
  return declared <= r.body.size();  // a truncated body ends the connection
}

bool HttpTestServer::SendChunked(int fd, const TestResponse& r) {
  if (!SendAll(fd, Head(r, true, 0))) return false;
  for (const TestChunk& chunk : r.chunks) {
    if (chunk.delay.count() > 0 && !SleepUnlessStopped(chunk.delay)) return false;
    if (!SendAll(fd, Chunk(chunk.data))) return false;
  }
  if (r.repeat_last_chunk_every.count() > 0 && !r.chunks.empty()) {
    while (SleepUnlessStopped(r.repeat_last_chunk_every)) {
      if (!SendAll(fd, Chunk(r.chunks.back().data))) return false;
    }
    return false;
  }
  if (!r.finish_stream) {
    while (SleepUnlessStopped(std::chrono::milliseconds(50))) {
      pollfd pfd{fd, POLLIN, 0};  // the client closing its end ends the wait
      if (::poll(&pfd, 1, 0) > 0) {
        char c;
        if (::recv(fd, &c, 1, MSG_PEEK) <= 0) return false;
      }
    }
    return false;
  }
  return SendAll(fd, "0\r\n\r\n");
}

}  // namespace catena::testing
