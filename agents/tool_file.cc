#include "agents/tool_file.h"

#include <algorithm>
#include <climits>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agents/mcp_server_config.h"
#include "agents/mcp_tools.h"
#include "agents/sql_tool.h"
#include "agents/tool_registry.h"
#include "chains/spec_messages.h"
#include "common/status.h"
#include "common/template/template.h"
#include "connectors/http_client.h"
#include "yaml-cpp/yaml.h"

namespace catena::agents {
namespace {

using Json = nlohmann::ordered_json;

const std::vector<std::string> kFileKeys = {"allowed_hosts", "databases", "tools", "mcp_servers"};
const std::vector<std::string> kToolKeys = {"name", "description", "parameters", "http", "sql", "response", "approval"};
const std::vector<std::string> kHttpKeys = {"method", "url", "headers", "body", "json", "timeout",
                                            "max_response_bytes"};
const std::vector<std::string> kResponseKeys = {"pick", "max_items"};
const std::vector<std::string> kSqlKeys = {"database", "query", "read_only", "max_rows", "timeout", "json_columns"};
const std::vector<std::string> kDatabaseKeys = {"path", "init"};
constexpr size_t kMaxResponseBytesLimit = size_t{64} << 20;

// Plain YAML scalars become null, bools, ints or doubles when they read as one; quoted ones stay strings.
Json ScalarToJson(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  if (node.Tag() == "!") return text;
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  int64_t integer = 0;
  if (absl::SimpleAtoi(text, &integer)) return integer;
  double number = 0;
  if (text.find_first_of("0123456789") != std::string::npos && absl::SimpleAtod(text, &number)) return number;
  return text;
}

Json YamlToJson(const YAML::Node& node) {
  if (node.IsMap()) {
    Json out = Json::object();
    for (const auto& entry : node) out[entry.first.Scalar()] = YamlToJson(entry.second);
    return out;
  }
  if (node.IsSequence()) {
    Json out = Json::array();
    for (const auto& item : node) out.push_back(YamlToJson(item));
    return out;
  }
  if (node.IsScalar()) return ScalarToJson(node);
  return nullptr;
}

class Reader {
 public:
  Reader(std::string file, const ToolFileOptions& options)
      : file_(std::move(file)), folder_(std::filesystem::path(file_).parent_path()), options_(options) {}
  absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> Read(std::string_view yaml);

 private:
  std::string Where(const YAML::Mark& mark) const {
    if (mark.line < 0) return file_;
    return absl::StrCat(file_, ":", mark.line + 1, ":", mark.column + 1);
  }
  void Problem(const YAML::Node& node, absl::string_view field, absl::string_view what) {
    const YAML::Mark mark = node.Mark();
    problems_.push_back({mark.line, mark.column, absl::StrCat(Where(mark), ": ", field, ": ", what)});
  }
  void CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& field);
  bool ExpectMap(const YAML::Node& node, const std::string& field);
  std::optional<std::string> String(const YAML::Node& map, const std::string& key, const std::string& field,
                                    bool required);
  void ReadAllowedHosts(const YAML::Node& root);
  void ReadTool(const YAML::Node& node, const std::string& field);
  void ReadMcpServers(const YAML::Node& root);
  bool ReadDefinition(const YAML::Node& node, const std::string& field, chains::ToolDefinition& definition);
  void ReadApproval(const YAML::Node& node, const std::string& field, chains::ApprovalPolicy& approval);
  bool ReadHttp(const YAML::Node& node, const std::string& field, HttpToolSpec& spec);
  void ReadLimits(const YAML::Node& node, const std::string& field, HttpToolSpec& spec);
  void ReadResponse(const YAML::Node& node, const std::string& field, HttpToolSpec& spec);
  std::optional<absl::Duration> ReadTimeout(const YAML::Node& timeout, const std::string& field);
  void ReadDatabases(const YAML::Node& root);
  void ReadSqlTool(const YAML::Node& node, const std::string& field, chains::ToolDefinition definition);
  void ReadSqlOptions(const YAML::Node& sql, const std::string& field, SqlToolSpec& spec);

