#include "server/openai_errors.h"

#include <optional>

#include "absl/strings/cord.h"
#include "nlohmann/json.hpp"

namespace catena::server {
namespace {

constexpr char kParamPayload[] = "catena.openai.param";

nlohmann::json NullIfEmpty(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}

OpenAiError Make(int status, std::string type, std::string code, const absl::Status& from) {
  return {.status = status, .type = std::move(type), .message = std::string(from.message()), .code = std::move(code)};
}

}  // namespace

absl::Status InvalidField(std::string_view param, std::string_view message) {
  absl::Status status = absl::InvalidArgumentError(std::string(message));
  status.SetPayload(kParamPayload, absl::Cord(std::string(param)));
  return status;
}

OpenAiError ModelNotFound(std::string_view model, std::string_view detail) {
  return {.status = 404,
          .type = "invalid_request_error",
          .message = "The model '" + std::string(model) + "' does not exist: " + std::string(detail),
          .param = "model",
          .code = "model_not_found"};
}

OpenAiError ErrorFromStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kUnimplemented: {
      OpenAiError error = Make(400, "invalid_request_error", "", status);
      if (auto param = status.GetPayload(kParamPayload); param.has_value()) error.param = std::string(*param);
      return error;
    }
    case absl::StatusCode::kNotFound:
      return Make(404, "not_found_error", "not_found", status);
    case absl::StatusCode::kAlreadyExists:
      return Make(409, "invalid_request_error", "conflict", status);
    case absl::StatusCode::kResourceExhausted:
      return Make(429, "rate_limit_error", "rate_limit_exceeded", status);
    case absl::StatusCode::kFailedPrecondition:
      return Make(503, "server_error", "model_not_loaded", status);
    case absl::StatusCode::kUnavailable:
      return Make(503, "server_error", "unavailable", status);
    case absl::StatusCode::kDeadlineExceeded:
      return Make(504, "server_error", "timeout", status);
    case absl::StatusCode::kUnauthenticated:
      return Make(401, "authentication_error", "invalid_api_key", status);
    case absl::StatusCode::kPermissionDenied:
      return Make(403, "permission_error", "permission_denied", status);
    case absl::StatusCode::kCancelled:
      return Make(499, "server_error", "cancelled", status);
    default:
      return Make(500, "server_error", "internal_error", status);
  }
}

std::string ErrorJson(const OpenAiError& error) {
  nlohmann::json body = {{"error",
                          {{"message", error.message},
                           {"type", error.type},
                           {"param", NullIfEmpty(error.param)},
                           {"code", NullIfEmpty(error.code)}}}};
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HttpResponse ErrorResponse(const OpenAiError& error) {
  return {.status = error.status, .content_type = "application/json", .body = ErrorJson(error)};
}

}  // namespace catena::server
