#include "agents/http_tool.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "agents/function_tool.h"
#include "agents/tool_invoke.h"
#include "common/status.h"
#include "common/template/template.h"
#include "connectors/http_client.h"
#include "connectors/secrets.h"

namespace catena::agents {
namespace {

constexpr size_t kSnippetBytes = 300;

struct UrlParts {
  std::string scheme;
  std::string host;  // lowercase, without brackets
  int port = 0;
  size_t authority_end = 0;  // index in the URL text where the path/query starts
};

absl::StatusOr<int> ParsePort(std::string_view text) {
  int port = 0;
  if (text.empty() || !absl::SimpleAtoi(std::string(text), &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("port '", std::string(text), "' is not a number from 1 to 65535"));
  }
  return port;
}

// Splits "scheme://host[:port]..." (http or https only; no user info).
absl::StatusOr<UrlParts> ParseUrl(std::string_view url) {
  UrlParts parts;
  const size_t colon = url.find("://");
  if (colon == std::string_view::npos) return absl::InvalidArgumentError("must start with http:// or https://");
  parts.scheme = absl::AsciiStrToLower(std::string(url.substr(0, colon)));
  if (parts.scheme != "http" && parts.scheme != "https") {
    return absl::InvalidArgumentError(absl::StrCat("scheme '", parts.scheme, "' is not http or https"));
  }
  const size_t start = colon + 3;
  parts.authority_end = std::min(url.find_first_of("/?#", start), url.size());
  std::string_view authority = url.substr(start, parts.authority_end - start);
  if (authority.find('@') != std::string_view::npos) return absl::InvalidArgumentError("user info ('@') is not allowed in URLs");
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return absl::InvalidArgumentError("unclosed '[' in the host");
    parts.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return absl::InvalidArgumentError("unexpected text after ']' in the host");
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t port_colon = authority.rfind(':');
    parts.host = std::string(authority.substr(0, port_colon));
    if (port_colon != std::string_view::npos) port_text = authority.substr(port_colon + 1);
  }
  if (parts.host.empty()) return absl::InvalidArgumentError("has no host");
  parts.host = absl::AsciiStrToLower(parts.host);
  if (port_text.empty()) {
    parts.port = parts.scheme == "https" ? 443 : 80;
  } else {
    CATENA_ASSIGN_OR_RETURN(parts.port, ParsePort(port_text));
  }
  return parts;
}

bool HostPatternMatches(std::string_view pattern, std::string_view host) {
  if (pattern.starts_with("*.")) return host.ends_with(pattern.substr(1)) && host.size() > pattern.size() - 1;
  return pattern == host;
}

absl::Status CheckHost(const std::vector<std::string>& allowed, const UrlParts& parts) {
  if (HostAllowed(allowed, parts.host, parts.port)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("host '", parts.host, ":", parts.port,
                                                  "' is not in allowed_hosts (", absl::StrJoin(allowed, ", "), ")"));
}

// args with every scalar converted to its percent-encoded text (bools as true/false, null as "").
tmpl::Value EncodedArgs(const nlohmann::ordered_json& value) {
  if (value.is_object()) {
    tmpl::Value dict = tmpl::Value::Dict();
    for (const auto& [key, item] : value.items()) dict.map().Set(key, EncodedArgs(item));
    return dict;
  }
  if (value.is_array()) {
    std::vector<tmpl::Value> items;
    for (const auto& item : value) items.push_back(EncodedArgs(item));
    return tmpl::Value::List(std::move(items));
  }
  if (value.is_string()) return tmpl::Value(PercentEncode(value.get<std::string>()));
  if (value.is_null()) return tmpl::Value(std::string());
  return tmpl::Value(PercentEncode(value.dump()));
}

tmpl::Value Context(tmpl::Value args) {
  tmpl::Value context = tmpl::Value::Dict();
  context.map().Set("args", std::move(args));
  return context;
}

tmpl::TemplateOptions Options(const chains::ToolDefinition& definition, std::string_view field) {
  tmpl::TemplateOptions options;
  options.name = absl::StrCat(definition.source, " ", std::string(field));
  options.max_output_bytes = 1 << 20;
  return options;
}

absl::StatusOr<tmpl::Template> ParseTemplate(const chains::ToolDefinition& definition, std::string_view field,
                                             std::string_view text, tmpl::TemplateOptions options) {
  options.name = absl::StrCat(definition.source, " ", std::string(field));
  return tmpl::Template::Parse(text, std::move(options));
}

// A string of a `json:` body that is a template: a lone "{{ expr }}" keeps the expression's JSON type.
struct JsonSlot {
  nlohmann::ordered_json::json_pointer pointer;
  std::optional<tmpl::Expression> expression;
  tmpl::Template text;
};

bool IsLoneExpression(absl::string_view text) {
  text = absl::StripAsciiWhitespace(text);
  return absl::StartsWith(text, "{{") && absl::EndsWith(text, "}}") && text.find("{{", 2) == absl::string_view::npos &&
         text.find("}}") == text.size() - 2;
}

absl::Status CollectSlots(const chains::ToolDefinition& definition, const nlohmann::ordered_json& value,
                          const nlohmann::ordered_json::json_pointer& at, std::vector<JsonSlot>& slots) {
  if (value.is_object() || value.is_array()) {
    for (const auto& [key, item] : value.items()) CATENA_RETURN_IF_ERROR(CollectSlots(definition, item, at / key, slots));
    return absl::OkStatus();
  }
  if (!value.is_string()) return absl::OkStatus();
  const std::string& text = value.get_ref<const std::string&>();
  if (!absl::StrContains(text, "{{") && !absl::StrContains(text, "{%")) return absl::OkStatus();
  JsonSlot slot{.pointer = at};
  const std::string field = absl::StrCat("http.json", at.to_string());
  if (IsLoneExpression(text)) {
    tmpl::TemplateOptions options = Options(definition, field);
    CATENA_ASSIGN_OR_RETURN(slot.expression, tmpl::Expression::Parse(text, options));
  } else {
    CATENA_ASSIGN_OR_RETURN(slot.text, ParseTemplate(definition, field, text, Options(definition, field)));
  }
  slots.push_back(std::move(slot));
  return absl::OkStatus();
}

absl::StatusCode CodeForHttpStatus(int status) {
  switch (status) {
    case 400: case 422: return absl::StatusCode::kInvalidArgument;
    case 401: return absl::StatusCode::kUnauthenticated;
    case 403: return absl::StatusCode::kPermissionDenied;
    case 404: return absl::StatusCode::kNotFound;
    case 409: return absl::StatusCode::kAlreadyExists;
    case 429: return absl::StatusCode::kResourceExhausted;
    default: return status >= 500 ? absl::StatusCode::kUnavailable : absl::StatusCode::kFailedPrecondition;
  }
}

std::string Snippet(absl::string_view body) {
  std::string text(absl::StripAsciiWhitespace(body.substr(0, kSnippetBytes)));
  for (char& c : text) if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  return body.size() > kSnippetBytes ? absl::StrCat(text, "...") : text;
}

// Follows "a.b.0.c" through objects (keys) and arrays (indices).
absl::StatusOr<nlohmann::ordered_json> Pick(const nlohmann::ordered_json& root, absl::string_view path) {
  const nlohmann::ordered_json* at = &root;
  std::string walked;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    size_t index = 0;
    if (at->is_object() && at->contains(std::string(part))) {
      at = &(*at)[std::string(part)];
    } else if (at->is_array() && absl::SimpleAtoi(part, &index) && index < at->size()) {
      at = &(*at)[index];
    } else {
      return absl::NotFoundError(absl::StrCat("the reply has no '", std::string(part), "' at '",
                                              walked.empty() ? "$" : walked, "' (response.pick: ", std::string(path), ")"));
    }
    absl::StrAppend(&walked, walked.empty() ? "" : ".", std::string(part));
  }
  return *at;
}