  std::string file_;
  std::filesystem::path folder_;  // the tool file's folder: init scripts (and databases without data_dir)
  const ToolFileOptions& options_;
  struct Found {
    int line = -1;
    int column = -1;
    std::string text;
  };
  std::vector<Found> problems_;  // reported in file order
  std::vector<std::string> allowed_hosts_;
  std::map<std::string, std::filesystem::path> databases_;  // name -> file, created from its init script
  std::set<std::string> broken_databases_;                   // declared, but with a problem already reported
  std::map<std::string, std::string> seen_;  // tool name -> where it was declared
  std::vector<std::shared_ptr<const chains::Tool>> tools_;
};

void Reader::CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed, const std::string& field) {
  for (const auto& entry : map) {
    const std::string key = entry.first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    Problem(entry.first, field, absl::StrCat("unknown key '", key, "'", chains::DidYouMean(key, allowed),
                                             "; allowed: ", absl::StrJoin(allowed, ", ")));
  }
}

bool Reader::ExpectMap(const YAML::Node& node, const std::string& field) {
  if (node.IsMap()) return true;
  Problem(node, field, "must be a mapping");
  return false;
}

std::optional<std::string> Reader::String(const YAML::Node& map, const std::string& key, const std::string& field,
                                          bool required) {
  const YAML::Node node = map[key];
  if (!node) {
    if (required) Problem(map, field, absl::StrCat("missing required key '", key, "'"));
    return std::nullopt;
  }
  if (!node.IsScalar() || node.Scalar().empty()) {
    Problem(node, absl::StrCat(field, ".", key), "must be a non-empty string");
    return std::nullopt;
  }
  return node.Scalar();
}

void Reader::ReadAllowedHosts(const YAML::Node& root) {
  const YAML::Node hosts = root["allowed_hosts"];
  if (!hosts) return;
  if (!hosts.IsSequence()) return Problem(hosts, "allowed_hosts", "must be a list of host names");
  for (const auto& host : hosts) {
    if (!host.IsScalar() || host.Scalar().empty() || host.Scalar().find('/') != std::string::npos) {
      Problem(host, "allowed_hosts", "each entry must be a host name such as api.example.com or 127.0.0.1:8080");
      continue;
    }
    allowed_hosts_.push_back(host.Scalar());
  }
}

absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> Reader::Read(std::string_view yaml) {
  YAML::Node loaded;
  try {
    loaded = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return absl::InvalidArgumentError(absl::StrCat(Where(error.mark), ": not valid YAML: ", error.msg));
  }
  const YAML::Node& root = loaded;
  if (!root.IsMap()) return absl::InvalidArgumentError(absl::StrCat(file_, ": must be a mapping with a 'tools' list"));
  CheckKeys(root, kFileKeys, "file");
  ReadAllowedHosts(root);
  ReadDatabases(root);
  const YAML::Node tools = root["tools"];
  if (root["mcp_servers"] && !tools) {
    // A file of MCP servers only.
  } else if (!tools || !tools.IsSequence()) {
    const YAML::Mark mark = tools ? tools.Mark() : YAML::Mark::null_mark();
    problems_.push_back({mark.line, mark.column, absl::StrCat(Where(mark), ": tools: must be a list of tools")});
  } else {
    for (size_t i = 0; i < tools.size(); ++i) ReadTool(tools[i], absl::StrCat("tools[", i, "]"));
  }
  if (problems_.empty()) ReadMcpServers(root);
  if (!problems_.empty()) {
    auto key = [](const Found& f) { return f.line < 0 ? std::pair(INT_MAX, 0) : std::pair(f.line, f.column); };
    std::stable_sort(problems_.begin(), problems_.end(),
                     [&](const Found& a, const Found& b) { return key(a) < key(b); });
    std::vector<std::string> texts;
    for (const Found& found : problems_) texts.push_back(found.text);
    return absl::InvalidArgumentError(absl::StrJoin(texts, "\n"));
  }
  return std::move(tools_);
}

// mcp_servers: each entry (agents/mcp_server_config.h) is connected now and its tools join the file's tools; a
// server that cannot start or answer is a problem of the file, reported at the entry.
void Reader::ReadMcpServers(const YAML::Node& root) {
  const YAML::Node servers = root["mcp_servers"];
  if (!servers) return;
  if (!servers.IsSequence()) return Problem(servers, "mcp_servers", "must be a list of MCP servers");
  for (size_t i = 0; i < servers.size(); ++i) {
    const std::string field = absl::StrCat("mcp_servers[", i, "]");
    absl::StatusOr<McpServerConfig> config = ParseMcpServerConfig(YamlToJson(servers[i]), Where(servers[i].Mark()));
    if (!config.ok()) {
      problems_.push_back({servers[i].Mark().line, servers[i].Mark().column, std::string(config.status().message())});
      continue;
    }
    absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> tools = LoadMcpServerTools(*config);
    if (!tools.ok()) return Problem(servers[i], field, tools.status().message());
    for (auto& tool : *tools) {
      const std::string& name = tool->definition().name;
      if (auto [it, fresh] = seen_.emplace(name, Where(servers[i].Mark())); !fresh) {
        return Problem(servers[i], field, absl::StrCat("tool '", name, "' is already declared at ", it->second));
      }
      tools_.push_back(std::move(tool));
    }
  }
}

