#include "common/grpc_util.h"

#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/auth_error.h"

namespace catena {
namespace {

constexpr size_t kMaxTenantLength = 64;
constexpr size_t kMaxRequestIdLength = 128;

bool IsNameChar(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return !first && (c == '_' || c == '.' || c == '-');
}

std::string_view MetadataValue(const grpc::ServerContextBase& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

bool IsValidName(std::string_view name, size_t max_length) {
  bool valid = !name.empty() && name.size() <= max_length;
  for (size_t i = 0; valid && i < name.size(); ++i) valid = IsNameChar(name[i], i == 0);
  return valid;
}

absl::Status ValidateTenantId(std::string_view tenant) {
  if (IsValidName(tenant, kMaxTenantLength)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("invalid tenant id '", std::string(tenant.substr(0, 80)),
                   "': expected 1-64 characters [A-Za-z0-9_.-], starting with a letter or digit"));
}

std::string NewRequestId() {
  thread_local std::mt19937_64 generator{std::random_device{}()};
  return absl::StrFormat("%016x", generator());
}

absl::StatusOr<RequestContext> RequestContextFromServer(const grpc::ServerContextBase& server_context) {
  if (std::string_view refusal = MetadataValue(server_context, kAuthErrorHeader); !refusal.empty()) {
    return ParseAuthError(refusal);
  }
  RequestContext context;
  if (std::string_view tenant = MetadataValue(server_context, kTenantHeader); !tenant.empty()) {
    if (absl::Status status = ValidateTenantId(tenant); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("header ", kTenantHeader, ": ", status.message()));
    }
    context.tenant = std::string(tenant);
  }
  std::string_view request_id = MetadataValue(server_context, kRequestIdHeader);
  context.request_id =
      (request_id.empty() || request_id.size() > kMaxRequestIdLength) ? NewRequestId() : std::string(request_id);
  const auto deadline = server_context.deadline();
  if (deadline != std::chrono::system_clock::time_point::max()) {
    context.deadline = absl::FromChrono(deadline);
  }
  return context;
}

std::string FormatAuthError(const absl::Status& status) {
  return absl::StrCat(static_cast<int>(status.code()), " ", status.message());
}

absl::Status ParseAuthError(std::string_view value) {
  const size_t space = value.find(' ');
  int code = 0;
  if (space == std::string_view::npos || !absl::SimpleAtoi(std::string(value.substr(0, space)), &code) || code <= 0 ||
      code > static_cast<int>(absl::StatusCode::kUnauthenticated)) {
    return absl::UnauthenticatedError("the request was refused");
  }
  return absl::Status(static_cast<absl::StatusCode>(code), std::string(value.substr(space + 1)));
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

absl::StatusOr<int> PageSizeOrDefault(int page_size) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(absl::StrCat("page.page_size: must be 0..", kMaxPageSize, ", got ", page_size));
  }
  return page_size == 0 ? kDefaultPageSize : page_size;
}

}  // namespace catena
