// Process-wide logging setup on spdlog: InitLogging configures spdlog's default logger (stderr, text or JSON
// lines); code everywhere else logs with spdlog::info(...) and friends directly.
// Call InitLogging at startup (and in tests) before other threads log: it swaps the default logger.
#pragma once

#include <ostream>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace catena {

// kText: human-readable lines; kJson: one JSON object per line
// ({"ts":"2026-11-27T17:40:05.123Z","level":"info","logger":"catenad","msg":"..."}).
enum class LogFormat { kText, kJson };

struct LogOptions {
  std::string level = "info";  // trace, debug, info, warn (or warning), error, critical, off.
  LogFormat format = LogFormat::kText;
  std::string logger_name = "catenad";  // The "logger" field / [name] in every line.
};

// Parses "text" or "json" (case-insensitive); anything else is INVALID_ARGUMENT naming the allowed values.
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text);

// Returns OK when `level` is a log level InitLogging accepts; otherwise INVALID_ARGUMENT naming the allowed ones.
absl::Status ValidateLogLevel(std::string_view level);

// Makes spdlog's default logger write to stderr with `options`; on error the current logger is left unchanged.
absl::Status InitLogging(const LogOptions& options);

// As above but writes to `out` (not owned, not null; must outlive the logger, i.e. until the next InitLogging).
absl::Status InitLogging(const LogOptions& options, std::ostream* out);

}  // namespace catena