bool Reader::ReadDefinition(const YAML::Node& node, const std::string& field, chains::ToolDefinition& definition) {
  std::optional<std::string> name = String(node, "name", field, true);
  std::optional<std::string> description = String(node, "description", field, true);
  if (!name || !description) return false;
  definition.name = *name;
  definition.description = *description;
  definition.source = absl::StrCat(file_, ":", node.Mark().line + 1);
  if (absl::Status valid = CheckToolName(*name); !valid.ok()) {
    Problem(node["name"], field + ".name", valid.message());
    return false;
  }
  if (auto [it, inserted] = seen_.try_emplace(*name, definition.source); !inserted) {
    Problem(node["name"], field + ".name", absl::StrCat("tool '", *name, "' is already declared at ", it->second));
    return false;
  }
  if (const YAML::Node parameters = node["parameters"]) {
    if (!ExpectMap(parameters, field + ".parameters")) return false;
    const Json schema = YamlToJson(parameters);
    if (schema.contains("type") && schema["type"] != "object") {
      Problem(parameters, field + ".parameters", "the arguments schema must have type: object");
      return false;
    }
    definition.parameters_json_schema = schema.dump();
  }
  return true;
}

void Reader::ReadApproval(const YAML::Node& node, const std::string& field, chains::ApprovalPolicy& approval) {
  const YAML::Node value = node["approval"];
  if (!value) return;
  if (value.IsScalar() && (value.Scalar() == "never" || value.Scalar() == "always")) {
    approval.mode = value.Scalar() == "never" ? chains::ApprovalPolicy::Mode::kNever
                                              : chains::ApprovalPolicy::Mode::kAlways;
    return;
  }
  if (!value.IsMap() || value.size() != 1 || !value["when"] || !value["when"].IsScalar()) {
    return Problem(value, field + ".approval", "must be never, always or {when: \"<condition over args>\"}");
  }
  approval.mode = chains::ApprovalPolicy::Mode::kWhen;
  approval.condition = value["when"].Scalar();
  tmpl::TemplateOptions options;
  options.name = "condition";
  if (auto parsed = tmpl::Expression::Parse(approval.condition, options); !parsed.ok()) {
    Problem(value["when"], field + ".approval.when", parsed.status().message());
  }
}

std::optional<absl::Duration> Reader::ReadTimeout(const YAML::Node& timeout, const std::string& field) {
  double seconds = 0;
  absl::Duration parsed;
  if (timeout.IsScalar() && absl::SimpleAtod(timeout.Scalar(), &seconds)) {
    parsed = absl::Seconds(seconds);
  } else if (!timeout.IsScalar() || !absl::ParseDuration(timeout.Scalar(), &parsed)) {
    parsed = absl::ZeroDuration();
  }
  if (parsed <= absl::ZeroDuration() || parsed > absl::Minutes(10)) {
    Problem(timeout, field, "must be a duration such as 5s or 500ms, above 0 and at most 10m");
    return std::nullopt;
  }
  return parsed;
}

void Reader::ReadLimits(const YAML::Node& http, const std::string& field, HttpToolSpec& spec) {
  if (const YAML::Node timeout = http["timeout"]) {
    if (auto parsed = ReadTimeout(timeout, field + ".timeout")) spec.timeout = *parsed;
  }
  if (const YAML::Node limit = http["max_response_bytes"]) {
    int64_t bytes = 0;
    if (!limit.IsScalar() || !absl::SimpleAtoi(limit.Scalar(), &bytes) || bytes < 1 ||
        static_cast<size_t>(bytes) > kMaxResponseBytesLimit) {
      return Problem(limit, field + ".max_response_bytes",
                     absl::StrCat("must be a whole number of bytes from 1 to ", kMaxResponseBytesLimit));
    }
    spec.max_response_bytes = static_cast<size_t>(bytes);
  }
}

