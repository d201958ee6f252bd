#include "server/http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <deque>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace catena::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);
// A write that makes no progress for this long means the client stopped reading: the connection is closed.
constexpr auto kWriteTimeout = std::chrono::seconds(60);
// While a request is being answered, bytes the client sends early (a pipelined request) are buffered up to this.
constexpr size_t kMaxEarlyBytes = 64 << 10;
// After a final answer on a connection that closes, unread request bytes are read and dropped for up to this long
// (and this many bytes), so that closing does not reset the connection before the client read the answer.
constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 8 << 20;

// What the server needs of a session of either kind (plaintext or TLS).
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  virtual void Start() = 0;
  // Stop: closes the socket on the strand (pending operations end; the responder sees the client gone).
  virtual void ShutdownFromServer() = 0;
};

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace

// What sessions share with the server: the io_context (kept alive by every session, so a responder held past
// Stop never touches a destroyed one) and the live sessions, closed by Stop.
struct HttpServer::Impl {
  HttpServerOptions options;
  AsyncHttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::mutex mutex;
  bool stopping = false;
  std::vector<std::weak_ptr<SessionBase>> sessions;
  int port = 0;
  std::optional<asio::ssl::context> tls;  // set when options.tls.cert_file is

  absl::Status Listen();
  absl::Status SetUpTls();
  void Accept(std::shared_ptr<Impl> self);
  void StopAndJoin();
};

namespace {

HttpResponse DefaultError(const HttpRequest&, int status, std::string message) {
  return {.status = status, .body = absl::StrCat(message, "\n")};
}

// One keep-alive connection: read a request, hand it to the handler with a responder, write the answer (whole or
// streamed), repeat. All members are touched on the session's strand only, except `gone_mutex_` state.
// `Stream` is beast::tcp_stream (plaintext) or TlsStream (TLS: a handshake first; socket-level operations such
// as half-close and cancel act on the TCP layer underneath).
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... TlsContext>
  Session(std::shared_ptr<HttpServer::Impl> server, tcp::socket socket, TlsContext&... tls)
      : server_(std::move(server)), stream_(std::move(socket), tls...) {}

  void Start() override;

  // From any thread: runs `task` on the strand unless the server is stopping.
  template <typename Task>
  void Post(Task task) {
    std::lock_guard lock(server_->mutex);
    if (server_->stopping) return;
    asio::post(stream_.get_executor(), std::move(task));
  }
  void ShutdownFromServer() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->ClientGone(); });
  }

  // Responder operations, on the strand.
  void DoSend(HttpResponse answer);
  void DoStartStream(int status, const std::string& content_type,
                     const std::vector<std::pair<std::string, std::string>>& headers);
  void DoWrite(std::string data);
  void DoFinish();
  void DoAbandon();

  void SetGoneCallback(std::function<void()> callback) {
    std::unique_lock lock(gone_mutex_);
    if (!gone_) {
      gone_callback_ = std::move(callback);
      return;
    }
    lock.unlock();
    if (callback) callback();
  }
  bool gone() const {
    std::lock_guard lock(gone_mutex_);
    return gone_;
  }

 private:
  enum class State { kReading, kHandling, kStreaming, kDone };

  void ReadRequest();
  void OnHeader(beast::error_code ec);
  void ReadBody();
  void OnBody(beast::error_code ec);
  void Dispatch();
  void WatchClient();
  void OnWatch(beast::error_code ec, size_t bytes);
  void ReplyError(int status, std::string message);
  void WriteQueued();
  void Complete();
  void Linger();
  void ClientGone();
  HttpRequest HeadOnly() const;
  // The TCP layer under the stream.
  beast::tcp_stream& tcp() { return beast::get_lowest_layer(stream_); }

  // Declared first: the io_context outlives the socket.
  std::shared_ptr<HttpServer::Impl> server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  State state_ = State::kReading;
  bool keep_alive_ = false;
  bool head_ = false;
  bool http10_ = false;
  bool chunked_ = false;
  bool watching_ = false;
  bool writing_ = false;
  bool finishing_ = false;
  bool answered_ = false;
  std::deque<std::string> queue_;
  size_t lingered_ = 0;
  mutable std::mutex gone_mutex_;
  bool gone_ = false;
  std::function<void()> gone_callback_;
};

