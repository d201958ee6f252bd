// catena::sdk::Client: the C++ client library for a catenad (also behind the `catena` CLI). Holds one gRPC
// channel (plaintext or TLS, optionally mutual TLS) and one typed wrapper per service (server(), inference(),
// embedding(), retrieval(), memory(), pipelines()); every call carries the tenant header, the bearer token when
// one is set, and a deadline, and idempotent calls are retried on UNAVAILABLE. Thread-safe; share one Client per
// address. Include catena/catena.h for every wrapper.
#pragma once

#include <grpcpp/channel.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "catena/call_options.h"
#include "catena/server_client.h"

namespace catena::sdk {

class InferenceClient;
class EmbeddingClient;
class RetrievalClient;
class MemoryClient;
class PipelineClient;

// TLS of the channel. PEM contents, not paths (see TlsOptionsFromFiles).
struct TlsOptions {
  // CAs that sign the server certificate; empty = the system roots.
  std::string root_certs;
  // Client certificate chain and private key for mutual TLS; both or neither.
  std::string client_cert;
  std::string client_key;
  // Name expected in the server certificate when it differs from the address host; empty = the host.
  std::string server_name;
};

// TlsOptions read from PEM files; empty paths stay empty. NOT_FOUND naming the file that cannot be read,
// INVALID_ARGUMENT when only one of cert/key is given.
absl::StatusOr<TlsOptions> TlsOptionsFromFiles(const std::string& root_certs_path, const std::string& client_cert_path,
                                               const std::string& client_key_path);

struct ClientOptions {
  // host:port of a catenad.
  std::string address = "localhost:50051";
  // Sent as x-catena-tenant; empty = the server's default tenant.
  std::string tenant;
  // Deadline of each call.
  absl::Duration timeout = absl::Seconds(5);
  // TLS when set; plaintext otherwise.
  std::optional<TlsOptions> tls;
  // Sent as `authorization: Bearer <token>` on every call when not empty.
  std::string token;
  // Retries of idempotent calls that fail with UNAVAILABLE (CallOptions::retry overrides it per call).
  RetryOptions retry;
};

class Client {
 public:
  // Creates a client; connects lazily. INVALID_ARGUMENT for an empty address, a client certificate without its
  // key (or the reverse), or bad RetryOptions.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client();

  // The typed service wrappers; valid as long as this Client.
  const ServerClient& server() const { return *server_; }
  const InferenceClient& inference() const { return *inference_; }
  const EmbeddingClient& embedding() const { return *embedding_; }
  const RetrievalClient& retrieval() const { return *retrieval_; }
  const MemoryClient& memory() const { return *memory_; }
  const PipelineClient& pipelines() const { return *pipelines_; }

  // Shorthands of server(): grpc.health.v1 Check of `service` ("" = the whole server). A service the server
  // does not know gives NOT_FOUND; an unreachable server UNAVAILABLE or DEADLINE_EXCEEDED.
  absl::StatusOr<ServingStatus> Health(std::string_view service = "") const;

  // Version, services and uptime of the server.
  absl::StatusOr<v1::GetServerInfoResponse> ServerInfo() const;

  // Round trip of `payload`, answered after `delay` on the server.
  absl::StatusOr<std::string> Ping(std::string_view payload, absl::Duration delay = absl::ZeroDuration()) const;

  // The underlying channel, for raw stubs (e.g. with interceptors of your own).
  std::shared_ptr<grpc::Channel> channel() const { return channel_; }
  const ClientOptions& options() const { return options_; }

  // A context with the tenant and authorization headers and the call deadline (plus `extra`) set, for calls on
  // channel().
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration extra = absl::ZeroDuration()) const;

 private:
  Client(ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::shared_ptr<const internal::Transport> transport_;
  std::unique_ptr<ServerClient> server_;
  std::unique_ptr<InferenceClient> inference_;
  std::unique_ptr<EmbeddingClient> embedding_;
  std::unique_ptr<RetrievalClient> retrieval_;
  std::unique_ptr<MemoryClient> memory_;
  std::unique_ptr<PipelineClient> pipelines_;
};

}  // namespace catena::sdk
