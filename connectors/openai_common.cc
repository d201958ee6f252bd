// OpenAiTransport: request building, retry/breaker wiring and error mapping for OpenAI-compatible servers.
#include "connectors/openai_common.h"

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/status.h"

namespace catena::connectors {
namespace {

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 408: return absl::StatusCode::kUnavailable;
    case 409: return absl::StatusCode::kAborted;
    case 422: return absl::StatusCode::kInvalidArgument;
    case 429: return absl::StatusCode::kResourceExhausted;
    default: return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kUnknown;
  }
}

// The server's error message from an OpenAI error body ({"error":{"message":...}} or {"error":"..."}), or a
// snippet of the body.
std::string ServerMessage(const std::string& body) {
  nlohmann::json json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (json.is_object() && json.contains("error")) {
    const nlohmann::json& error = json["error"];
    if (error.is_string()) return error.get<std::string>();
    if (error.is_object() && error.contains("message") && error["message"].is_string()) {
      std::string message = error["message"].get<std::string>();
      if (error.contains("type") && error["type"].is_string()) absl::StrAppend(&message, " (", error["type"].get<std::string>(), ")");
      return message;
    }
  }
  if (json.is_object() && json.contains("message") && json["message"].is_string()) return json["message"].get<std::string>();
  std::string snippet = body.substr(0, 200);
  if (body.size() > 200) snippet += "...";
  return snippet.empty() ? "(empty body)" : snippet;
}

// Sleeps for `d`, waking every 10 ms to return early once `cancel` is set.
void SleepUnlessCancelled(absl::Duration d, const std::atomic<bool>* cancel) {
  absl::Time until = absl::Now() + d;
  while (!cancel->load()) {
    absl::Duration left = until - absl::Now();
    if (left <= absl::ZeroDuration()) return;
    absl::SleepFor(std::min(left, absl::Milliseconds(10)));
  }
}

}  // namespace

std::string UrlHost(std::string_view url) {
  size_t scheme = url.find("://");
  std::string_view rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  rest = rest.substr(0, rest.find_first_of("/?#"));
  size_t at = rest.rfind('@');
  if (at != std::string_view::npos) rest.remove_prefix(at + 1);
  return std::string(rest);
}

OpenAiTransport::OpenAiTransport(OpenAiClientOptions options, Secret key)
    : options_(std::move(options)), key_(std::move(key)), breaker_(UrlHost(options_.base_url), options_.breaker) {}

absl::StatusOr<std::shared_ptr<OpenAiTransport>> OpenAiTransport::Create(OpenAiClientOptions options) {
  if (options.base_url.rfind("http://", 0) != 0 && options.base_url.rfind("https://", 0) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("base_url '", options.base_url, "' must start with http:// or https://"));
  }
  while (!options.base_url.empty() && options.base_url.back() == '/') options.base_url.pop_back();
  Secret key;
  if (!options.api_key_ref.empty()) {
    absl::StatusOr<Secret> resolved = Secret::FromRef(options.api_key_ref);
    if (!resolved.ok()) return Annotate(resolved.status(), "api_key");
    key = std::move(*resolved);
  }
  if (options.http == nullptr) options.http = HttpClient::Create();
  return std::shared_ptr<OpenAiTransport>(new OpenAiTransport(std::move(options), std::move(key)));
}

std::string OpenAiTransport::Redact(std::string_view text) const {
  if (key_.empty()) return std::string(text);
  return absl::StrReplaceAll(absl::string_view(text.data(), text.size()), {{key_.Reveal(), "***"}});
}

absl::Status OpenAiTransport::Redact(const absl::Status& status) const {
  if (status.ok() || key_.empty()) return status;
  return absl::Status(status.code(), Redact(std::string_view(status.message().data(), status.message().size())));
}

absl::Status OpenAiTransport::MapHttpError(const HttpResponse& response, std::string_view what) const {
  std::string message = absl::StrCat(std::string(what), ": ", options_.base_url, " answered HTTP ", response.status,
                                      ": ", ServerMessage(response.body));
  return absl::Status(CodeForHttpStatus(response.status), Redact(message));
}

absl::StatusOr<HttpRequest> OpenAiTransport::BuildRequest(std::string_view path, const std::string& json,
                                                          absl::Time deadline, const std::atomic<bool>* cancel) const {
  if (cancel != nullptr && cancel->load()) {
    return absl::CancelledError(absl::StrCat("call to ", options_.base_url, " cancelled"));
  }
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    return absl::DeadlineExceededError(absl::StrCat("deadline passed before calling ", options_.base_url));
  }
  HttpRequest request;
  request.method = "POST";
  request.url = absl::StrCat(options_.base_url, std::string(path));
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json, text/event-stream"}};
  if (!key_.empty()) request.headers.emplace_back("Authorization", absl::StrCat("Bearer ", key_.Reveal()));
  for (const auto& header : options_.extra_headers) request.headers.push_back(header);
  request.body = json;
  request.connect_timeout = options_.connect_timeout;
  request.timeout = std::min(options_.timeout, left);
  request.idle_timeout = options_.idle_timeout;
  request.max_response_bytes = options_.max_response_bytes;
  request.cancel = cancel;
  return request;
}

absl::StatusOr<HttpResponse> OpenAiTransport::PostJson(std::string_view path, const std::string& json,
                                                       absl::Time deadline, const std::atomic<bool>* cancel) {
  return PostStream(path, json, deadline, nullptr, nullptr, nullptr, cancel);
}

absl::StatusOr<HttpResponse> OpenAiTransport::PostStream(std::string_view path, const std::string& json,
                                                         absl::Time deadline,
                                                         const std::function<bool(std::string_view)>& on_data,
                                                         const std::function<void()>& on_attempt,
                                                         const std::function<bool()>& committed,
                                                         const std::atomic<bool>* cancel) {
  auto attempt = [&](int) -> AttemptOutcome {
    absl::StatusOr<HttpRequest> request = BuildRequest(path, json, deadline, cancel);
    if (!request.ok()) return {request.status(), true};
    if (on_attempt) on_attempt();
    AttemptOutcome outcome;
    outcome.response = on_data ? options_.http->SendStreaming(*request, on_data) : options_.http->Send(*request);
    outcome.committed = committed && committed();
    if (cancel != nullptr && cancel->load()) outcome.committed = true;
    return outcome;
  };
  RetryEnv env = retry_env_;
  if (!env.sleep && cancel != nullptr) env.sleep = [cancel](absl::Duration d) { SleepUnlessCancelled(d, cancel); };
  absl::StatusOr<HttpResponse> response = SendWithRetry(options_.retry, deadline, attempt, &breaker_, env);
  if (!response.ok()) return Redact(response.status());
  if (response->status < 200 || response->status >= 300) return MapHttpError(*response, path.substr(1));
  return response;
}

}  // namespace catena::connectors
