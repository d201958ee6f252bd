#include "remote/remote_call.h"

#include <algorithm>
#include <climits>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/call_deadline.h"
#include "common/grpc_util.h"

namespace catena::remote {
namespace {

// Reconnect backoff of the channel: a restarted service is reconnected within kMaxReconnectMs.
constexpr int kMinReconnectMs = 100;
constexpr int kMaxReconnectMs = 500;

std::shared_ptr<grpc::Channel> NewChannel(const RemoteServiceOptions& options) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, kMinReconnectMs);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, kMinReconnectMs);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, kMaxReconnectMs);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30'000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10'000);
  args.SetMaxReceiveMessageSize(static_cast<int>(std::min<int64_t>(options.max_message_bytes, INT32_MAX)));
  args.SetMaxSendMessageSize(static_cast<int>(std::min<int64_t>(options.max_message_bytes, INT32_MAX)));
  // Our own retries (idempotent calls only) replace gRPC's transparent retry policy.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  return grpc::CreateCustomChannel(options.address, grpc::InsecureChannelCredentials(), args);
}

}  // namespace

absl::Status ValidateAddress(std::string_view address, std::string_view field) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(std::string(address.substr(colon + 1)), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(field), ": '", std::string(address),
                                                   "' is not a host:port address such as retrieval:50051"));
  }
  return absl::OkStatus();
}

RemoteCaller::RemoteCaller(RemoteServiceOptions options)
    : options_(std::move(options)), channel_(NewChannel(options_)) {}

absl::Time RemoteCaller::CallDeadline() const {
  return std::min(CurrentCallDeadline(), absl::Now() + options_.deadline);
}

void RemoteCaller::Prepare(grpc::ClientContext& context, std::string_view tenant, absl::Time deadline) const {
  context.set_deadline(absl::ToChronoTime(deadline));
  if (!tenant.empty()) context.AddMetadata(kTenantHeader, std::string(tenant));
  if (!options_.token.empty()) context.AddMetadata("authorization", "Bearer " + options_.token);
}

absl::Status RemoteCaller::Call(std::string_view tenant, std::string_view method, bool idempotent,
                                const std::function<grpc::Status(grpc::ClientContext&)>& call) const {
  const absl::Time deadline = CallDeadline();
  absl::Duration backoff = options_.initial_backoff;
  for (int attempt = 1;; ++attempt) {
    grpc::ClientContext context;
    Prepare(context, tenant, deadline);
    const grpc::Status status = call(context);
    if (status.ok()) return absl::OkStatus();
    const bool retry = idempotent && status.error_code() == grpc::StatusCode::UNAVAILABLE &&
                       attempt < options_.max_attempts && absl::Now() + backoff < deadline;
    if (!retry) return Describe(status, method);
    absl::SleepFor(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

absl::Status RemoteCaller::Describe(const grpc::Status& status, std::string_view method) const {
  const absl::Status converted = FromGrpcStatus(status);
  if (status.error_code() != grpc::StatusCode::UNAVAILABLE &&
      status.error_code() != grpc::StatusCode::DEADLINE_EXCEEDED) {
    return converted;
  }
  return absl::Status(converted.code(), absl::StrCat(options_.service, " service at ", options_.address, " (",
                                                     std::string(method), "): ", converted.message()));
}

}  // namespace catena::remote
