// `catena pipeline trace RUN_ID`: a stored run trace (PipelineService.GetRun), one line per event.
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "catena/v1/pipeline.grpc.pb.h"
#include "cli/cli_command.h"
#include "cli/pipeline_cli.h"

namespace catena::cli {
namespace {

std::string FormatTime(int64_t unix_ms) {
  if (unix_ms == 0) return "-";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

// "kind node=... detail" of one event.
std::string DescribeEvent(const v1::RunEvent& event) {
  switch (event.event_case()) {
    case v1::RunEvent::kRunStarted:
      return absl::StrCat("run_started ", StructJson(event.run_started().inputs()));
    case v1::RunEvent::kNodeStarted:
      return absl::StrCat("node_started ", event.node_started().node(), " (", event.node_started().node_type(), ")");
    case v1::RunEvent::kNodeFinished:
      return absl::StrCat("node_finished ", event.node_finished().node(), " ",
                          absl::StrFormat("%.1fms ", event.node_finished().duration_ms()),
                          StructJson(event.node_finished().output()));
    case v1::RunEvent::kNodeSkipped:
      return absl::StrCat("node_skipped ", event.node_skipped().node());
    case v1::RunEvent::kToken:
      return absl::StrCat("token ", event.token().node(), " \"", event.token().text_delta(), "\"");
    case v1::RunEvent::kRetrieved:
      return absl::StrCat("retrieved ", event.retrieved().node(), " ", event.retrieved().documents_size(),
                          " documents");
    case v1::RunEvent::kToolCall:
      return absl::StrCat("tool_call ", event.tool_call().node(), " ", event.tool_call().call().name(), " ",
                          event.tool_call().call().arguments_json());
    case v1::RunEvent::kToolResult:
      return absl::StrCat("tool_result ", event.tool_result().node(), " ", event.tool_result().result_json());
    case v1::RunEvent::kInterrupt:
      return absl::StrCat("interrupt ", event.interrupt().node(), ": ", event.interrupt().reason());
    case v1::RunEvent::kFinal:
      return absl::StrCat("final ", StructJson(event.final().outputs()));
    case v1::RunEvent::kError:
      return absl::StrCat("error ", event.error().node(), ": ", event.error().message());
    default:
      return "unknown";
  }
}

}  // namespace

int RunTrace(const sdk::Client& client, const std::string& run_id) {
  v1::GetRunRequest request;
  request.set_run_id(run_id);
  auto found = client.pipelines().GetRun(request);
  if (!found.ok()) return Fail(found.status(), client.options().address);
  const v1::RunTrace& trace = *found;
  const std::string pipeline = trace.pipeline().empty() ? "(inline)" : trace.pipeline();
  std::printf("run %s\npipeline %s version %s\nstate %s\nstarted %s finished %s\ninputs %s\n", trace.run_id().c_str(),
              pipeline.c_str(), trace.version().substr(0, 12).c_str(), trace.state().c_str(),
              FormatTime(trace.started_at_unix_ms()).c_str(), FormatTime(trace.finished_at_unix_ms()).c_str(),
              StructJson(trace.inputs()).c_str());
  for (const v1::RunEvent& event : trace.events()) {
    std::printf("#%lld %s\n", static_cast<long long>(event.seq()), DescribeEvent(event).c_str());
  }
  if (trace.state() == "completed") std::printf("outputs %s\n", StructJson(trace.outputs()).c_str());
  std::printf("usage prompt=%d completion=%d total=%d\n", trace.usage().prompt_tokens(),
              trace.usage().completion_tokens(), trace.usage().total_tokens());
  if (trace.has_error()) {
    std::printf("error %s%s (code %d)\n",
                trace.error().node().empty() ? "" : ("node '" + trace.error().node() + "': ").c_str(),
                trace.error().message().c_str(), trace.error().code());
  }
  return 0;
}

}  // namespace catena::cli
