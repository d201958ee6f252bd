#include "agents/sql_tool.h"

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>
#include <system_error>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "agents/function_tool.h"
#include "agents/tool_invoke.h"
#include "common/status.h"
#include "nlohmann/json.hpp"

namespace catena::agents {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr int kMaxRowsLimit = 10000;
constexpr int kProgressSteps = 1000;  // VM instructions between deadline checks

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// Opens `path` (never creating it unless SQLITE_OPEN_CREATE is in `flags`), one thread per connection, without
// ATTACH (a statement reaches only this file) and with SQLite's defensive mode (no writes to its own schema).
absl::StatusOr<Db> Open(const fs::path& path, int flags) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  Db db(raw);
  if (rc != SQLITE_OK) {
    return absl::FailedPreconditionError(absl::StrCat("cannot open the SQLite database ", path.string(), ": ",
                                                      db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  }
  sqlite3_limit(db.get(), SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  return db;
}

// Prepares exactly one statement of `sql`.
absl::StatusOr<Statement> PrepareOne(sqlite3* db, std::string_view sql) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  Statement statement(raw);
  if (rc != SQLITE_OK) return absl::InvalidArgumentError(sqlite3_errmsg(db));
  if (statement == nullptr) return absl::InvalidArgumentError("holds no SQL statement");
  sqlite3_stmt* next = nullptr;
  const int rest = static_cast<int>(sql.data() + sql.size() - tail);
  sqlite3_prepare_v2(db, tail, rest, &next, nullptr);
  if (next != nullptr) {
    sqlite3_finalize(next);
    return absl::InvalidArgumentError("holds more than one statement; a SQL tool runs exactly one");
  }
  return statement;
}

Json SchemaProperties(const chains::ToolDefinition& definition) {
  const Json schema = Json::parse(definition.parameters_json_schema, nullptr, false);
  if (!schema.is_object() || !schema.contains("properties") || !schema["properties"].is_object()) return Json::object();
  return schema["properties"];
}

// Every parameter must be written :name with `name` a property of the arguments schema.
absl::Status CheckParameters(sqlite3_stmt* statement, const chains::ToolDefinition& definition) {
  const Json properties = SchemaProperties(definition);
  std::vector<std::string> known;
  for (const auto& [name, unused] : properties.items()) known.push_back(name);
  for (int i = 1; i <= sqlite3_bind_parameter_count(statement); ++i) {
    const char* name = sqlite3_bind_parameter_name(statement, i);
    if (name == nullptr || name[0] == '?') {
      return absl::InvalidArgumentError(
          "positional parameters (?) are not supported; write :name for a property "
          "of parameters");
    }
    if (name[0] != ':') {
      return absl::InvalidArgumentError(absl::StrCat("write parameters as :name, not ", name));
    }
    if (!properties.contains(name + 1)) {
      return absl::InvalidArgumentError(absl::StrCat("parameter ", name, " is not a property of parameters (",
                                                     known.empty() ? "it has none" : absl::StrJoin(known, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckJsonColumns(sqlite3_stmt* statement, const std::vector<std::string>& json_columns) {
  std::vector<std::string> columns;
  for (int i = 0; i < sqlite3_column_count(statement); ++i) columns.push_back(sqlite3_column_name(statement, i));
  for (const std::string& wanted : json_columns) {
    if (std::find(columns.begin(), columns.end(), wanted) != columns.end()) continue;
    return absl::InvalidArgumentError(
        absl::StrCat("the query has no result column '", wanted, "' (columns: ", absl::StrJoin(columns, ", "), ")"));
  }
  return absl::OkStatus();
}

// Binds each :name to args[name]: strings as text, integers, numbers, booleans as 0/1, absent or null as NULL,
// lists and objects as their JSON text.
void Bind(sqlite3_stmt* statement, const Json& args) {
  for (int i = 1; i <= sqlite3_bind_parameter_count(statement); ++i) {
    const auto found = args.find(sqlite3_bind_parameter_name(statement, i) + 1);
    if (found == args.end() || found->is_null()) {
      sqlite3_bind_null(statement, i);
    } else if (found->is_string()) {
      const std::string& text = found->get_ref<const std::string&>();
      sqlite3_bind_text64(statement, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (found->is_boolean()) {
      sqlite3_bind_int(statement, i, found->get<bool>() ? 1 : 0);
    } else if (found->is_number_integer() && !found->is_number_unsigned()) {
      sqlite3_bind_int64(statement, i, found->get<int64_t>());
    } else if (found->is_number()) {
      sqlite3_bind_double(statement, i, found->get<double>());
    } else {
      const std::string text = found->dump();
      sqlite3_bind_text64(statement, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
  }
}

Json ColumnValue(sqlite3_stmt* statement, int column, bool is_json) {
  switch (sqlite3_column_type(statement, column)) {
    case SQLITE_INTEGER:
      return static_cast<int64_t>(sqlite3_column_int64(statement, column));
    case SQLITE_FLOAT: {
      const double value = sqlite3_column_double(statement, column);
      return std::isfinite(value) ? Json(value) : Json(nullptr);
    }
    case SQLITE_TEXT: {
      const std::string text(reinterpret_cast<const char*>(sqlite3_column_text(statement, column)),
                             sqlite3_column_bytes(statement, column));
      if (!is_json) return text;
      Json parsed = Json::parse(text, nullptr, false);
      return parsed.is_discarded() ? Json(text) : parsed;
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const char*>(sqlite3_column_blob(statement, column));
      return absl::Base64Escape(absl::string_view(data, sqlite3_column_bytes(statement, column)));
    }
    default:
      return nullptr;
  }
}

// Stops a running statement at the deadline or when the run is cancelled (the progress handler's answer).
struct Watch {
  absl::Time deadline;
  const std::function<bool()>* cancelled = nullptr;
  bool was_cancelled = false;
  static int Check(void* data) {
    auto* watch = static_cast<Watch*>(data);
    if (*watch->cancelled && (*watch->cancelled)()) watch->was_cancelled = true;
    return watch->was_cancelled || absl::Now() >= watch->deadline ? 1 : 0;
  }
};

class SqlTool final : public chains::Tool {
 public:
  explicit SqlTool(SqlToolSpec spec) : spec_(std::move(spec)) {}
  absl::Status Prepare();
  const chains::ToolDefinition& definition() const override { return spec_.definition; }
  absl::StatusOr<chains::ToolOutput> Invoke(const chains::ToolCallContext& context,
                                            std::string_view arguments_json) const override;

 private:
  absl::Status StepError(int rc, sqlite3* db, const Watch& watch) const;

  SqlToolSpec spec_;
  std::vector<bool> json_column_;  // by result column index
};

absl::Status SqlTool::Prepare() {
  if (spec_.max_rows < 1 || spec_.max_rows > kMaxRowsLimit) {
    return absl::InvalidArgumentError(absl::StrCat("sql.max_rows must be from 1 to ", kMaxRowsLimit));
  }
  auto db = Open(spec_.database, SQLITE_OPEN_READONLY);
  if (!db.ok()) return absl::InvalidArgumentError(absl::StrCat("sql.database: ", db.status().message()));
  auto statement = PrepareOne(db->get(), spec_.query);
  if (!statement.ok()) return absl::InvalidArgumentError(absl::StrCat("sql.query: ", statement.status().message()));
  if (absl::Status named = CheckParameters(statement->get(), spec_.definition); !named.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("sql.query: ", named.message()));
  }
  if (spec_.read_only && !sqlite3_stmt_readonly(statement->get())) {
    return absl::InvalidArgumentError(
        "sql.query: the statement writes to the database; set read_only: false to "
        "allow it (and consider approval: always)");
  }
  if (absl::Status columns = CheckJsonColumns(statement->get(), spec_.json_columns); !columns.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("sql.json_columns: ", columns.message()));
  }
  for (int i = 0; i < sqlite3_column_count(statement->get()); ++i) {
    const std::string name = sqlite3_column_name(statement->get(), i);
    json_column_.push_back(std::find(spec_.json_columns.begin(), spec_.json_columns.end(), name) !=
                           spec_.json_columns.end());
  }
  return absl::OkStatus();
}

absl::Status SqlTool::StepError(int rc, sqlite3* db, const Watch& watch) const {
  if (rc == SQLITE_INTERRUPT) {
    if (watch.was_cancelled) return absl::CancelledError("the run was cancelled during the query");
    return absl::DeadlineExceededError(absl::StrCat("the query was stopped at its time limit (timeout ",
                                                    absl::FormatDuration(spec_.timeout), " or the call's deadline)"));
  }
  const std::string message = absl::StrCat("SQLite: ", sqlite3_errmsg(db));
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(absl::StrCat("the database is busy (", message, ")"));
    case SQLITE_READONLY:
      return absl::PermissionDeniedError(message);
    case SQLITE_CONSTRAINT:
      return absl::FailedPreconditionError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::StatusOr<chains::ToolOutput> SqlTool::Invoke(const chains::ToolCallContext& context,
                                                   std::string_view arguments_json) const {
  CATENA_ASSIGN_OR_RETURN(Json args, ParseToolArguments(spec_.definition.name, arguments_json));
  Watch watch{.deadline = std::min(context.deadline, absl::Now() + spec_.timeout), .cancelled = &context.cancelled};
  const absl::Duration left = watch.deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("the deadline passed before the query");
  CATENA_ASSIGN_OR_RETURN(Db db, Open(spec_.database, spec_.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE));
  sqlite3_busy_timeout(db.get(), static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(left), 1, INT32_MAX)));
  sqlite3_progress_handler(db.get(), kProgressSteps, &Watch::Check, &watch);
  auto statement = PrepareOne(db.get(), spec_.query);
  if (!statement.ok()) {
    return absl::FailedPreconditionError(absl::StrCat("the query no longer compiles: ", statement.status().message()));
  }
  Bind(statement->get(), args);
  Json rows = Json::array();
  int rc = SQLITE_OK;
  const int columns = sqlite3_column_count(statement->get());
  while ((rc = sqlite3_step(statement->get())) == SQLITE_ROW) {
    if (rows.size() == static_cast<size_t>(spec_.max_rows)) break;
    Json row = Json::object();
    for (int i = 0; i < columns; ++i) {
      const bool is_json = static_cast<size_t>(i) < json_column_.size() && json_column_[i];
      row[sqlite3_column_name(statement->get(), i)] = ColumnValue(statement->get(), i, is_json);
    }
    rows.push_back(std::move(row));
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return StepError(rc, db.get(), watch);
  if (columns == 0) return JsonOutput(Json{{"changes", sqlite3_changes(db.get())}});
  return JsonOutput(rows);
}

absl::StatusOr<std::string> ReadScript(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read the init script ", path.string()));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<const chains::Tool>> NewSqlTool(SqlToolSpec spec) {
  auto tool = std::make_shared<SqlTool>(std::move(spec));
  CATENA_RETURN_IF_ERROR(tool->Prepare());
  return tool;
}

absl::Status EnsureSqliteDatabase(const fs::path& database, const fs::path& init_script) {
  std::error_code error;
  if (fs::exists(database, error)) return absl::OkStatus();
  CATENA_ASSIGN_OR_RETURN(std::string script, ReadScript(init_script));
  if (database.has_parent_path()) fs::create_directories(database.parent_path(), error);
  static std::atomic<int> counter{0};
  const fs::path temporary = absl::StrCat(database.string(), ".init-", getpid(), "-", counter++);
  fs::remove(temporary, error);
  absl::Status status = [&]() -> absl::Status {
    CATENA_ASSIGN_OR_RETURN(Db db, Open(temporary, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE));
    // A temporary file: no journal, no fsync per statement; the rename below publishes it.
    sqlite3_exec(db.get(), "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", nullptr, nullptr, nullptr);
    char* message = nullptr;
    if (sqlite3_exec(db.get(), script.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message != nullptr ? message : sqlite3_errmsg(db.get());
      sqlite3_free(message);
      return absl::InvalidArgumentError(absl::StrCat("init script ", init_script.string(), ": ", text));
    }
    return absl::OkStatus();
  }();
  if (status.ok()) {
    fs::rename(temporary, database, error);
    if (error) status = absl::InternalError(absl::StrCat("cannot create ", database.string(), ": ", error.message()));
  }
  if (!status.ok()) fs::remove(temporary, error);
  return status;
}

}  // namespace catena::agents