template <typename Stream>
class SessionResponder final : public HttpResponder {
 public:
  explicit SessionResponder(std::shared_ptr<Session<Stream>> session) : session_(std::move(session)) {}
  ~SessionResponder() override {
    session_->Post([session = session_] { session->DoAbandon(); });
  }
  void Send(HttpResponse response) override {
    session_->Post(
        [session = session_, response = std::move(response)]() mutable { session->DoSend(std::move(response)); });
  }
  void StartStream(int status, std::string content_type,
                   std::vector<std::pair<std::string, std::string>> headers) override {
    session_->Post([session = session_, status, type = std::move(content_type), headers = std::move(headers)] {
      session->DoStartStream(status, type, headers);
    });
  }
  void Write(std::string data) override {
    if (data.empty()) return;
    session_->Post([session = session_, data = std::move(data)]() mutable { session->DoWrite(std::move(data)); });
  }
  void Finish() override {
    session_->Post([session = session_] { session->DoFinish(); });
  }
  void OnClientGone(std::function<void()> callback) override { session_->SetGoneCallback(std::move(callback)); }
  bool client_gone() const override { return session_->gone(); }

 private:
  std::shared_ptr<Session<Stream>> session_;
};

template <typename Stream>
void Session<Stream>::Start() {
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    tcp().expires_after(kIdleTimeout);
    stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->ClientGone();
      self->ReadRequest();
    });
  } else {
    ReadRequest();
  }
}

template <typename Stream>
void Session<Stream>::ReadRequest() {
  state_ = State::kReading;
  answered_ = writing_ = finishing_ = chunked_ = false;
  queue_.clear();
  parser_.emplace();
  parser_->body_limit(server_->options.max_body_bytes);
  tcp().expires_after(kIdleTimeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
}

template <typename Stream>
void Session<Stream>::OnHeader(beast::error_code ec) {
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
      ec == asio::error::connection_reset || ec == asio::error::bad_descriptor) {
    return ClientGone();
  }
  if (ec == http::error::body_limit) {  // the parser checks Content-Length as soon as the header is complete
    return ReplyError(413,
                      absl::StrCat("request body is over the limit of ", server_->options.max_body_bytes, " bytes"));
  }
  if (ec) return ReplyError(400, absl::StrCat("bad request: ", ec.message()));
  const auto& head = parser_->get();
  const auto length = parser_->content_length();
  if (length && *length > server_->options.max_body_bytes) {
    return ReplyError(413, absl::StrCat("request body of ", *length, " bytes is over the limit of ",
                                        server_->options.max_body_bytes, " bytes"));
  }
  if (absl::EqualsIgnoreCase(std::string(head[http::field::expect]), "100-continue")) {
    auto continue_line = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
    return asio::async_write(stream_, asio::buffer(*continue_line),
                             [self = this->shared_from_this(), continue_line](beast::error_code write_ec, size_t) {
                               if (write_ec) return self->ClientGone();
                               self->ReadBody();
                             });
  }
  ReadBody();
}

template <typename Stream>
void Session<Stream>::ReadBody() {
  http::async_read(stream_, buffer_, *parser_,
                   [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnBody(ec); });
}

template <typename Stream>
void Session<Stream>::OnBody(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    return ReplyError(413,
                      absl::StrCat("request body is over the limit of ", server_->options.max_body_bytes, " bytes"));
  }
  if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
    return ClientGone();
  }
  if (ec) return ReplyError(400, absl::StrCat("bad request: ", ec.message()));
  Dispatch();
}

template <typename Stream>
HttpRequest Session<Stream>::HeadOnly() const {
  HttpRequest request;
  const auto& head = parser_->get();
  request.method = std::string(head.method_string());
  request.target = std::string(head.target());
  for (const auto& field : head) {
    request.headers.emplace_back(absl::AsciiStrToLower(std::string(field.name_string())), std::string(field.value()));
  }
  return request;
}

template <typename Stream>
void Session<Stream>::Dispatch() {
  HttpRequest request = HeadOnly();
  http::request<http::string_body> message = parser_->release();
  request.body = std::move(message.body());
  keep_alive_ = message.keep_alive();
  head_ = message.method() == http::verb::head;
  http10_ = message.version() < 11;
  state_ = State::kHandling;
  tcp().expires_never();
  WatchClient();
  auto responder = std::make_shared<SessionResponder<Stream>>(this->shared_from_this());
  server_->handler(std::move(request), std::move(responder));
}

// Reads while the answer is produced, so that a client that disconnects is noticed (and its work cancelled).
template <typename Stream>
void Session<Stream>::WatchClient() {
  if (watching_ || buffer_.size() >= kMaxEarlyBytes) return;
  watching_ = true;
  auto on_read = [self = this->shared_from_this()](beast::error_code ec, size_t bytes) { self->OnWatch(ec, bytes); };
  if constexpr (std::is_same_v<Stream, TlsStream>) {
    stream_.async_read_some(buffer_.prepare(4096), std::move(on_read));
  } else {
    tcp().socket().async_read_some(buffer_.prepare(4096), std::move(on_read));
  }
}

