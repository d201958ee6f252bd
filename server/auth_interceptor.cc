#include "server/auth_interceptor.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "common/auth_error.h"
#include "common/grpc_util.h"

namespace catena::server {
namespace {

namespace gx = grpc::experimental;
using MetadataMap = std::multimap<grpc::string_ref, grpc::string_ref>;

constexpr std::string_view kHealthPrefix = "/grpc.health.v1.Health/";

std::string_view Find(const MetadataMap& metadata, const char* name) {
  auto it = metadata.find(grpc::string_ref(name));
  return it == metadata.end() ? std::string_view() : std::string_view(it->second.data(), it->second.size());
}

class AuthInterceptor final : public gx::Interceptor {
 public:
  AuthInterceptor(auth::Authenticator& authenticator, bool open) : authenticator_(authenticator), open_(open) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::POST_RECV_INITIAL_METADATA)) {
      Admit(*methods->GetRecvInitialMetadata());
    }
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_STATUS)) {
      if (!error_.ok()) methods->ModifySendStatus(ToGrpcStatus(error_));
      // The quota slot is free before the client sees the status, so its next call is not refused.
      admission_.slot.reset();
    }
    methods->Proceed();
  }

 private:
  // Replaces x-catena-tenant with the admitted tenant, or records the refusal for the handler.
  void Admit(MetadataMap& metadata) {
    metadata.erase(grpc::string_ref(kAuthErrorHeader));  // only this interceptor may set it
    if (open_) return;
    auto admission = authenticator_.Admit(Find(metadata, "authorization"), Find(metadata, kTenantHeader));
    metadata.erase(grpc::string_ref("authorization"));
    if (!admission.ok()) {
      error_ = admission.status();
      error_header_ = FormatAuthError(error_);
      metadata.emplace(grpc::string_ref(kAuthErrorHeader), grpc::string_ref(error_header_));
      return;
    }
    admission_ = *std::move(admission);
    metadata.erase(grpc::string_ref(kTenantHeader));
    metadata.emplace(grpc::string_ref(kTenantHeader), grpc::string_ref(admission_.tenant));
  }

  auth::Authenticator& authenticator_;
  const bool open_;
  absl::Status error_;
  std::string error_header_;   // the metadata map points into it for the rest of the call
  auth::Admission admission_;  // holds the tenant string the map points to and the quota slot
};

class AuthInterceptorFactory final : public gx::ServerInterceptorFactoryInterface {
 public:
  explicit AuthInterceptorFactory(auth::Authenticator& authenticator) : authenticator_(authenticator) {}

  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    const std::string_view method = info->method() == nullptr ? "" : info->method();
    const bool open = authenticator_.options().open_health && method.substr(0, kHealthPrefix.size()) == kHealthPrefix;
    return new AuthInterceptor(authenticator_, open);
  }

 private:
  auth::Authenticator& authenticator_;
};

class InternalCredentials final : public gx::Interceptor {
 public:
  explicit InternalCredentials(const std::string& authorization) : authorization_(authorization) {}

  void Intercept(gx::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(gx::InterceptionHookPoints::PRE_SEND_INITIAL_METADATA)) {
      methods->GetSendInitialMetadata()->emplace("authorization", authorization_);
    }
    methods->Proceed();
  }

 private:
  const std::string& authorization_;
};

class InternalCredentialsFactory final : public gx::ClientInterceptorFactoryInterface {
 public:
  explicit InternalCredentialsFactory(const auth::Authenticator& authenticator) : authenticator_(authenticator) {}

  gx::Interceptor* CreateClientInterceptor(gx::ClientRpcInfo* info) override {
    return new InternalCredentials(authenticator_.internal_authorization());
  }

 private:
  const auth::Authenticator& authenticator_;
};

}  // namespace

std::unique_ptr<gx::ServerInterceptorFactoryInterface> MakeAuthInterceptor(auth::Authenticator& authenticator) {
  return std::make_unique<AuthInterceptorFactory>(authenticator);
}

std::unique_ptr<gx::ClientInterceptorFactoryInterface> MakeInternalCredentialsInterceptor(
    const auth::Authenticator& authenticator) {
  return std::make_unique<InternalCredentialsFactory>(authenticator);
}

}  // namespace catena::server
