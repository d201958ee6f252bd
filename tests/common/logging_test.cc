// Tests for common/logging.h: level and format parsing, the text pattern, and JSON lines that always parse.
#include "common/logging.h"

#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace catena {
namespace {

// Restores the previous default logger when a test ends, so later tests never write to a dead stream.
class RestoreDefaultLogger {
 public:
  RestoreDefaultLogger() : saved_(spdlog::default_logger()) {}
  ~RestoreDefaultLogger() { spdlog::set_default_logger(saved_); }

 private:
  std::shared_ptr<spdlog::logger> saved_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_CASE("log formats parse case-insensitively and reject others", "[unit][logging]") {
  CHECK(ParseLogFormat("json").value() == LogFormat::kJson);
  CHECK(ParseLogFormat("Text").value() == LogFormat::kText);
  const absl::StatusOr<LogFormat> bad = ParseLogFormat("xml");
  CHECK(bad.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(bad.status().message() == "unknown log format 'xml' (allowed: text, json)");
}

TEST_CASE("logging rejects unknown levels and keeps the current logger", "[unit][logging]") {
  RestoreDefaultLogger restore;
  std::ostringstream out;
  REQUIRE(InitLogging(LogOptions{}, &out).ok());
  const absl::Status status = InitLogging(LogOptions{.level = "verbose"}, &out);
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(status.message() == "unknown log level 'verbose' (allowed: trace, debug, info, warn, error, critical, off)");
  CHECK(ValidateLogLevel("WARNING").ok());
  spdlog::info("still here");
  CHECK(out.str().find("still here") != std::string::npos);
}

TEST_CASE("text logs carry a UTC timestamp, logger name and level", "[unit][logging]") {
  RestoreDefaultLogger restore;
  std::ostringstream out;
  REQUIRE(InitLogging(LogOptions{.level = "info", .logger_name = "catenad"}, &out).ok());
  spdlog::info("serving on {}", 50051);
  spdlog::debug("hidden at info level");
  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 1);
  const std::regex pattern(R"(\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\] \[catenad\] \[info\] serving on 50051)");
  CHECK(std::regex_match(lines[0], pattern));
}

TEST_CASE("json logs are one parseable object per line with escaped messages", "[unit][logging]") {
  RestoreDefaultLogger restore;
  std::ostringstream out;
  REQUIRE(InitLogging(LogOptions{.level = "debug", .format = LogFormat::kJson, .logger_name = "catenad"}, &out).ok());
  const std::string tricky = "say \"hi\"\nback\\slash\ttab\x01\x1f del\x7f caf\xc3\xa9 \xe2\x82\xac";
  spdlog::warn("{}", tricky);
  spdlog::debug("plain");
  spdlog::trace("filtered out");
  spdlog::error("bad utf8 \xff\xc3 end");

  const std::vector<std::string> lines = Lines(out.str());
  REQUIRE(lines.size() == 3);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  CHECK(first.size() == 4);
  CHECK(first["level"] == "warning");
  CHECK(first["logger"] == "catenad");
  CHECK(first["msg"] == tricky);
  CHECK(lines[0].find("\\\"hi\\\"\\nback\\\\slash\\ttab\\u0001\\u001f del\\u007f") != std::string::npos);
  CHECK(nlohmann::json::parse(lines[1])["msg"] == "plain");
  CHECK(nlohmann::json::parse(lines[1])["level"] == "debug");
  CHECK(nlohmann::json::parse(lines[2])["msg"] == "bad utf8 \xef\xbf\xbd\xef\xbf\xbd end");
  CHECK(lines[0].rfind("{\"ts\":\"", 0) == 0);
}

TEST_CASE("json log timestamps are current UTC with milliseconds", "[unit][logging]") {
  RestoreDefaultLogger restore;
  std::ostringstream out;
  REQUIRE(InitLogging(LogOptions{.format = LogFormat::kJson}, &out).ok());
  const auto before = std::chrono::system_clock::now();
  spdlog::info("tick");
  const std::string ts = nlohmann::json::parse(Lines(out.str()).at(0))["ts"];
  const std::regex pattern(R"((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z)");
  std::smatch match;
  REQUIRE(std::regex_match(ts, match, pattern));
  std::tm utc{};
  utc.tm_year = std::stoi(match[1]) - 1900;
  utc.tm_mon = std::stoi(match[2]) - 1;
  utc.tm_mday = std::stoi(match[3]);
  utc.tm_hour = std::stoi(match[4]);
  utc.tm_min = std::stoi(match[5]);
  utc.tm_sec = std::stoi(match[6]);
  const auto logged =
      std::chrono::system_clock::from_time_t(timegm(&utc)) + std::chrono::milliseconds(std::stoi(match[7]));
  const auto skew = std::chrono::duration_cast<std::chrono::milliseconds>(logged - before).count();
  CHECK(skew >= -1);
  CHECK(skew < 5000);
}

TEST_CASE("logging level off silences everything", "[unit][logging]") {
  RestoreDefaultLogger restore;
  std::ostringstream out;
  REQUIRE(InitLogging(LogOptions{.level = "off"}, &out).ok());
  spdlog::critical("nothing");
  CHECK(out.str().empty());
}

}  // namespace
}  // namespace catena