bool Reader::ReadHttp(const YAML::Node& node, const std::string& field, HttpToolSpec& spec) {
  const YAML::Node http = node["http"];
  if (!http) {
    Problem(node, field, "missing required key 'http' (the request the tool sends) or 'sql' (the query it runs)");
    return false;
  }
  if (!ExpectMap(http, field + ".http")) return false;
  CheckKeys(http, kHttpKeys, field + ".http");
  if (auto method = String(http, "method", field + ".http", false)) spec.method = *method;
  std::optional<std::string> url = String(http, "url", field + ".http", true);
  if (!url) return false;
  spec.url = *url;
  if (const YAML::Node headers = http["headers"]) {
    if (!ExpectMap(headers, field + ".http.headers")) return false;
    for (const auto& entry : headers) {
      if (!entry.second.IsScalar()) {
        Problem(entry.second, absl::StrCat(field, ".http.headers.", entry.first.Scalar()), "must be a string");
        return false;
      }
      spec.headers.emplace_back(entry.first.Scalar(), entry.second.Scalar());
    }
  }
  if (http["body"] && http["json"]) {
    Problem(http["json"], field + ".http", "give either 'body' or 'json', not both");
    return false;
  }
  if (auto body = String(http, "body", field + ".http", false)) spec.body = *body;
  if (const YAML::Node json = http["json"]) spec.json_body = YamlToJson(json);
  ReadLimits(http, field + ".http", spec);
  return true;
}

void Reader::ReadResponse(const YAML::Node& node, const std::string& field, HttpToolSpec& spec) {
  const YAML::Node response = node["response"];
  if (!response || !ExpectMap(response, field + ".response")) return;
  CheckKeys(response, kResponseKeys, field + ".response");
  if (auto pick = String(response, "pick", field + ".response", false)) spec.pick = *pick;
  if (const YAML::Node max_items = response["max_items"]) {
    if (!max_items.IsScalar() || !absl::SimpleAtoi(max_items.Scalar(), &spec.max_items) || spec.max_items < 1) {
      Problem(max_items, field + ".response.max_items", "must be a whole number of at least 1");
    }
  }
}

// The YAML node an HttpTool error is about: "http.url: ..." -> the url value, else the http mapping.
YAML::Node NodeForError(const YAML::Node& tool, absl::string_view message) {
  const YAML::Node http = tool["http"];
  for (const std::string& key : kHttpKeys) {
    if (absl::StartsWith(message, absl::StrCat("http.", key)) && http[key]) return http[key];
  }
  return http;
}

void Reader::ReadTool(const YAML::Node& node, const std::string& field) {
  if (!ExpectMap(node, field)) return;
  CheckKeys(node, kToolKeys, field);
  HttpToolSpec spec;
  const size_t problems_before = problems_.size();
  if (!ReadDefinition(node, field, spec.definition)) return;
  const std::string& named = field;
  ReadApproval(node, named, spec.definition.approval);
  if (node["sql"] && node["http"]) return Problem(node["sql"], named, "give either 'http' or 'sql', not both");
  if (node["sql"]) {
    if (node["response"]) return Problem(node["response"], named + ".response", "applies to HTTP tools only");
    if (problems_.size() != problems_before) return;
    return ReadSqlTool(node, named, std::move(spec.definition));
  }
  if (!ReadHttp(node, named, spec)) return;
  ReadResponse(node, named, spec);
  if (problems_.size() != problems_before) return;
  if (allowed_hosts_.empty()) {
    return Problem(node["http"], named + ".http", "HTTP tools need a top-level allowed_hosts list");
  }
  spec.allowed_hosts = allowed_hosts_;
  auto tool = NewHttpTool(std::move(spec), options_.http_client, options_.resolve_secret);
  if (!tool.ok()) return Problem(NodeForError(node, tool.status().message()), named, tool.status().message());
  tools_.push_back(*std::move(tool));
}

