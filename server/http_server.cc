#include "server/http_server.h"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"

namespace catena::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr auto kIdleTimeout = std::chrono::seconds(60);

// One keep-alive connection: read a request, answer it, repeat until the peer closes or idles out.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpHandler& handler, size_t max_body)
      : stream_(std::move(socket)), handler_(handler), max_body_(max_body) {}

  void Start() { ReadRequest(); }

 private:
  void ReadRequest() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    stream_.expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted) {
      return Close();
    }
    if (ec)
      return Reply(MakeResponse({.status = 400, .body = absl::StrCat("bad request: ", ec.message(), "\n")},
                                /*keep_alive=*/false));
    http::request<http::string_body> request = parser_->release();
    HttpResponse answer = handler_(HttpRequest{.method = std::string(request.method_string()),
                                               .target = std::string(request.target()),
                                               .body = std::move(request.body())});
    auto response = MakeResponse(answer, request.keep_alive());
    if (request.method() == http::verb::head) {
      response->body().clear();
      response->content_length(answer.body.size());
    }
    Reply(std::move(response));
  }

  std::shared_ptr<http::response<http::string_body>> MakeResponse(const HttpResponse& answer, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer.status), 11);
    response->set(http::field::server, "catenad");
    response->set(http::field::content_type, answer.content_type);
    response->keep_alive(keep_alive);
    response->body() = answer.body;
    response->prepare_payload();
    return response;
  }

  void Reply(std::shared_ptr<http::response<http::string_body>> response) {
    http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, size_t) {
      if (ec || !response->keep_alive()) return self->Close();
      self->ReadRequest();
    });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const HttpHandler& handler_;
  size_t max_body_;
};

}  // namespace

struct HttpServer::Impl {
  HttpServerOptions options;
  HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::vector<std::thread> threads;
  std::atomic<bool> stopped{false};
  int port = 0;

  void Accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), handler, options.max_body_bytes)->Start();
      Accept();
    });
  }

  absl::Status Listen() {
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
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, HttpHandler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  if (absl::Status status = impl->Listen(); !status.ok()) return status;
  impl->Accept();
  for (int i = 0; i < std::max(1, options.threads); ++i) {
    impl->threads.emplace_back([io = &impl->io] { io->run(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() { Stop(); }

int HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  if (impl_->stopped.exchange(true)) return;
  asio::post(impl_->io, [impl = impl_.get()] {
    beast::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->io.stop();
  for (std::thread& thread : impl_->threads) thread.join();
}

}  // namespace catena::server
