// The HTTP side of catenad's authentication: which routes are open (health probes, /metrics, per config), and the
// admission of every other request through an auth::Authenticator, answering refusals with OpenAI-shaped errors
// (401 with WWW-Authenticate, 403, 429 with Retry-After). Used by Catenad's HTTP handler. Thread-safe.
#pragma once

#include <memory>
#include <string_view>

#include "auth/authenticator.h"
#include "server/http_server.h"

namespace catena::server {

// Whether `path` is served without a key: /healthz and /readyz with open_health, /metrics with open_metrics.
bool IsOpenHttpRoute(const auth::AuthOptions& options, std::string_view path);

// The OpenAI-shaped error response for a refusal from Authenticator::Admit, with its auth or retry headers.
HttpResponse HttpAuthError(const absl::Status& status);

// Admits `request` (authorization and x-catena-tenant headers). On success, sets x-catena-tenant to the admitted
// tenant and returns the responder to answer through, which holds the tenant's quota slot until the answer is
// complete. On refusal, answers through `responder` and returns null.
std::shared_ptr<HttpResponder> AdmitHttpRequest(auth::Authenticator& authenticator, HttpRequest& request,
                                                std::shared_ptr<HttpResponder> responder);

}  // namespace catena::server