// databases: name -> {path, init}. A relative path is under options.data_dir (the tool file's folder without
// one); init is a SQL script beside the tool file that creates the database when the file does not exist.
void Reader::ReadDatabases(const YAML::Node& root) {
  const YAML::Node databases = root["databases"];
  if (!databases || !ExpectMap(databases, "databases")) return;
  for (const auto& entry : databases) {
    const std::string name = entry.first.Scalar();
    const std::string field = absl::StrCat("databases.", name);
    broken_databases_.insert(name);
    if (!ExpectMap(entry.second, field)) continue;
    CheckKeys(entry.second, kDatabaseKeys, field);
    std::optional<std::string> path = String(entry.second, "path", field, true);
    if (!path) continue;
    std::filesystem::path file(*path);
    if (file.is_relative()) file = (options_.data_dir.empty() ? folder_ : options_.data_dir) / file;
    if (std::optional<std::string> init = String(entry.second, "init", field, false)) {
      std::filesystem::path script(*init);
      if (script.is_relative()) script = folder_ / script;
      if (absl::Status made = EnsureSqliteDatabase(file, script); !made.ok()) {
        Problem(entry.second["init"], field + ".init", made.message());
        continue;
      }
    }
    databases_[name] = file;
    broken_databases_.erase(name);
  }
}

void Reader::ReadSqlOptions(const YAML::Node& sql, const std::string& field, SqlToolSpec& spec) {
  if (const YAML::Node read_only = sql["read_only"]) {
    const Json value = read_only.IsScalar() ? ScalarToJson(read_only) : Json();
    if (!value.is_boolean()) return Problem(read_only, field + ".read_only", "must be true or false");
    spec.read_only = value.get<bool>();
  }
  if (const YAML::Node max_rows = sql["max_rows"]) {
    if (!max_rows.IsScalar() || !absl::SimpleAtoi(max_rows.Scalar(), &spec.max_rows) || spec.max_rows < 1 ||
        spec.max_rows > 10000) {
      return Problem(max_rows, field + ".max_rows", "must be a whole number from 1 to 10000");
    }
  }
  if (const YAML::Node timeout = sql["timeout"]) {
    if (auto parsed = ReadTimeout(timeout, field + ".timeout")) spec.timeout = *parsed;
  }
  if (const YAML::Node columns = sql["json_columns"]) {
    if (!columns.IsSequence()) return Problem(columns, field + ".json_columns", "must be a list of column names");
    for (const auto& column : columns) spec.json_columns.push_back(column.Scalar());
  }
}

// The YAML node a SqlTool error is about: "sql.query: ..." -> the query value, else the sql mapping.
YAML::Node SqlNodeForError(const YAML::Node& tool, absl::string_view message) {
  const YAML::Node sql = tool["sql"];
  for (const std::string& key : kSqlKeys) {
    if (absl::StartsWith(message, absl::StrCat("sql.", key)) && sql[key]) return sql[key];
  }
  return sql;
}

void Reader::ReadSqlTool(const YAML::Node& node, const std::string& field, chains::ToolDefinition definition) {
  const YAML::Node sql = node["sql"];
  if (!ExpectMap(sql, field + ".sql")) return;
  CheckKeys(sql, kSqlKeys, field + ".sql");
  const size_t problems_before = problems_.size();
  SqlToolSpec spec{.definition = std::move(definition)};
  std::optional<std::string> database = String(sql, "database", field + ".sql", true);
  std::optional<std::string> query = String(sql, "query", field + ".sql", true);
  ReadSqlOptions(sql, field + ".sql", spec);
  if (!database || !query || problems_.size() != problems_before) return;
  const auto found = databases_.find(*database);
  if (found == databases_.end() && broken_databases_.contains(*database)) return;
  if (found == databases_.end()) {
    std::vector<std::string> names;
    for (const auto& [name, unused] : databases_) names.push_back(name);
    return Problem(sql["database"], field + ".sql.database",
                   absl::StrCat("no database '", *database, "' under databases",
                                names.empty() ? "" : absl::StrCat(" (declared: ", absl::StrJoin(names, ", "), ")")));
  }
  spec.database = found->second;
  spec.query = *query;
  auto tool = NewSqlTool(std::move(spec));
  if (!tool.ok()) {
    const absl::string_view message = tool.status().message();
    return Problem(SqlNodeForError(node, message), field, message);
  }
  tools_.push_back(*std::move(tool));
}

}  // namespace

absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> ParseToolFile(std::string_view yaml,
                                                                              std::string_view file_name,
                                                                              const ToolFileOptions& options) {
  ToolFileOptions shared = options;
  if (shared.http_client == nullptr) shared.http_client = connectors::HttpClient::Create();
  return Reader(std::string(file_name), shared).Read(yaml);
}

absl::StatusOr<std::vector<std::shared_ptr<const chains::Tool>>> LoadToolFile(const std::filesystem::path& path,
                                                                             const ToolFileOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read tool file ", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return ParseToolFile(text.str(), path.string(), options);
}

}  // namespace catena::agents
