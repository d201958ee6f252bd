// OpenAI-shaped errors of the HTTP gateway: {"error": {"message", "type", "param", "code"}} with the HTTP status
// the OpenAI API uses for each kind. Request validation reports a bad field as an absl::Status carrying the field
// name (InvalidField), and ErrorFromStatus maps any Status to the error a client sees. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "server/http_server.h"

namespace catena::server {

struct OpenAiError {
  int status = 500;
  std::string type = "server_error";  // invalid_request_error, not_found_error, rate_limit_error, server_error
  std::string message;
  std::string param;  // the request field at fault; "" = null
  std::string code;   // e.g. "model_not_found"; "" = null
};

// INVALID_ARGUMENT for request field `param` (a JSON path such as "messages[2].role"), remembered for the error.
absl::Status InvalidField(std::string_view param, std::string_view message);

// 404 model_not_found for `model`, with `detail` saying where it was looked for.
OpenAiError ModelNotFound(std::string_view model, std::string_view detail);

// The error a client sees for `status`: INVALID_ARGUMENT 400 (param from InvalidField), NOT_FOUND 404,
// RESOURCE_EXHAUSTED 429, FAILED_PRECONDITION and UNAVAILABLE 503, DEADLINE_EXCEEDED 504, UNAUTHENTICATED 401,
// PERMISSION_DENIED 403, UNIMPLEMENTED 400, anything else 500.
OpenAiError ErrorFromStatus(const absl::Status& status);

// {"error": {...}} as compact JSON.
std::string ErrorJson(const OpenAiError& error);

// The JSON error as an HTTP response with its status.
HttpResponse ErrorResponse(const OpenAiError& error);

}  // namespace catena::server
