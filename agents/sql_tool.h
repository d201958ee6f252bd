// SqlTool: a chains::Tool that runs one SQL statement on a SQLite database, declared in a tool file
// (agents/tool_file.h, docs/agents.md "SQL tools"). The call's arguments are bound to the statement's :name
// parameters (never spliced into the SQL text); rows come back as a JSON array of objects. Each call opens its own
// connection (read-only unless the tool writes), so the tool is immutable and thread-safe; SQLite serializes writers.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "chains/tool.h"

namespace catena::agents {

struct SqlToolSpec {
  chains::ToolDefinition definition;          // every :name of the query must be a property of its parameters schema
  std::filesystem::path database;             // an existing SQLite file
  std::string query;                          // exactly one statement
  bool read_only = true;                      // false: the connection may write (INSERT/UPDATE/DELETE)
  int max_rows = 100;                         // rows returned at most (1..10000); the rest are not read
  absl::Duration timeout = absl::Seconds(5);  // per call, shortened by the caller's deadline
  std::vector<std::string> json_columns;      // columns whose text is JSON (e.g. json_group_array) parsed as such
};

// Builds the tool: prepares the query against the database, so a syntax error, an unknown table or column, more
// than one statement, a positional or unknown parameter, or a writing statement in a read-only tool is an
// INVALID_ARGUMENT naming the field ("sql.query: no such column: cardd").
absl::StatusOr<std::shared_ptr<const chains::Tool>> NewSqlTool(SqlToolSpec spec);

// Creates the SQLite file `database` by running the SQL script `init_script` when the file does not exist yet
// (into a temporary file renamed into place, so a failed script leaves nothing); OK when it exists. Creates
// missing parent folders. NOT_FOUND when the script cannot be read; INVALID_ARGUMENT with SQLite's message when
// the script fails.
absl::Status EnsureSqliteDatabase(const std::filesystem::path& database, const std::filesystem::path& init_script);

}  // namespace catena::agents