template <typename Stream>
void Session<Stream>::OnWatch(beast::error_code ec, size_t bytes) {
  watching_ = false;
  if (bytes > 0) buffer_.commit(bytes);
  if (state_ == State::kDone) {
    if (!keep_alive_) return ec ? ClientGone() : Linger();
    if (ec && ec != asio::error::operation_aborted) return ClientGone();
    return ReadRequest();
  }
  if (ec) return ClientGone();
  WatchClient();
}

template <typename Stream>
void Session<Stream>::ReplyError(int status, std::string message) {
  keep_alive_ = false;
  head_ = false;
  http10_ = false;
  state_ = State::kHandling;
  const HttpRequest request = parser_.has_value() ? HeadOnly() : HttpRequest{};
  const HttpErrorRenderer& render = server_->options.render_error;
  DoSend(render ? render(request, status, std::move(message)) : DefaultError(request, status, std::move(message)));
}

template <typename Stream>
void Session<Stream>::DoSend(HttpResponse answer) {
  if (answered_ || state_ != State::kHandling || gone()) return;
  answered_ = true;
  auto response =
      std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer.status), http10_ ? 10 : 11);
  response->set(http::field::server, "catenad");
  response->set(http::field::content_type, answer.content_type);
  for (const auto& [name, value] : answer.headers) response->set(name, value);
  response->keep_alive(keep_alive_);
  response->body() = std::move(answer.body);
  response->prepare_payload();
  if (head_) {
    const size_t size = response->body().size();
    response->body().clear();
    response->content_length(size);
  }
  tcp().expires_after(kWriteTimeout);
  http::async_write(stream_, *response, [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
    self->tcp().expires_never();
    if (ec) return self->ClientGone();
    self->Complete();
  });
}

template <typename Stream>
void Session<Stream>::DoStartStream(int status, const std::string& content_type,
                                    const std::vector<std::pair<std::string, std::string>>& headers) {
  if (answered_ || state_ != State::kHandling || gone()) return;
  answered_ = true;
  state_ = State::kStreaming;
  chunked_ = !http10_ && !head_;
  if (!chunked_) keep_alive_ = false;
  std::string head =
      absl::StrCat(http10_ ? "HTTP/1.0 " : "HTTP/1.1 ", status, " ",
                   std::string(http::obsolete_reason(static_cast<http::status>(status))),
                   "\r\nServer: catenad\r\nContent-Type: ", content_type, "\r\nCache-Control: no-cache\r\n");
  for (const auto& [name, value] : headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
  absl::StrAppend(&head, chunked_ ? "Transfer-Encoding: chunked\r\n" : "",
                  keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n", "\r\n");
  queue_.push_back(std::move(head));
  WriteQueued();
}

template <typename Stream>
void Session<Stream>::DoWrite(std::string data) {
  if (state_ != State::kStreaming || finishing_ || gone() || head_) return;
  if (chunked_) {
    std::ostringstream size;
    size << std::hex << data.size();
    queue_.push_back(absl::StrCat(size.str(), "\r\n", data, "\r\n"));
  } else {
    queue_.push_back(std::move(data));
  }
  WriteQueued();
}

template <typename Stream>
void Session<Stream>::DoFinish() {
  if (state_ != State::kStreaming || finishing_ || gone()) return;
  finishing_ = true;
  if (chunked_) queue_.push_back("0\r\n\r\n");
  WriteQueued();
}

// Writes everything queued as one buffer; when the queue is empty and Finish was called, completes.
template <typename Stream>
void Session<Stream>::WriteQueued() {
  if (writing_) return;
  if (queue_.empty()) {
    if (finishing_) Complete();
    return;
  }
  auto data = std::make_shared<std::string>();
  for (std::string& piece : queue_) data->append(piece);
  queue_.clear();
  writing_ = true;
  tcp().expires_after(kWriteTimeout);
  asio::async_write(stream_, asio::buffer(*data),
                    [self = this->shared_from_this(), data](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      self->tcp().expires_never();
                      if (ec) return self->ClientGone();
                      self->WriteQueued();
                    });
}

template <typename Stream>
void Session<Stream>::DoAbandon() {
  if (state_ == State::kHandling && !answered_) {
    return DoSend({.status = 500, .body = "internal error: the handler gave no answer\n"});
  }
  if (state_ == State::kStreaming && !finishing_) DoFinish();
}

// The answer is on the wire: forget the client-gone callback, then read the next request (after the watch read
// ends) or close.
template <typename Stream>
void Session<Stream>::Complete() {
  state_ = State::kDone;
  {
    std::lock_guard lock(gone_mutex_);
    gone_callback_ = nullptr;
  }
  if (!keep_alive_) {
    beast::error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
    if (!watching_) Linger();  // else OnWatch lingers
    return;
  }
  if (watching_) {
    beast::error_code ignored;
    tcp().socket().cancel(ignored);  // OnWatch continues with ReadRequest
    return;
  }
  ReadRequest();
}

template <typename Stream>
void Session<Stream>::Linger() {
  buffer_.consume(buffer_.size());
  if (lingered_ > kMaxLingerBytes) return ClientGone();
  watching_ = true;
  tcp().expires_after(kLingerTimeout);
  stream_.async_read_some(buffer_.prepare(16384),
                          [self = this->shared_from_this()](beast::error_code ec, size_t bytes) {
                            self->watching_ = false;
                            self->lingered_ += bytes;
                            if (ec) return self->ClientGone();
                            self->buffer_.commit(bytes);
                            self->Linger();
                          });
}

template <typename Stream>
void Session<Stream>::ClientGone() {
  std::function<void()> callback;
  {
    std::lock_guard lock(gone_mutex_);
    if (gone_) return;
    gone_ = true;
    callback = std::move(gone_callback_);
  }
  beast::error_code ignored;
  tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
  tcp().socket().close(ignored);
  if (callback) callback();
}

}  // namespace

std::string HttpRequest::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, std::string(name))) return value;
  }
  return "";
}

