// HttpTool: a chains::Tool that calls an HTTP API, declared in a tool file (agents/tool_file.h). The URL, header
// and body templates use the common template engine with `args` (the call's arguments); values substituted into
// the URL are percent-encoded, headers may call secret('env:NAME') (connectors/secrets.h). Hosts are checked
// against an allowlist when the tool is built and again on every final URL. Immutable; thread-safe.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/tool.h"
#include "nlohmann/json.hpp"

namespace catena::connectors {
class HttpClient;
}

namespace catena::agents {

// Resolves a secret reference ("env:NAME", "file:/path" or a literal) to its value.
using SecretResolver = std::function<absl::StatusOr<std::string>(std::string_view ref)>;

struct HttpToolSpec {
  chains::ToolDefinition definition;
  std::string method = "GET";  // GET, POST, PUT, PATCH or DELETE
  std::string url;             // template; scheme and host must be literal
  std::vector<std::pair<std::string, std::string>> headers;  // name -> value template
  std::optional<std::string> body;            // template rendering the request body as is
  std::optional<nlohmann::ordered_json> json_body;  // JSON whose strings are templates (a lone {{ x }} keeps x's type)
  absl::Duration timeout = absl::Seconds(10);
  size_t max_response_bytes = 1 << 20;
  std::string pick;   // dotted path into the JSON reply ("data.items", "items.0.id"); "" = whole reply
  int max_items = 0;  // when the picked value is a list, keep at most this many (0 = all)
  // Allowed hosts: "api.example.com", "127.0.0.1:8080" (that port only), "*.example.com" (subdomains).
  std::vector<std::string> allowed_hosts;
};

// True when `host` (lowercase, no brackets) and `port` match one of `allowed`.
bool HostAllowed(const std::vector<std::string>& allowed, std::string_view host, int port);

// Percent-encodes everything but RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
std::string PercentEncode(std::string_view text);

// Builds the tool: parses every template, checks the method, the URL's scheme (http or https) and that its
// literal host is allowed. INVALID_ARGUMENT naming the field. `client` null -> a client of its own;
// `resolve_secret` empty -> connectors::ResolveSecret.
absl::StatusOr<std::shared_ptr<const chains::Tool>> NewHttpTool(HttpToolSpec spec,
                                                                std::shared_ptr<connectors::HttpClient> client = nullptr,
                                                                SecretResolver resolve_secret = {});

}  // namespace catena::agents
