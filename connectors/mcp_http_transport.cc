#include "connectors/mcp_http_transport.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "connectors/sse.h"
#include "spdlog/spdlog.h"

namespace catena::connectors {
namespace {

using json = nlohmann::ordered_json;

// Collects the JSON-RPC messages of one POST reply, JSON or SSE (told apart by the first byte, since the
// streaming callback runs before the headers are handed back), and notices the reply to the posted request.
class ReplyReader {
 public:
  explicit ReplyReader(json request_id) : request_id_(std::move(request_id)) {}

  // Takes the next body chunk; false once the awaited reply arrived (the rest of the stream is not needed).
  bool OnData(std::string_view chunk) {
    if (mode_ == Mode::kUnknown) {
      body_ += chunk;
      size_t first = body_.find_first_not_of(" \t\r\n");
      if (first == std::string::npos) return true;
      mode_ = (body_[first] == '{' || body_[first] == '[') ? Mode::kJson : Mode::kSse;
      if (mode_ == Mode::kJson) return true;
      chunk = body_;
    } else if (mode_ == Mode::kJson) {
      body_ += chunk;
      return true;
    }
    status_.Update(parser_.Feed(chunk, [this](const SseEvent& event) { return OnEvent(event); }));
    if (mode_ == Mode::kSse) body_.clear();
    return status_.ok() && !answered_;
  }

  // The messages received; an error when the body was not JSON-RPC.
  absl::StatusOr<std::vector<JsonRpcMessage>> Finish(const HttpResponse& response) {
    CATENA_RETURN_IF_ERROR(status_);
    if (mode_ == Mode::kJson || (mode_ == Mode::kUnknown && !response.body.empty())) {
      CATENA_ASSIGN_OR_RETURN(std::vector<JsonRpcMessage> parsed,
                              ParseJsonRpcMessages(mode_ == Mode::kJson ? body_ : response.body));
      for (JsonRpcMessage& message : parsed) messages_.push_back(std::move(message));
    }
    return std::move(messages_);
  }

  bool answered() const { return answered_; }

 private:
  enum class Mode { kUnknown, kJson, kSse };

  absl::Status OnEvent(const SseEvent& event) {
    // Empty events prime the stream with an id for resumption; other event types carry no JSON-RPC.
    if (event.data.empty() || event.event != "message") return absl::OkStatus();
    CATENA_ASSIGN_OR_RETURN(std::vector<JsonRpcMessage> parsed, ParseJsonRpcMessages(event.data));
    for (JsonRpcMessage& message : parsed) {
      if (message.kind == JsonRpcMessage::Kind::kResponse && !request_id_.is_null() && message.id == request_id_) {
        answered_ = true;
      }
      messages_.push_back(std::move(message));
    }
    return absl::OkStatus();
  }

  json request_id_;
  Mode mode_ = Mode::kUnknown;
  std::string body_;
  SseParser parser_;
  absl::Status status_;
  bool answered_ = false;
  std::vector<JsonRpcMessage> messages_;
};

}  // namespace

McpHttpTransport::McpHttpTransport(McpHttpOptions options) : options_(std::move(options)) {}

McpHttpTransport::~McpHttpTransport() {
  std::string session = session_id();
  if (session.empty() || options_.http == nullptr) return;
  HttpRequest request;
  request.method = "DELETE";
  request.url = options_.url;
  request.headers = options_.headers;
  request.headers.emplace_back("Mcp-Session-Id", session);
  request.timeout = absl::Seconds(2);
  absl::StatusOr<HttpResponse> response = options_.http->Send(request);
  if (!response.ok()) spdlog::debug("mcp {}: closing the session failed: {}", Describe(), response.status().ToString());
}

absl::Status McpHttpTransport::Start(MessageHandler on_message, ClosedHandler on_closed) {
  if (!absl::StartsWith(options_.url, "http://") && !absl::StartsWith(options_.url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("MCP HTTP transport: url '", options_.url, "' must start with http:// or https://"));
  }
  on_message_ = std::move(on_message);
  on_closed_ = std::move(on_closed);
  if (options_.http == nullptr) options_.http = HttpClient::Create();
  return absl::OkStatus();
}

absl::Status McpHttpTransport::Send(const json& message, absl::Time deadline) {
  // The stream may stay open after the reply; stop reading then, except for initialize, whose response headers
  // (the session id) are only handed back once the exchange ends normally.
  bool stop_early = message.contains("method") && message.contains("id") && message["method"] != "initialize";
  ReplyReader reader(stop_early ? message["id"] : json());
  HttpRequest request = BuildPost(message, deadline);
  absl::StatusOr<HttpResponse> response =
      options_.http->SendStreaming(request, [&reader](std::string_view chunk) { return reader.OnData(chunk); });
  if (!response.ok() && !(absl::IsCancelled(response.status()) && reader.answered())) {
    return Annotate(response.status(), absl::StrCat("POST ", Describe()));
  }
  HttpResponse reply = response.ok() ? *std::move(response) : HttpResponse{200, {}, ""};
  CATENA_RETURN_IF_ERROR(CheckStatus(reply));
  if (std::string session = reply.Header("mcp-session-id"); !session.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    if (session_id_.empty()) session_id_ = session;
  }
  absl::StatusOr<std::vector<JsonRpcMessage>> messages = reader.Finish(reply);
  if (!messages.ok()) {
    return absl::UnavailableError(
        absl::StrCat("POST ", Describe(), ": the reply is not JSON-RPC: ", messages.status().message()));
  }
  for (JsonRpcMessage& received : *messages) on_message_(std::move(received));
  return absl::OkStatus();
}

HttpRequest McpHttpTransport::BuildPost(const json& message, absl::Time deadline) const {
  HttpRequest request;
  request.method = "POST";
  request.url = options_.url;
  request.headers = options_.headers;
  request.headers.emplace_back("Content-Type", "application/json");
  request.headers.emplace_back("Accept", "application/json, text/event-stream");
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!session_id_.empty()) request.headers.emplace_back("Mcp-Session-Id", session_id_);
    if (!protocol_version_.empty()) request.headers.emplace_back("MCP-Protocol-Version", protocol_version_);
  }
  request.body = message.dump(-1, ' ', false, json::error_handler_t::replace);
  request.connect_timeout = options_.connect_timeout;
  request.timeout = std::max(deadline - absl::Now(), absl::Milliseconds(1));
  request.idle_timeout = request.timeout;  // a tool may run silently for as long as the caller waits
  request.max_response_bytes = options_.max_response_bytes;
  return request;
}

absl::Status McpHttpTransport::CheckStatus(const HttpResponse& response) const {
  if (response.status >= 200 && response.status < 300) return absl::OkStatus();
  std::string text =
      absl::StrCat("POST ", Describe(), " answered HTTP ", response.status, ": ", JsonRpcSnippet(response.body, 300));
  if (response.status == 404 && !session_id().empty()) {
    return absl::UnavailableError(absl::StrCat(text, " (the session expired)"));
  }
  if (response.status == 401) return absl::UnauthenticatedError(text);
  if (response.status == 403) return absl::PermissionDeniedError(text);
  if (response.status == 429 || response.status >= 500) return absl::UnavailableError(text);
  return absl::FailedPreconditionError(text);
}

void McpHttpTransport::SetProtocolVersion(const std::string& version) {
  std::lock_guard<std::mutex> lock(mu_);
  protocol_version_ = version;
}

std::string McpHttpTransport::session_id() const {
  std::lock_guard<std::mutex> lock(mu_);
  return session_id_;
}

}  // namespace catena::connectors
