// How catenad's auth interceptor (server/auth_interceptor.h) tells a service handler that it refused a call: it
// sets the x-catena-auth-error header to "<code> <message>", and RequestContextFromServer (grpc_util.h) returns
// that status instead of a RequestContext, so the handler never runs. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace catena {

// Set only by the auth interceptor, which removes any value a client sent.
inline constexpr char kAuthErrorHeader[] = "x-catena-auth-error";

// The header value for a refusal.
std::string FormatAuthError(const absl::Status& status);

// The refusal in a header value; UNAUTHENTICATED "the request was refused" for a malformed value.
absl::Status ParseAuthError(std::string_view value);

}  // namespace catena