std::string HttpRequest::Path() const { return target.substr(0, target.find('?')); }

void HttpServer::Impl::Accept(std::shared_ptr<Impl> self) {
  acceptor.async_accept(asio::make_strand(io), [self](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      std::shared_ptr<SessionBase> session;
      if (self->tls.has_value()) {
        session = std::make_shared<Session<TlsStream>>(self, std::move(socket), *self->tls);
      } else {
        session = std::make_shared<Session<beast::tcp_stream>>(self, std::move(socket));
      }
      {
        std::lock_guard lock(self->mutex);
        if (self->stopping) return;
        std::erase_if(self->sessions, [](const std::weak_ptr<SessionBase>& weak) { return weak.expired(); });
        self->sessions.push_back(session);
      }
      session->Start();
    }
    self->Accept(self);
  });
}

absl::Status HttpServer::Impl::Listen() {
  const std::string address = absl::StrCat(options.host, ":", options.port);
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(options.host, std::to_string(options.port), ec);
  if (ec || endpoints.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", address, ": ", ec.message()));
  }
  const tcp::endpoint endpoint = endpoints.begin()->endpoint();
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot listen for HTTP on ", address, ": ", ec.message()));
  port = acceptor.local_endpoint().port();
  return absl::OkStatus();
}

// The TLS context from options.tls: certificate chain, key, and the client CAs to verify client certificates with.
absl::Status HttpServer::Impl::SetUpTls() {
  const HttpTlsOptions& settings = options.tls;
  if (settings.cert_file.empty()) return absl::OkStatus();
  tls.emplace(asio::ssl::context::tls_server);
  tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                   asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  beast::error_code ec;
  auto fail = [&](const char* key, const std::string& path) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": cannot use '", path, "' for HTTPS: ", ec.message()));
  };
  tls->use_certificate_chain_file(settings.cert_file, ec);
  if (ec) return fail("server.tls.cert_file", settings.cert_file);
  tls->use_private_key_file(settings.key_file, asio::ssl::context::pem, ec);
  if (ec) return fail("server.tls.key_file", settings.key_file);
  if (!settings.client_ca_file.empty()) {
    tls->load_verify_file(settings.client_ca_file, ec);
    if (ec) return fail("server.tls.client_ca_file", settings.client_ca_file);
    tls->set_verify_mode(asio::ssl::verify_peer |
                         (settings.require_client_cert ? asio::ssl::verify_fail_if_no_peer_cert : 0));
  }
  return absl::OkStatus();
}

// Closes the acceptor and every connection, then lets the I/O threads run out of work.
void HttpServer::Impl::StopAndJoin() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mutex);
    if (stopping) return;
    stopping = true;
    for (const std::weak_ptr<SessionBase>& weak : sessions) {
      if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    sessions.clear();
  }
  asio::post(io, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  for (const std::shared_ptr<SessionBase>& session : live) session->ShutdownFromServer();
  live.clear();
  for (std::thread& thread : threads) thread.join();
  threads.clear();
}

HttpServer::HttpServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::StartAsync(const HttpServerOptions& options,
                                                                   AsyncHttpHandler handler) {
  auto impl = std::make_shared<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  if (absl::Status status = impl->SetUpTls(); !status.ok()) return status;
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->Accept(impl);
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, HttpHandler handler) {
  return StartAsync(options,
                    [handler = std::move(handler)](HttpRequest request, std::shared_ptr<HttpResponder> responder) {
                      responder->Send(handler(request));
                    });
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() { impl_->StopAndJoin(); }

}  // namespace catena::server
