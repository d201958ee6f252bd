// catena::sdk::Client: the C++ client library for a catenad (also behind the `catena` CLI). Holds one gRPC
// channel; every call carries the tenant header and a deadline. Thread-safe; share one Client per address.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "catena/v1/server.pb.h"

namespace catena::sdk {

struct ClientOptions {
  // host:port of a catenad.
  std::string address = "localhost:50051";
  // Sent as x-catena-tenant; empty = the server's default tenant.
  std::string tenant;
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(5);
};

enum class ServingStatus { kUnknown, kServing, kNotServing, kServiceUnknown };

// "SERVING", "NOT_SERVING", ...
std::string_view ServingStatusName(ServingStatus status);

class Client {
 public:
  // Creates a client; connects lazily. INVALID_ARGUMENT for an empty address.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);

  // grpc.health.v1 Check of `service` ("" = the whole server). A service the server does not know gives
  // NOT_FOUND; an unreachable server UNAVAILABLE or DEADLINE_EXCEEDED.
  absl::StatusOr<ServingStatus> Health(std::string_view service = "") const;

  // Version, services and uptime of the server.
  absl::StatusOr<v1::GetServerInfoResponse> ServerInfo() const;

  // Round trip of `payload`, answered after `delay` on the server.
  absl::StatusOr<std::string> Ping(std::string_view payload, absl::Duration delay = absl::ZeroDuration()) const;

  // The underlying channel, for stubs of services this class does not wrap yet.
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

  // A context with the tenant header and the call deadline (plus `extra`) set, for calls on channel().
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration extra = absl::ZeroDuration()) const;

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
};

}  // namespace catena::sdk