class HttpTool : public chains::Tool {
 public:
  HttpTool(HttpToolSpec spec, std::shared_ptr<connectors::HttpClient> client, SecretResolver resolve_secret)
      : spec_(std::move(spec)), client_(std::move(client)), resolve_secret_(std::move(resolve_secret)) {}
  absl::Status Prepare();
  const chains::ToolDefinition& definition() const override { return spec_.definition; }
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext& context,
                                            std::string_view arguments_json) const override;

 private:
  absl::StatusOr<connectors::HttpRequest> BuildRequest(const nlohmann::ordered_json& args) const;
  absl::Status AddHeaders(const tmpl::Value& context, connectors::HttpRequest& request) const;
  absl::StatusOr<std::string> RenderJsonBody(const tmpl::Value& context) const;
  absl::StatusOr<chains::ToolOutput> MapResponse(const connectors::HttpResponse& response,
                                                 const std::string& where) const;

  HttpToolSpec spec_;
  std::shared_ptr<connectors::HttpClient> client_;
  SecretResolver resolve_secret_;
  tmpl::Template url_;
  std::vector<std::pair<std::string, tmpl::Template>> headers_;
  std::optional<tmpl::Template> body_;
  std::vector<JsonSlot> json_slots_;
};

absl::Status HttpTool::Prepare() {
  const chains::ToolDefinition& def = spec_.definition;
  static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
  spec_.method = absl::AsciiStrToUpper(spec_.method);
  if (std::find(kMethods.begin(), kMethods.end(), spec_.method) == kMethods.end()) {
    return absl::InvalidArgumentError(absl::StrCat("http.method '", spec_.method, "' is not GET, POST, PUT, PATCH or DELETE"));
  }
  if (spec_.allowed_hosts.empty()) return absl::InvalidArgumentError("http tools need allowed_hosts");
  auto parts = ParseUrl(spec_.url);
  if (!parts.ok()) return absl::InvalidArgumentError(absl::StrCat("http.url ", parts.status().message()));
  const size_t first_template = std::min(spec_.url.find("{{"), spec_.url.find("{%"));
  if (first_template < parts->authority_end) {
    return absl::InvalidArgumentError("http.url: the scheme, host and port must be written literally, not templated");
  }
  if (absl::Status allowed = CheckHost(spec_.allowed_hosts, *parts); !allowed.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("http.url: ", allowed.message()));
  }
  CATENA_ASSIGN_OR_RETURN(url_, ParseTemplate(def, "http.url", spec_.url, Options(def, "http.url")));
  tmpl::TemplateOptions header_options = Options(def, "http.headers");
  SecretResolver resolve = resolve_secret_;
  header_options.globals["secret"] = tmpl::Value::Function("secret", [resolve](const tmpl::CallArgs& call)
                                                                         -> absl::StatusOr<tmpl::Value> {
    if (call.positional.size() != 1 || !call.positional[0].is_string() || !call.keyword.empty()) {
      return absl::InvalidArgumentError("secret() takes one string, e.g. secret('env:API_KEY')");
    }
    CATENA_ASSIGN_OR_RETURN(std::string value, resolve(call.positional[0].string_value()));
    return tmpl::Value(std::move(value));
  });
  for (const auto& [name, value] : spec_.headers) {
    CATENA_ASSIGN_OR_RETURN(tmpl::Template parsed,
                            ParseTemplate(def, absl::StrCat("http.headers.", name), value, header_options));
    headers_.emplace_back(name, std::move(parsed));
  }
  if (spec_.body) {
    CATENA_ASSIGN_OR_RETURN(body_, ParseTemplate(def, "http.body", *spec_.body, Options(def, "http.body")));
  }
  if (spec_.json_body) CATENA_RETURN_IF_ERROR(CollectSlots(def, *spec_.json_body, {}, json_slots_));
  return absl::OkStatus();
}

