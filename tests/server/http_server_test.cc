// HttpServer in-process: streamed responses are flushed per write, a client that disconnects mid-stream is
// reported to the handler, oversized bodies get 413 from the error renderer, a dropped responder yields 500 and a
// connection stays usable after a streamed (chunked) answer.
#include "server/http_server.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>

namespace catena::testing {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using server::HttpRequest;
using server::HttpResponder;
using server::HttpResponse;
using server::HttpServer;

struct Connection {
  asio::io_context io;
  tcp::socket socket{io};
  explicit Connection(int port) { socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port)); }
  void Send(const std::string& raw) { asio::write(socket, asio::buffer(raw)); }
  // Reads until `needle` has arrived; returns everything read so far.
  std::string ReadUntil(std::string& buffer, const std::string& needle) {
    beast::error_code ec;
    asio::read_until(socket, asio::dynamic_buffer(buffer), needle, ec);
    return buffer;
  }
};

std::string Post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
         body;
}

std::unique_ptr<HttpServer> StartServer(server::AsyncHttpHandler handler, size_t max_body = 1 << 20) {
  server::HttpServerOptions options{.max_body_bytes = max_body, .render_error = [](const HttpRequest& request,
                                                                                   int status, std::string message) {
    return HttpResponse{.status = status, .content_type = "application/json",
                        .body = "{\"rendered\":\"" + request.target + "\",\"status\":" + std::to_string(status) + "}"};
  }};
  auto started = HttpServer::StartAsync(options, std::move(handler));
  REQUIRE(started.ok());
  return *std::move(started);
}

TEST_CASE("a streamed response reaches the client piece by piece while the handler still writes", "[unit]") {
  std::promise<std::shared_ptr<HttpResponder>> responder;
  auto http = StartServer([&](HttpRequest, std::shared_ptr<HttpResponder> out) {
    out->StartStream(200, "text/event-stream");
    out->Write("data: one\n\n");
    responder.set_value(out);  // the rest is written later, from the test's thread
  });
  Connection client(http->port());
  client.Send(Post("/stream", "{}"));
  std::string received;
  client.ReadUntil(received, "data: one");
  CHECK(received.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(received.find("Transfer-Encoding: chunked") != std::string::npos);
  // The first event arrived before the second was even written: nothing is buffered until the end.
  std::shared_ptr<HttpResponder> out = responder.get_future().get();
  out->Write("data: two\n\n");
  out->Finish();
  out.reset();
  client.ReadUntil(received, "0\r\n\r\n");
  CHECK(received.find("data: two") != std::string::npos);
}

TEST_CASE("a client that disconnects mid-stream is reported to the handler", "[unit]") {
  std::promise<void> gone;
  std::shared_ptr<HttpResponder> kept;
  auto http = StartServer([&](HttpRequest, std::shared_ptr<HttpResponder> out) {
    out->OnClientGone([&gone] { gone.set_value(); });
    out->StartStream(200, "text/event-stream");
    out->Write("data: started\n\n");
    kept = out;  // the "work" goes on until the client goes away
  });
  {
    Connection client(http->port());
    client.Send(Post("/stream", "{}"));
    std::string received;
    client.ReadUntil(received, "data: started");
    REQUIRE(received.find("data: started") != std::string::npos);
  }
  REQUIRE(gone.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(kept->client_gone());
  kept->Write("data: ignored\n\n");  // writes after the client left are dropped quietly
  kept.reset();
}

TEST_CASE("a body over the limit gets 413 from the error renderer without calling the handler", "[unit]") {
  bool called = false;
  auto http = StartServer(
      [&](HttpRequest, std::shared_ptr<HttpResponder> out) {
        called = true;
        out->Send({});
      },
      /*max_body=*/1024);
  Connection client(http->port());
  client.Send(Post("/v1/chat/completions", std::string(4096, 'x')));
  std::string received;
  client.ReadUntil(received, "}");
  CHECK(received.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(received.find(R"({"rendered":"/v1/chat/completions","status":413})") != std::string::npos);
  CHECK_FALSE(called);
}

TEST_CASE("a handler that drops its responder unanswered yields 500, and the connection stays usable",
          "[unit]") {
  auto http = StartServer([](HttpRequest request, std::shared_ptr<HttpResponder> out) {
    if (request.Path() == "/drop") return;
    out->StartStream(200, "text/plain");
    out->Write(request.Header("X-Word"));
    out->Finish();
  });
  Connection client(http->port());
  beast::flat_buffer buffer;
  for (const char* word : {"alpha", "beta"}) {
    http::request<http::string_body> request(http::verb::get, "/echo", 11);
    request.set("X-Word", word);
    http::write(client.socket, request);
    http::response<http::string_body> response;
    http::read(client.socket, buffer, response);
    CHECK(response.result_int() == 200);
    CHECK(response.body() == word);
  }
  http::request<http::string_body> drop(http::verb::get, "/drop", 11);
  http::write(client.socket, drop);
  http::response<http::string_body> response;
  http::read(client.socket, buffer, response);
  CHECK(response.result_int() == 500);
}

TEST_CASE("stopping the server tells handlers with open streams that their client is gone", "[unit]") {
  std::promise<void> gone;
  std::shared_ptr<HttpResponder> kept;
  auto http = StartServer([&](HttpRequest, std::shared_ptr<HttpResponder> out) {
    out->OnClientGone([&gone] { gone.set_value(); });
    out->StartStream(200, "text/event-stream");
    out->Write("data: started\n\n");
    kept = out;
  });
  Connection client(http->port());
  client.Send(Post("/stream", "{}"));
  std::string received;
  client.ReadUntil(received, "data: started");
  http->Stop();
  CHECK(gone.get_future().wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  kept->Write("data: after stop\n\n");  // safe: dropped
  kept.reset();
  http.reset();
}

}  // namespace
}  // namespace catena::testing
