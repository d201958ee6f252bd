#include "auth/authenticator.h"

#include "absl/strings/str_cat.h"
#include "auth/api_key.h"
#include "common/request_context.h"
#include "common/status.h"

namespace catena::auth {

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(AuthOptions options) {
  std::unique_ptr<Authenticator> authenticator(new Authenticator(std::move(options)));
  CATENA_ASSIGN_OR_RETURN(std::string secret, GenerateApiKey());
  authenticator->internal_authorization_ = absl::StrCat("Bearer internal_", secret);
  if (authenticator->options_.enabled) {
    CATENA_ASSIGN_OR_RETURN(authenticator->verifier_,
                            ApiKeyVerifier::Create({.keys_file = authenticator->options_.keys_file}));
  }
  return authenticator;
}

absl::StatusOr<std::string> Authenticator::TenantOf(std::string_view authorization, std::string_view claimed_tenant) {
  if (verifier_ == nullptr) {
    if (claimed_tenant.empty()) return std::string(kDefaultTenant);
    if (absl::Status status = ValidateTenantId(claimed_tenant); !status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("header x-catena-tenant: ", status.message()));
    }
    return std::string(claimed_tenant);
  }
  CATENA_ASSIGN_OR_RETURN(std::string key, BearerToken(authorization));
  CATENA_ASSIGN_OR_RETURN(std::string tenant, verifier_->Verify(key));
  if (!claimed_tenant.empty() && claimed_tenant != tenant) {
    return absl::PermissionDeniedError(absl::StrCat("this API key belongs to tenant '", tenant,
                                                    "' and cannot act for tenant '",
                                                    std::string(claimed_tenant.substr(0, 64)), "'"));
  }
  return tenant;
}

absl::StatusOr<Admission> Authenticator::Admit(std::string_view authorization, std::string_view claimed_tenant) {
  if (ConstantTimeEquals(authorization, internal_authorization_)) {
    if (claimed_tenant.empty()) return Admission{.tenant = kDefaultTenant};
    CATENA_RETURN_IF_ERROR(ValidateTenantId(claimed_tenant));
    return Admission{.tenant = std::string(claimed_tenant)};
  }
  Admission admission;
  CATENA_ASSIGN_OR_RETURN(admission.tenant, TenantOf(authorization, claimed_tenant));
  CATENA_ASSIGN_OR_RETURN(admission.slot, quotas_.Admit(admission.tenant));
  return admission;
}

}  // namespace catena::auth
