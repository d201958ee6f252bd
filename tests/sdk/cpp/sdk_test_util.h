// Helpers of the C++ SDK tests: protobuf messages from text format, a Client of a CatenadProcess with a fresh
// tenant, and a free TCP port. Test-only; not thread-safe.
#pragma once

#include <google/protobuf/text_format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <string>

#include "catena/catena.h"
#include "tests/server/catenad_fixture.h"

namespace catena::testing {

// The message of type T written in protobuf text format; fails the test when `text` does not parse.
template <typename T>
T Parse(const std::string& text) {
  T message;
  INFO("text format: " << text);
  REQUIRE(google::protobuf::TextFormat::ParseFromString(text, &message));
  return message;
}

// A tenant name no other test case uses.
inline std::string FreshTenant() {
  static std::atomic<int> counter{0};
  return "sdkcpp" + std::to_string(getpid()) + "x" + std::to_string(counter++);
}

// A Client of `address` for `tenant` with a 30 s default deadline.
inline std::unique_ptr<sdk::Client> MakeClient(const std::string& address, std::string tenant = FreshTenant(),
                                               sdk::ClientOptions options = {}) {
  options.address = address;
  options.tenant = std::move(tenant);
  options.timeout = absl::Seconds(30);
  auto client = sdk::Client::Create(std::move(options));
  REQUIRE(client.ok());
  return *std::move(client);
}

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

}  // namespace catena::testing
