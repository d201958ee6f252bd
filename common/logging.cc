// Logging setup: level/format parsing, the JSON-lines spdlog formatter (with strict JSON string escaping and
// UTF-8 repair so every line parses), and default-logger installation. spdlog exceptions stay in this file.
#include "common/logging.h"

#include <chrono>
#include <ctime>
#include <memory>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/template/text.h"
#include "spdlog/formatter.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/sinks/stdout_color_sinks.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace catena {
namespace {

constexpr std::string_view kAllowedLevels = "trace, debug, info, warn, error, critical, off";
constexpr std::string_view kTextPattern = "[%Y-%m-%dT%H:%M:%S.%eZ] [%n] [%^%l%$] %v";

std::string Lowercase(std::string_view text) {
  std::string lower(text);
  absl::AsciiStrToLower(&lower);
  return lower;
}

absl::StatusOr<spdlog::level::level_enum> ParseLevel(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "trace") return spdlog::level::trace;
  if (lower == "debug") return spdlog::level::debug;
  if (lower == "info") return spdlog::level::info;
  if (lower == "warn" || lower == "warning") return spdlog::level::warn;
  if (lower == "error") return spdlog::level::err;
  if (lower == "critical") return spdlog::level::critical;
  if (lower == "off") return spdlog::level::off;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown log level '", std::string(text), "' (allowed: ", std::string(kAllowedLevels), ")"));
}

void Append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }

void AppendEscapedAscii(spdlog::memory_buf_t& dest, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"':
      return Append(dest, "\\\"");
    case '\\':
      return Append(dest, "\\\\");
    case '\n':
      return Append(dest, "\\n");
    case '\r':
      return Append(dest, "\\r");
    case '\t':
      return Append(dest, "\\t");
    case '\b':
      return Append(dest, "\\b");
    case '\f':
      return Append(dest, "\\f");
    default:
      break;
  }
  if (c < 0x20 || c == 0x7F) {
    const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
    return Append(dest, std::string_view(escaped, sizeof(escaped)));
  }
  dest.push_back(static_cast<char>(c));
}

// Appends `text` as a quoted JSON string; malformed UTF-8 bytes become U+FFFD so the line stays valid JSON.
void AppendJsonString(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.push_back('"');
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      AppendEscapedAscii(dest, c);
      ++i;
      continue;
    }
    const size_t length = tmpl::text::ValidUtf8Length(text.substr(i));
    if (length == 0) {
      Append(dest, "\\ufffd");
      ++i;
      continue;
    }
    Append(dest, text.substr(i, length));
    i += length;
  }
  dest.push_back('"');
}

// RFC 3339 UTC with milliseconds: 2026-11-27T17:40:05.123Z.
void AppendTimestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[32];
  const size_t n = std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  Append(dest, std::string_view(buffer, n));
  const int millis = static_cast<int>(((since_epoch.count() % 1000) + 1000) % 1000);
  const char fraction[] = {'.', static_cast<char>('0' + millis / 100), static_cast<char>('0' + millis / 10 % 10),
                           static_cast<char>('0' + millis % 10), 'Z'};
  Append(dest, std::string_view(fraction, sizeof(fraction)));
}

// One JSON object per line: {"ts":...,"level":...,"logger":...,"msg":...}.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    Append(dest, "{\"ts\":\"");
    AppendTimestamp(dest, msg.time);
    Append(dest, "\",\"level\":");
    const auto level = spdlog::level::to_string_view(msg.level);
    AppendJsonString(dest, std::string_view(level.data(), level.size()));
    Append(dest, ",\"logger\":");
    AppendJsonString(dest, std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    Append(dest, ",\"msg\":");
    AppendJsonString(dest, std::string_view(msg.payload.data(), msg.payload.size()));
    Append(dest, "}\n");
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(LogFormat format) {
  if (format == LogFormat::kJson) return std::make_unique<JsonFormatter>();
  return std::make_unique<spdlog::pattern_formatter>(std::string(kTextPattern), spdlog::pattern_time_type::utc);
}

absl::Status Install(const LogOptions& options, spdlog::sink_ptr sink) {
  CATENA_ASSIGN_OR_RETURN(const spdlog::level::level_enum level, ParseLevel(options.level));
  try {
    auto logger = std::make_shared<spdlog::logger>(options.logger_name, std::move(sink));
    logger->set_formatter(MakeFormatter(options.format));
    logger->set_level(level);
    spdlog::set_default_logger(std::move(logger));
  } catch (const std::exception& e) {  // spdlog::spdlog_ex and allocation failures.
    return absl::InternalError(absl::StrCat("cannot set up logging: ", e.what()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text) {
  const std::string lower = Lowercase(text);
  if (lower == "text") return LogFormat::kText;
  if (lower == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(absl::StrCat("unknown log format '", std::string(text), "' (allowed: text, json)"));
}

absl::Status ValidateLogLevel(std::string_view level) { return ParseLevel(level).status(); }

absl::Status InitLogging(const LogOptions& options) {
  spdlog::sink_ptr sink;
  if (options.format == LogFormat::kJson) {
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  } else {
    sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  }
  return Install(options, std::move(sink));
}

absl::Status InitLogging(const LogOptions& options, std::ostream* out) {
  if (out == nullptr) return absl::InvalidArgumentError("InitLogging: output stream is null");
  return Install(options, std::make_shared<spdlog::sinks::ostream_sink_mt>(*out));
}

}  // namespace catena
