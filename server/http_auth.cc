#include "server/http_auth.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "server/openai_errors.h"

namespace catena::server {
namespace {

constexpr char kTenantHeader[] = "x-catena-tenant";

// Forwards to the real responder and keeps the quota slot until the last reference (held by whoever answers) goes.
class AdmittedResponder final : public HttpResponder {
 public:
  AdmittedResponder(std::shared_ptr<HttpResponder> inner, std::shared_ptr<void> slot)
      : inner_(std::move(inner)), slot_(std::move(slot)) {}

  void Send(HttpResponse response) override { inner_->Send(std::move(response)); }
  void StartStream(int status, std::string content_type,
                   std::vector<std::pair<std::string, std::string>> headers) override {
    inner_->StartStream(status, std::move(content_type), std::move(headers));
  }
  void Write(std::string data) override { inner_->Write(std::move(data)); }
  void Finish() override { inner_->Finish(); }
  void OnClientGone(std::function<void()> callback) override { inner_->OnClientGone(std::move(callback)); }
  bool client_gone() const override { return inner_->client_gone(); }

 private:
  std::shared_ptr<HttpResponder> inner_;
  std::shared_ptr<void> slot_;
};

void SetHeader(HttpRequest& request, const std::string& name, const std::string& value) {
  auto& headers = request.headers;
  headers.erase(std::remove_if(headers.begin(), headers.end(), [&](const auto& h) { return h.first == name; }),
                headers.end());
  headers.emplace_back(name, value);
}

}  // namespace

bool IsOpenHttpRoute(const auth::AuthOptions& options, std::string_view path) {
  if (path == "/healthz" || path == "/readyz") return options.open_health;
  if (path == "/metrics") return options.open_metrics;
  return false;
}

HttpResponse HttpAuthError(const absl::Status& status) {
  HttpResponse response = ErrorResponse(ErrorFromStatus(status));
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    response.headers.emplace_back("www-authenticate", "Bearer realm=\"catena\"");
  }
  if (status.code() == absl::StatusCode::kResourceExhausted) {
    response.headers.emplace_back("retry-after", absl::StrCat(auth::RetryAfterSeconds(status)));
  }
  return response;
}

std::shared_ptr<HttpResponder> AdmitHttpRequest(auth::Authenticator& authenticator, HttpRequest& request,
                                                std::shared_ptr<HttpResponder> responder) {
  auto admission = authenticator.Admit(request.Header("authorization"), request.Header(kTenantHeader));
  if (!admission.ok()) {
    responder->Send(HttpAuthError(admission.status()));
    return nullptr;
  }
  SetHeader(request, kTenantHeader, admission->tenant);
  return std::make_shared<AdmittedResponder>(std::move(responder), std::move(admission->slot));
}

}  // namespace catena::server
