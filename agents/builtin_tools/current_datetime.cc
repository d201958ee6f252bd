// current_datetime: the current date and time in an IANA time zone (UTC by default), with its offset and weekday.
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "agents/builtin_tools.h"
#include "agents/function_tool.h"

namespace catena::agents {
namespace {

absl::StatusOr<chains::ToolOutput> Now(const std::function<absl::Time()>& clock, const nlohmann::ordered_json& args) {
  const std::string name = args.contains("timezone") ? args["timezone"].get<std::string>() : "UTC";
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(name, &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown time zone '", name,
                                                   "'; use an IANA name such as Europe/Berlin or America/New_York"));
  }
  const absl::Time now = clock ? clock() : absl::Now();
  return JsonOutput({{"datetime", absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", now, zone)},
                     {"timezone", name},
                     {"weekday", absl::FormatTime("%A", now, zone)},
                     {"unix_seconds", absl::ToUnixSeconds(now)}});
}

}  // namespace

std::shared_ptr<const chains::Tool> NewCurrentDatetimeTool(std::function<absl::Time()> now) {
  chains::ToolDefinition definition{
      .name = "current_datetime",
      .description = "The current date and time (ISO-8601 with UTC offset) and weekday in a time zone.",
      .parameters_json_schema = R"({"type":"object","properties":{"timezone":{"type":"string","minLength":1,)"
                                R"("description":"IANA time zone, e.g. Europe/Berlin; default UTC"}},)"
                                R"("additionalProperties":false})",
      .source = "builtin"};
  return MakeFunctionTool(std::move(definition),
                          [clock = std::move(now)](const chains::ToolCallContext&, const nlohmann::ordered_json& args) {
                            return Now(clock, args);
                          });
}

}  // namespace catena::agents
