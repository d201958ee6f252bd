#include "connectors/mcp_client.h"

#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "common/version.h"
#include "spdlog/spdlog.h"

namespace catena::connectors {
namespace {

using json = nlohmann::ordered_json;

constexpr absl::Duration kPollInterval = absl::Milliseconds(50);

std::string StringMember(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool SupportedVersion(const std::string& version) {
  for (const char* supported : kMcpSupportedProtocolVersions) {
    if (version == supported) return true;
  }
  return false;
}

absl::StatusOr<McpTool> ReadTool(const json& entry, size_t index) {
  std::string where = absl::StrCat("tools/list result: tools[", index, "]");
  if (!entry.is_object()) return absl::InvalidArgumentError(absl::StrCat(where, " is not an object"));
  McpTool tool;
  tool.name = StringMember(entry, "name");
  if (tool.name.empty()) return absl::InvalidArgumentError(absl::StrCat(where, " has no \"name\" string"));
  tool.title = StringMember(entry, "title");
  tool.description = StringMember(entry, "description");
  if (auto schema = entry.find("inputSchema"); schema != entry.end()) {
    if (!schema->is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(where, " ('", tool.name, "'): inputSchema is not an object"));
    }
    tool.input_schema = *schema;
  }
  if (!tool.input_schema.contains("type")) tool.input_schema["type"] = "object";
  if (auto schema = entry.find("outputSchema"); schema != entry.end()) tool.output_schema = *schema;
  if (auto annotations = entry.find("annotations"); annotations != entry.end()) tool.annotations = *annotations;
  return tool;
}

std::string SummarizeBlock(const json& block) {
  std::string type = StringMember(block, "type");
  if (type == "text") return StringMember(block, "text");
  if (type == "image" || type == "audio") {
    return absl::StrCat("[", type, " ", StringMember(block, "mimeType"), ", ", StringMember(block, "data").size(),
                        " base64 chars]");
  }
  if (type == "resource" && block.contains("resource") && block["resource"].is_object()) {
    const json& resource = block["resource"];
    if (resource.contains("text")) return StringMember(resource, "text");
    return absl::StrCat("[resource ", StringMember(resource, "uri"), "]");
  }
  if (type == "resource_link") return absl::StrCat("[resource link ", StringMember(block, "uri"), "]");
  return absl::StrCat("[", type.empty() ? "unknown" : type, " content]");
}

}  // namespace

std::string McpToolResult::Text() const {
  std::vector<std::string> parts;
  if (content.is_array()) {
    for (const json& block : content) parts.push_back(block.is_object() ? SummarizeBlock(block) : block.dump());
  }
  return absl::StrJoin(parts, "\n");
}

McpClient::McpClient(std::unique_ptr<McpTransport> transport, McpClientOptions options)
    : options_(std::move(options)), transport_(std::move(transport)) {}

McpClient::~McpClient() {
  transport_.reset();  // stops the transport's threads before the members they call into go away
}

absl::StatusOr<std::shared_ptr<McpClient>> McpClient::Connect(std::unique_ptr<McpTransport> transport,
                                                              McpClientOptions options) {
  if (transport == nullptr) return absl::InvalidArgumentError("MCP client: transport is null");
  std::shared_ptr<McpClient> client(new McpClient(std::move(transport), std::move(options)));
  McpClient* raw = client.get();
  absl::Status started = raw->transport_->Start([raw](JsonRpcMessage message) { raw->OnMessage(std::move(message)); },
                                                [raw](absl::Status why) { raw->OnClosed(std::move(why)); });
  if (!started.ok()) return raw->Prefixed(started);
  CATENA_RETURN_IF_ERROR(raw->Initialize());
  return client;
}

absl::Status McpClient::Initialize() {
  json params = {{"protocolVersion", options_.protocol_version},
                 {"capabilities", json::object()},
                 {"clientInfo", {{"name", options_.client_name}, {"version", kVersion}}}};
  CATENA_ASSIGN_OR_RETURN(json result, Request("initialize", params));
  if (!result.is_object()) return Prefixed(absl::InvalidArgumentError("initialize result is not an object"));
  server_.protocol_version = StringMember(result, "protocolVersion");
  if (!SupportedVersion(server_.protocol_version)) {
    return Prefixed(absl::FailedPreconditionError(absl::StrCat(
        "server answered protocolVersion '", server_.protocol_version,
        "', which this client does not support (supported: ", absl::StrJoin(kMcpSupportedProtocolVersions, ", "),
        ")")));
  }
  if (auto info = result.find("serverInfo"); info != result.end() && info->is_object()) {
    server_.name = StringMember(*info, "name");
    server_.version = StringMember(*info, "version");
  }
  server_.instructions = StringMember(result, "instructions");
  if (auto caps = result.find("capabilities"); caps != result.end() && caps->is_object()) server_.capabilities = *caps;
  transport_->SetProtocolVersion(server_.protocol_version);
  return Notify("notifications/initialized", nullptr);
}

absl::StatusOr<std::vector<McpTool>> McpClient::ListTools(const McpCallOptions& call) {
  std::vector<McpTool> tools;
  std::string cursor;
  for (int page = 0; page < options_.max_list_pages; ++page) {
    json params = cursor.empty() ? json(nullptr) : json{{"cursor", cursor}};
    CATENA_ASSIGN_OR_RETURN(json result, Request("tools/list", params, call));
    if (!result.is_object() || !result.contains("tools") || !result["tools"].is_array()) {
      return Prefixed(absl::InvalidArgumentError("tools/list result has no \"tools\" array"));
    }
    for (const json& entry : result["tools"]) {
      absl::StatusOr<McpTool> tool = ReadTool(entry, tools.size());
      if (!tool.ok()) return Prefixed(tool.status());
      tools.push_back(*std::move(tool));
    }
    cursor = StringMember(result, "nextCursor");
    if (cursor.empty()) return tools;
  }
  return Prefixed(absl::ResourceExhaustedError(
      absl::StrCat("tools/list still had a nextCursor after ", options_.max_list_pages, " pages")));
}

absl::StatusOr<McpToolResult> McpClient::CallTool(std::string_view name, const json& arguments,
                                                  const McpCallOptions& call) {
  if (!arguments.is_null() && !arguments.is_object()) {
    return Prefixed(absl::InvalidArgumentError(
        absl::StrCat("tool '", std::string(name), "': arguments must be a JSON object, got ", arguments.type_name())));
  }
  json params = {{"name", std::string(name)}, {"arguments", arguments.is_null() ? json::object() : arguments}};
  CATENA_ASSIGN_OR_RETURN(json result, Request("tools/call", params, call));
  if (!result.is_object()) return Prefixed(absl::InvalidArgumentError("tools/call result is not an object"));
  McpToolResult out;
  if (auto content = result.find("content"); content != result.end()) {
    if (!content->is_array()) {
      return Prefixed(absl::InvalidArgumentError("tools/call result: \"content\" is not an array"));
    }
    out.content = *content;
  }
  if (auto structured = result.find("structuredContent"); structured != result.end()) {
    out.structured_content = *structured;
  }
  auto is_error = result.find("isError");
  out.is_error = is_error != result.end() && is_error->is_boolean() && is_error->get<bool>();
  return out;
}

absl::StatusOr<json> McpClient::Request(std::string_view method, const json& params, const McpCallOptions& call) {
  absl::Time deadline = std::min(call.deadline, absl::Now() + options_.request_timeout);
  if (deadline <= absl::Now()) {
    return Prefixed(
        absl::DeadlineExceededError(absl::StrCat("the deadline passed before ", std::string(method), " was sent")));
  }
  int64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return *closed_;
    id = next_id_++;
    pending_[id].method = std::string(method);
  }
  absl::Status sent = transport_->Send(MakeJsonRpcRequest(id, method, params), deadline);
  if (!sent.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.erase(id);
    return closed_ ? *closed_ : Prefixed(Annotate(sent, std::string(method)));
  }
  return Await(id, deadline, call);
}