absl::Status HttpTool::AddHeaders(const tmpl::Value& context, connectors::HttpRequest& request) const {
  for (const auto& [name, value] : headers_) {
    CATENA_ASSIGN_OR_RETURN(std::string rendered, value.Render(context));
    if (rendered.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("header '", name, "' would contain a line break"));
    }
    request.headers.emplace_back(name, std::move(rendered));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> HttpTool::RenderJsonBody(const tmpl::Value& context) const {
  nlohmann::ordered_json body = *spec_.json_body;
  for (const JsonSlot& slot : json_slots_) {
    if (!slot.expression) {
      CATENA_ASSIGN_OR_RETURN(body[slot.pointer], slot.text.Render(context));
      continue;
    }
    CATENA_ASSIGN_OR_RETURN(tmpl::Value value, slot.expression->Evaluate(context));
    if (value.is_undefined()) value = tmpl::Value::None();
    CATENA_ASSIGN_OR_RETURN(body[slot.pointer], tmpl::ToOrderedJson(value));
  }
  return body.dump();
}

bool HasHeader(const connectors::HttpRequest& request, absl::string_view name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return absl::EqualsIgnoreCase(header.first, name); });
}

absl::StatusOr<connectors::HttpRequest> HttpTool::BuildRequest(const nlohmann::ordered_json& args) const {
  connectors::HttpRequest request;
  request.method = spec_.method;
  CATENA_ASSIGN_OR_RETURN(request.url, url_.Render(Context(EncodedArgs(args))));
  auto parts = ParseUrl(request.url);
  if (!parts.ok()) return absl::InvalidArgumentError(absl::StrCat("the URL ", parts.status().message()));
  CATENA_RETURN_IF_ERROR(CheckHost(spec_.allowed_hosts, *parts));
  const tmpl::Value raw = Context(tmpl::Value::FromJson(args));
  CATENA_RETURN_IF_ERROR(AddHeaders(raw, request));
  if (body_) {
    CATENA_ASSIGN_OR_RETURN(request.body, body_->Render(raw));
  }
  if (spec_.json_body) {
    CATENA_ASSIGN_OR_RETURN(request.body, RenderJsonBody(raw));
    if (!HasHeader(request, "Content-Type")) request.headers.emplace_back("Content-Type", "application/json");
  }
  if (!HasHeader(request, "Accept")) request.headers.emplace_back("Accept", "application/json");
  request.max_response_bytes = spec_.max_response_bytes;
  return request;
}

