#include "tests/server/catenad_fixture.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <regex>

#include "tests/support/temp_dir.h"

namespace catena::testing {

std::filesystem::path MakeTempDir(const std::string& prefix) { return ProcessTempDir(prefix); }

CatenadProcess::CatenadProcess(std::vector<std::string> extra_args, std::vector<std::string> env,
                               std::filesystem::path data_dir)
    : data_dir_(data_dir.empty() ? MakeTempDir("catenad-test") : std::move(data_dir)) {
  std::vector<std::string> argv = {BuiltProgram("catenad"), "--grpc-port", "0",   "--http-port", "0", "--data-dir",
                                   data_dir_.string(),      "--log-level", "warn"};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<Subprocess>(argv, env);
  std::optional<std::string> line = process_->ReadStdoutLine(std::chrono::seconds(30));
  INFO("catenad stderr: " << process_->Stderr());
  REQUIRE(line.has_value());
  std::smatch match;
  const std::regex ready(R"(ready: grpc=(\S+):(\d+) http=(\S+) )");
  REQUIRE(std::regex_search(*line, match, ready));
  grpc_port_ = std::stoi(match[2]);
  grpc_address_ = match[1].str() + ":" + match[2].str();
  http_address_ = match[3].str();
}

HttpResult HttpRequestTo(const std::string& address, const std::string& method, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = boost::asio::ip::tcp;
  const size_t colon = address.rfind(':');
  boost::asio::io_context io;
  tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  beast::error_code ec;
  auto endpoints = resolver.resolve(address.substr(0, colon), address.substr(colon + 1), ec);
  if (ec) return {};
  stream.expires_after(std::chrono::seconds(10));
  stream.connect(endpoints, ec);
  if (ec) return {};
  http::request<http::string_body> request(http::string_to_verb(method), target, 11);
  request.set(http::field::host, address);
  http::write(stream, request, ec);
  if (ec) return {};
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response, ec);
  if (ec) return {};
  return {static_cast<int>(response.result_int()), response.body()};
}

}  // namespace catena::testing