absl::StatusOr<json> McpClient::Await(int64_t id, absl::Time deadline, const McpCallOptions& call) {
  std::unique_lock<std::mutex> lock(mu_);
  absl::Time started = absl::Now();
  std::string method = pending_[id].method;
  while (true) {
    Pending& pending = pending_[id];
    if (pending.result) {
      absl::StatusOr<json> result = std::move(*pending.result);
      pending_.erase(id);
      return result;
    }
    if (closed_) {
      pending_.erase(id);
      return *closed_;
    }
    bool cancelled = call.cancelled && call.cancelled();
    if (cancelled || absl::Now() >= deadline) {
      pending_.erase(id);
      lock.unlock();
      (void)transport_->Send(
          MakeJsonRpcNotification("notifications/cancelled",
                                  {{"requestId", id}, {"reason", cancelled ? "cancelled" : "timeout"}}),
          absl::Now() + absl::Seconds(1));
      if (cancelled) return Prefixed(absl::CancelledError(absl::StrCat(method, " was cancelled")));
      return Prefixed(absl::DeadlineExceededError(
          absl::StrCat("no answer to ", method, " within ", absl::FormatDuration(absl::Now() - started))));
    }
    absl::Time wake = std::min(deadline, absl::Now() + kPollInterval);
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(wake - absl::Now(), absl::ZeroDuration())));
  }
}

