#include "agents/mcp_server_config.h"

#include <algorithm>
#include <iterator>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "connectors/secrets.h"

namespace catena::agents {
namespace {

using json = nlohmann::json;

// Error context: "<where>.<field>".
class Fields {
 public:
  explicit Fields(std::string where) : where_(std::move(where)) {}
  absl::Status Error(std::string_view field, std::string_view problem) const {
    return absl::InvalidArgumentError(absl::StrCat(where_, ".", std::string(field), ": ", std::string(problem)));
  }
  absl::StatusOr<std::string> String(const json& object, std::string_view field, bool required) const {
    auto it = object.find(std::string(field));
    if (it == object.end()) {
      if (required) return Error(field, "is required");
      return std::string();
    }
    if (!it->is_string()) return Error(field, absl::StrCat("expected a string, got ", it->type_name()));
    return it->get<std::string>();
  }
  // A mapping of strings whose values are secret references, resolved.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Secrets(const json& object,
                                                                           std::string_view field) const {
    std::vector<std::pair<std::string, std::string>> out;
    auto it = object.find(std::string(field));
    if (it == object.end()) return out;
    if (!it->is_object()) return Error(field, "expected a mapping of strings");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) return Error(absl::StrCat(std::string(field), ".", key), "expected a string");
      absl::StatusOr<std::string> resolved = connectors::ResolveSecret(value.get<std::string>());
      if (!resolved.ok()) return Annotate(resolved.status(), absl::StrCat(where_, ".", std::string(field), ".", key));
      out.emplace_back(key, *std::move(resolved));
    }
    return out;
  }
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

absl::StatusOr<connectors::McpStdioOptions> ParseStdio(const json& value, const Fields& fields) {
  if (!value.is_object()) return fields.Error("stdio", "expected a mapping");
  Fields stdio_fields(absl::StrCat(fields.where(), ".stdio"));
  connectors::McpStdioOptions options;
  CATENA_ASSIGN_OR_RETURN(options.command, stdio_fields.String(value, "command", true));
  if (options.command.empty()) return stdio_fields.Error("command", "is empty");
  if (auto args = value.find("args"); args != value.end()) {
    if (!args->is_array()) return stdio_fields.Error("args", "expected a list of strings");
    for (const json& arg : *args) {
      if (!arg.is_string()) return stdio_fields.Error("args", "expected a list of strings");
      options.args.push_back(arg.get<std::string>());
    }
  }
  CATENA_ASSIGN_OR_RETURN(options.env, stdio_fields.Secrets(value, "env"));
  CATENA_ASSIGN_OR_RETURN(options.cwd, stdio_fields.String(value, "cwd", false));
  return options;
}

absl::StatusOr<connectors::McpHttpOptions> ParseHttp(const json& value, const Fields& fields) {
  if (!value.is_object()) return fields.Error("http", "expected a mapping");
  Fields http_fields(absl::StrCat(fields.where(), ".http"));
  connectors::McpHttpOptions options;
  CATENA_ASSIGN_OR_RETURN(options.url, http_fields.String(value, "url", true));
  if (options.url.rfind("http://", 0) != 0 && options.url.rfind("https://", 0) != 0) {
    return http_fields.Error("url", absl::StrCat("'", options.url, "' must start with http:// or https://"));
  }
  CATENA_ASSIGN_OR_RETURN(options.headers, http_fields.Secrets(value, "headers"));
  return options;
}

absl::StatusOr<chains::ApprovalPolicy> ParseApproval(const json& value, const Fields& fields) {
  chains::ApprovalPolicy policy;
  if (value == "never") return policy;
  if (value == "always") {
    policy.mode = chains::ApprovalPolicy::Mode::kAlways;
    return policy;
  }
  if (value.is_object() && value.size() == 1 && value.contains("when") && value["when"].is_string()) {
    policy.mode = chains::ApprovalPolicy::Mode::kWhen;
    policy.condition = value["when"].get<std::string>();
    return policy;
  }
  return fields.Error("approval", "expected never, always or {when: \"<condition>\"}");
}

absl::Status CheckKeys(const json& entry, const Fields& fields) {
  static const char* const kKeys[] = {"name", "stdio", "http", "prefix", "timeout", "approval"};
  for (const auto& [key, value] : entry.items()) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return fields.Error(key, "unknown field (expected name, stdio, http, prefix, timeout, approval)");
    }
  }
  if (entry.contains("stdio") == entry.contains("http")) {
    return absl::InvalidArgumentError(absl::StrCat(fields.where(), ": give exactly one of stdio or http"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<McpServerConfig> ParseMcpServerConfig(const json& entry, std::string_view where) {
  Fields fields{std::string(where)};
  if (!entry.is_object()) return absl::InvalidArgumentError(absl::StrCat(std::string(where), ": expected a mapping"));
  CATENA_RETURN_IF_ERROR(CheckKeys(entry, fields));
  McpServerConfig config;
  CATENA_ASSIGN_OR_RETURN(config.name, fields.String(entry, "name", true));
  if (entry.contains("stdio")) {
    CATENA_ASSIGN_OR_RETURN(config.transport, ParseStdio(entry["stdio"], fields));
  } else {
    CATENA_ASSIGN_OR_RETURN(config.transport, ParseHttp(entry["http"], fields));
  }
  if (entry.contains("prefix")) {
    CATENA_ASSIGN_OR_RETURN(config.prefix, fields.String(entry, "prefix", true));
  }
  if (entry.contains("timeout")) {
    CATENA_ASSIGN_OR_RETURN(std::string text, fields.String(entry, "timeout", true));
    if (!absl::ParseDuration(text, &config.timeout) || config.timeout <= absl::ZeroDuration()) {
      return fields.Error("timeout", absl::StrCat("'", text, "' is not a positive duration such as 30s or 500ms"));
    }
  }
  if (entry.contains("approval")) {
    CATENA_ASSIGN_OR_RETURN(config.approval, ParseApproval(entry["approval"], fields));
  }
  return config;
}

}  // namespace catena::agents
