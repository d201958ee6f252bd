// The gRPC side of catenad's authentication: a server interceptor that admits every call through an
// auth::Authenticator before its handler runs (key -> tenant, tenant check, quotas), and a client interceptor that
// lets this process's in-process channel (the HTTP gateway's pipeline calls) through. A refused call reaches its
// handler with the x-catena-auth-error header, which RequestContextFromServer turns into the call's status, and
// its status is forced to that error. The Authenticator must outlive the server. Thread-safe.
#pragma once

#include <grpcpp/support/client_interceptor.h>
#include <grpcpp/support/server_interceptor.h>

#include <memory>
#include <vector>

#include "auth/authenticator.h"

namespace catena::server {

// Factories to add to ServerBuilder::experimental().SetInterceptorCreators(). Health checks pass unchecked when
// the authenticator's options say so.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> MakeAuthInterceptor(
    auth::Authenticator& authenticator);

// A client interceptor factory that sends authenticator.internal_authorization() on every call.
std::unique_ptr<grpc::experimental::ClientInterceptorFactoryInterface> MakeInternalCredentialsInterceptor(
    const auth::Authenticator& authenticator);

}  // namespace catena::server