absl::Status McpClient::Notify(std::string_view method, const json& params) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (closed_) return *closed_;
  }
  absl::Status sent = transport_->Send(MakeJsonRpcNotification(method, params), absl::Now() + options_.request_timeout);
  return Prefixed(Annotate(sent, std::string(method)));
}

bool McpClient::tools_changed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return tools_changed_;
}

void McpClient::OnMessage(JsonRpcMessage message) {
  if (message.kind == JsonRpcMessage::Kind::kRequest) return OnServerRequest(message);
  if (message.kind == JsonRpcMessage::Kind::kNotification) {
    if (message.method == "notifications/tools/list_changed") {
      std::lock_guard<std::mutex> lock(mu_);
      tools_changed_ = true;
    } else if (message.method == "notifications/message") {
      spdlog::info("mcp server '{}' says: {}", options_.server_name, message.params.dump());
    }
    return;
  }
  if (!message.id.is_number_integer()) {
    spdlog::warn("mcp server '{}' sent a reply with id {} that matches no request", options_.server_name,
                 message.id.dump());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto pending = pending_.find(message.id.get<int64_t>());
  if (pending == pending_.end()) return;  // answered after its deadline
  if (message.error) {
    pending->second.result = Prefixed(JsonRpcErrorToStatus(*message.error, pending->second.method));
  } else {
    pending->second.result = std::move(message.result);
  }
  cv_.notify_all();
}

void McpClient::OnServerRequest(const JsonRpcMessage& message) {
  // The client declares no capabilities (sampling, roots, elicitation), so it only answers ping.
  json reply = message.method == "ping"
                   ? MakeJsonRpcResult(message.id, json::object())
                   : MakeJsonRpcErrorResponse(message.id, kJsonRpcMethodNotFound,
                                              absl::StrCat("method '", message.method, "' is not supported"));
  absl::Status sent = transport_->Send(reply, absl::Now() + absl::Seconds(5));
  if (!sent.ok())
    spdlog::warn("mcp server '{}': cannot answer {}: {}", options_.server_name, message.method, sent.ToString());
}

void McpClient::OnClosed(absl::Status why) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = Prefixed(why);
  cv_.notify_all();
}

absl::Status McpClient::Prefixed(const absl::Status& status) const {
  std::string prefix = absl::StrCat("MCP server '", options_.server_name, "'");
  if (status.ok() || absl::StartsWith(status.message(), prefix)) return status;
  return Annotate(status, prefix);
}

}  // namespace catena::connectors