absl::StatusOr<chains::ToolOutput> HttpTool::MapResponse(const connectors::HttpResponse& response,
                                                         const std::string& where) const {
  if (response.status >= 300 && response.status < 400) {
    return absl::FailedPreconditionError(absl::StrCat("HTTP ", response.status, " from ", where, ": redirect to '",
                                                      response.Header("location"), "' not followed"));
  }
  if (response.status >= 400) {
    return absl::Status(CodeForHttpStatus(response.status),
                        absl::StrCat("HTTP ", response.status, " from ", where, ": ", Snippet(response.body)));
  }
  auto json = nlohmann::ordered_json::parse(response.body, nullptr, false);
  if (json.is_discarded()) {
    if (!spec_.pick.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("the reply from ", where, " is not JSON, so response.pick '",
                                                        spec_.pick, "' cannot apply: ", Snippet(response.body)));
    }
    return TextOutput(response.body);
  }
  if (!spec_.pick.empty()) {
    CATENA_ASSIGN_OR_RETURN(json, Pick(json, spec_.pick));
  }
  if (json.is_array() && spec_.max_items > 0 && json.size() > static_cast<size_t>(spec_.max_items)) {
    json.erase(json.begin() + spec_.max_items, json.end());
  }
  return JsonOutput(json);
}

absl::StatusOr<chains::ToolOutput> HttpTool::Invoke(const chains::ToolCallContext& context,
                                                    std::string_view arguments_json) const {
  CATENA_ASSIGN_OR_RETURN(nlohmann::ordered_json args, ParseToolArguments(spec_.definition.name, arguments_json));
  CATENA_ASSIGN_OR_RETURN(connectors::HttpRequest request, BuildRequest(args));
  const absl::Duration left = context.deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("the deadline passed before the request");
  request.timeout = std::min(spec_.timeout, left);
  request.connect_timeout = std::min(request.connect_timeout, request.timeout);
  request.idle_timeout = std::min(request.idle_timeout, request.timeout);
  const std::string where = absl::StrCat(request.method, " ", request.url.substr(0, request.url.find('?')));
  absl::StatusOr<connectors::HttpResponse> response = client_->Send(request);
  if (!response.ok()) return Annotate(response.status(), where);
  return MapResponse(*response, where);
}

}  // namespace

absl::StatusOr<std::shared_ptr<const chains::Tool>> NewHttpTool(HttpToolSpec spec,
                                                                std::shared_ptr<connectors::HttpClient> client,
                                                                SecretResolver resolve_secret) {
  if (client == nullptr) client = connectors::HttpClient::Create();
  if (!resolve_secret) resolve_secret = [](std::string_view ref) { return connectors::ResolveSecret(ref); };
  auto tool = std::make_shared<HttpTool>(std::move(spec), std::move(client), std::move(resolve_secret));
  CATENA_RETURN_IF_ERROR(tool->Prepare());
  return tool;
}

bool HostAllowed(const std::vector<std::string>& allowed, std::string_view host, int port) {
  for (const std::string& entry : allowed) {
    std::string_view pattern = entry;
    std::string_view port_text;
    if (pattern.starts_with('[')) {
      const size_t close = pattern.find(']');
      if (close == std::string_view::npos) continue;
      if (close + 1 < pattern.size() && pattern[close + 1] == ':') port_text = pattern.substr(close + 2);
      pattern = pattern.substr(1, close - 1);
    } else if (std::count(pattern.begin(), pattern.end(), ':') == 1) {
      port_text = pattern.substr(pattern.find(':') + 1);
      pattern = pattern.substr(0, pattern.find(':'));
    }
    int entry_port = 0;
    if (!port_text.empty() && (!absl::SimpleAtoi(std::string(port_text), &entry_port) || entry_port != port)) continue;
    if (HostPatternMatches(absl::AsciiStrToLower(std::string(pattern)), host)) return true;
  }
  return false;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace catena::agents
