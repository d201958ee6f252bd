// RunState: input checking against the pipeline's declared inputs, and the checkpoint records of a run. A full
// state is JSON {pipeline_version, inputs, finished: {id: output}, skipped: [ids], routes: {router: [chosen]},
// interrupted_at: id|null, resume_data, progress?: {id: value}, progress_log?: {id: [delta]}} (progress: what
// unfinished nodes saved with NodeCall::SaveProgress; progress_log: what they appended since). It is written
// when a thread leaves the run after finishing nodes (synchronous nodes finished back to back share one), at an
// interrupt (synced) and at the end. Between full states, each NodeCall::AppendProgress is its own small record
// {"progress_delta": id, "value": delta}; LoadSeed reads the latest full state and replays the deltas after it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "chains/checkpoint_store.h"
#include "chains/run_state.h"
#include "common/status.h"

namespace catena::chains::internal {
namespace {

using Json = nlohmann::ordered_json;

bool HasType(const tmpl::Value& value, FieldType type) {
  switch (type) {
    case FieldType::kString:
      return value.is_string();
    case FieldType::kInt:
      return value.is_int();
    case FieldType::kNumber:
      return value.is_int() || value.is_float();
    case FieldType::kBool:
      return value.is_bool();
    case FieldType::kList:
      return value.is_list();
    case FieldType::kMap:
      return value.is_map();
    default:
      return true;
  }
}

absl::Status CheckUnknown(const CompiledPipeline& pipeline, const tmpl::Value& inputs) {
  const PipelineSpec& spec = pipeline.spec;
  for (const auto& [key, value] : inputs.map().entries()) {
    const std::string name = tmpl::ToStr(key);
    bool known =
        std::find(pipeline.extra_roots.begin(), pipeline.extra_roots.end(), name) != pipeline.extra_roots.end();
    for (const InputSpec& input : spec.inputs) known = known || input.name == name;
    if (known) continue;
    std::vector<std::string> names;
    for (const InputSpec& input : spec.inputs) names.push_back(input.name);
    return absl::InvalidArgumentError(absl::StrCat("input '", name, "' is not declared by pipeline '", spec.name,
                                                   "' (declared: ", absl::StrJoin(names, ", "), ")"));
  }
  return absl::OkStatus();
}

// Every progress delta record starts with this (full states start with {"pipeline_version").
constexpr char kDeltaPrefix[] = "{\"progress_delta\":";

Json ToJsonOrNull(const tmpl::Value& value) {
  absl::StatusOr<Json> json = tmpl::ToOrderedJson(value);
  return json.ok() ? *std::move(json) : Json();
}

// ToJsonOrNull's value as JSON text.
std::string JsonTextOrNull(const tmpl::Value& value) {
  absl::StatusOr<std::string> text = tmpl::ToJsonText(value);
  return text.ok() ? *std::move(text) : "null";
}

bool IsProgressDelta(const std::string& record) { return record.rfind(kDeltaPrefix, 0) == 0; }

// Appends the delta in `record` (step `step`) to its node's log in `seed` (dropped for nodes already done).
absl::Status ApplyDelta(const CompiledPipeline& pipeline, const std::string& record, int64_t step, RunSeed& seed) {
  Json json = Json::parse(record, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object() || !json["progress_delta"].is_string() || !json.contains("value")) {
    return absl::DataLossError(absl::StrCat("checkpoint ", step, ": malformed progress delta"));
  }
  const std::string id = json["progress_delta"].get<std::string>();
  if (IndexOfNode(pipeline, id) < 0) {
    return absl::DataLossError(absl::StrCat("checkpoint ", step, " names node '", id, "', which the pipeline lacks"));
  }
  for (const auto& [done, output] : seed.finished) {
    if (done == id) return absl::OkStatus();
  }
  auto it = std::find_if(seed.progress_log.begin(), seed.progress_log.end(),
                         [&](const auto& entry) { return entry.first == id; });
  if (it == seed.progress_log.end()) it = seed.progress_log.insert(it, {id, {}});
  it->second.push_back(json["value"].dump());
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<tmpl::Value> RunState::CheckInputs(const CompiledPipeline& pipeline, const tmpl::Value& inputs) {
  const PipelineSpec& spec = pipeline.spec;
  if (!inputs.is_map() && !inputs.is_undefined() && !inputs.is_none()) {
    return absl::InvalidArgumentError(absl::StrCat("inputs must be a mapping, got ", tmpl::TypeName(inputs)));
  }
  if (spec.inputs.empty()) return inputs.is_map() ? inputs : tmpl::Value::Dict();
  if (inputs.is_map()) CATENA_RETURN_IF_ERROR(CheckUnknown(pipeline, inputs));
  tmpl::Value checked = inputs.is_map() ? inputs : tmpl::Value::Dict();
  bool copied = !inputs.is_map();
  for (const InputSpec& input : spec.inputs) {
    const tmpl::Value* value = checked.map().Find(input.name);
    if (value == nullptr || value->is_none()) {
      if (input.required) return absl::InvalidArgumentError(absl::StrCat("input '", input.name, "' is required"));
      if (!input.default_value.has_value()) continue;
      if (!copied) {  // never mutate the caller's mapping
        checked = tmpl::Value::Dict();
        for (const auto& [key, field] : inputs.map().entries())
          CATENA_RETURN_IF_ERROR(checked.map().SetKey(key, field));
        copied = true;
      }
      checked.map().Set(input.name, SpecToValue(*input.default_value));
      continue;
    }
    if (!HasType(*value, input.type)) {
      return absl::InvalidArgumentError(absl::StrCat("input '", input.name, "' must be ",
                                                     std::string(FieldTypeName(input.type)), ", got ",
                                                     tmpl::TypeName(*value)));
    }
  }
  return checked;
}

std::string RunState::EncodeStateLocked() const {
  // Written as text directly (tmpl::ToJsonText): a finished agent's output makes most of a state, and building
  // a JSON tree of it first cost more than the rest of a step.
  std::string out = "{\"pipeline_version\":";
  out += JsonTextOrNull(tmpl::Value(pipeline_->version));
  out += ",\"inputs\":";
  out += JsonTextOrNull(inputs_);
  std::string finished, skipped, routes;
  Json progress = Json::object();
  Json progress_log = Json::object();
  const auto append = [](std::string& list, const std::string& item) {
    if (!list.empty()) list.push_back(',');
    list += item;
  };
  const int n = static_cast<int>(pipeline_->nodes.size());
  for (int i = 0; i < n; ++i) {
    const NodeSlot& slot = slots_[i];
    const std::string id = JsonTextOrNull(tmpl::Value(node(i).id));
    const bool done = slot.state == SlotState::kFinished || slot.state == SlotState::kSkipped;
    if (!slot.progress.is_undefined() && !done) progress[node(i).id] = ToJsonOrNull(slot.progress);
    if (!slot.progress_log.empty() && !done) {
      Json& log = progress_log[node(i).id] = Json::array();
      for (const std::string& delta : slot.progress_log) {
        Json json = Json::parse(delta, nullptr, /*allow_exceptions=*/false);
        log.push_back(json.is_discarded() ? Json() : std::move(json));
      }
    }
    if (slot.state == SlotState::kFinished) append(finished, absl::StrCat(id, ":", JsonTextOrNull(slot.output)));
    if (slot.state == SlotState::kSkipped) append(skipped, id);
    if (slot.state != SlotState::kFinished || node(i).route_targets.empty()) continue;
    std::string chosen;
    for (int target : slot.chosen) append(chosen, JsonTextOrNull(tmpl::Value(node(target).id)));
    append(routes, absl::StrCat(id, ":[", chosen, "]"));
  }
  absl::StrAppend(&out, ",\"finished\":{", finished, "},\"skipped\":[", skipped, "],\"routes\":{", routes, "}");
  out += ",\"interrupted_at\":";
  out += interrupted_at_ >= 0 ? JsonTextOrNull(tmpl::Value(node(interrupted_at_).id)) : "null";
  out += ",\"resume_data\":";
  out += JsonTextOrNull(resume_data_);
  constexpr auto kReplace = Json::error_handler_t::replace;  // invalid UTF-8 must not throw
  if (!progress.empty()) absl::StrAppend(&out, ",\"progress\":", progress.dump(-1, ' ', false, kReplace));
  if (!progress_log.empty()) absl::StrAppend(&out, ",\"progress_log\":", progress_log.dump(-1, ' ', false, kReplace));
  out.push_back('}');
  return out;
}

absl::Status RunState::CheckpointLocked(bool sync) {
  CheckpointStore* store = owner_->checkpoints();
  checkpoint_dirty_ = false;
  if (store == nullptr) return absl::OkStatus();
  return store->Put(tenant_, user_id_, run_id_, next_step_++, EncodeStateLocked(), sync);
}

std::string EncodeProgressDelta(const std::string& node_id, const std::string& delta_json) {
  return absl::StrCat(kDeltaPrefix, Json(node_id).dump(), ",\"value\":", delta_json, "}");
}

std::vector<tmpl::Value> DecodeProgressLog(const std::vector<std::string>& log) {
  std::vector<tmpl::Value> values;
  values.reserve(log.size());
  for (const std::string& delta : log) {
    Json json = Json::parse(delta, nullptr, /*allow_exceptions=*/false);
    values.push_back(json.is_discarded() ? tmpl::Value::None() : tmpl::Value::FromJson(json));
  }
  return values;
}

void RunState::RestoreLocked(const RunSeed& seed) {
  for (const auto& [id, output] : seed.finished) {
    const int index = IndexOfNode(*pipeline_, id);
    slots_[index].state = SlotState::kFinished;
    slots_[index].output = output;
    ++done_count_;
  }
  for (const std::string& id : seed.skipped) {
    slots_[IndexOfNode(*pipeline_, id)].state = SlotState::kSkipped;
    ++done_count_;
  }
  for (const auto& [router, chosen] : seed.routes) {
    std::vector<int>& targets = slots_[IndexOfNode(*pipeline_, router)].chosen;
    for (const std::string& id : chosen) targets.push_back(IndexOfNode(*pipeline_, id));
  }
  for (const auto& [id, progress] : seed.progress) slots_[IndexOfNode(*pipeline_, id)].progress = progress;
  for (const auto& [id, log] : seed.progress_log) slots_[IndexOfNode(*pipeline_, id)].progress_log = log;
  if (!seed.interrupted_at.empty()) resume_target_ = IndexOfNode(*pipeline_, seed.interrupted_at);
  if (seed.finished.empty() && seed.skipped.empty()) return;
  const int n = static_cast<int>(pipeline_->nodes.size());
  for (int i = 0; i < n; ++i) {
    if (plan_->pending[i] < 0 || slots_[i].state != SlotState::kPending) continue;
    int pending = 0;
    for (int dep : plan_->predecessors[i]) pending += slots_[dep].state == SlotState::kPending ? 1 : 0;
    slots_[i].pending = pending;
  }
  nodes_dirty_ = true;
}

absl::StatusOr<RunSeed> DecodeState(const CompiledPipeline& pipeline, const std::string& text) {
  Json state = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!state.is_object()) return absl::DataLossError("checkpoint state is not a JSON object");
  if (const std::string version = state.value("pipeline_version", ""); version != pipeline.version) {
    return absl::FailedPreconditionError(
        absl::StrCat("checkpoint was written by pipeline version '", version, "', not '", pipeline.version, "'"));
  }
  auto node_index = [&](const Json& id) -> absl::StatusOr<std::string> {
    if (!id.is_string() || IndexOfNode(pipeline, id.get<std::string>()) < 0) {
      return absl::DataLossError(absl::StrCat("checkpoint names node ", id.dump(), ", which the pipeline lacks"));
    }
    return id.get<std::string>();
  };
  RunSeed seed;
  seed.inputs = tmpl::Value::FromJson(state.value("inputs", Json::object()));
  const Json finished = state.value("finished", Json::object());
  const Json skipped = state.value("skipped", Json::array());
  const Json routes = state.value("routes", Json::object());
  if (!finished.is_object() || !skipped.is_array() || !routes.is_object()) {
    return absl::DataLossError("checkpoint state: finished/skipped/routes have the wrong JSON types");
  }
  for (const auto& [id, output] : finished.items()) {
    CATENA_ASSIGN_OR_RETURN(std::string name, node_index(Json(id)));
    seed.finished.emplace_back(std::move(name), tmpl::Value::FromJson(output));
  }
  for (const Json& id : skipped) {
    CATENA_ASSIGN_OR_RETURN(std::string name, node_index(id));
    seed.skipped.push_back(std::move(name));
  }
  for (const auto& [router, chosen] : routes.items()) {
    CATENA_ASSIGN_OR_RETURN(std::string name, node_index(Json(router)));
    seed.routes.emplace_back(std::move(name), std::vector<std::string>());
    for (const Json& id : chosen) {
      CATENA_ASSIGN_OR_RETURN(std::string target, node_index(id));
      seed.routes.back().second.push_back(std::move(target));
    }
  }
  const Json progress = state.value("progress", Json::object());
  if (!progress.is_object()) return absl::DataLossError("checkpoint state: progress is not an object");
  for (const auto& [id, value] : progress.items()) {
    CATENA_ASSIGN_OR_RETURN(std::string name, node_index(Json(id)));
    seed.progress.emplace_back(std::move(name), tmpl::Value::FromJson(value));
  }
  const Json progress_log = state.value("progress_log", Json::object());
  if (!progress_log.is_object()) return absl::DataLossError("checkpoint state: progress_log is not an object");
  for (const auto& [id, deltas] : progress_log.items()) {
    CATENA_ASSIGN_OR_RETURN(std::string name, node_index(Json(id)));
    if (!deltas.is_array()) return absl::DataLossError("checkpoint state: a progress_log entry is not a list");
    seed.progress_log.emplace_back(std::move(name), std::vector<std::string>());
    for (const Json& delta : deltas) seed.progress_log.back().second.push_back(delta.dump());
  }
  const Json interrupted = state.value("interrupted_at", Json());
  if (!interrupted.is_null()) {
    CATENA_ASSIGN_OR_RETURN(seed.interrupted_at, node_index(interrupted));
  }
  return seed;
}

absl::StatusOr<RunSeed> LoadSeed(const CompiledPipeline& pipeline, const CheckpointStore& store,
                                 std::string_view tenant, std::string_view run_id) {
  CATENA_ASSIGN_OR_RETURN(StoredCheckpoint stored, store.Latest(tenant, run_id));
  const int64_t latest = stored.step;
  std::vector<StoredCheckpoint> deltas;  // newest first
  while (IsProgressDelta(stored.state)) {
    if (stored.step == 0) return absl::DataLossError("checkpoint 0 is a progress delta, not a run state");
    const int64_t previous = stored.step - 1;
    deltas.push_back(std::move(stored));
    CATENA_ASSIGN_OR_RETURN(stored, store.Get(tenant, run_id, previous));
  }
  CATENA_ASSIGN_OR_RETURN(RunSeed seed, DecodeState(pipeline, stored.state));
  for (auto it = deltas.rbegin(); it != deltas.rend(); ++it) {
    CATENA_RETURN_IF_ERROR(ApplyDelta(pipeline, it->state, it->step, seed));
  }
  seed.next_step = latest + 1;
  return seed;
}

}  // namespace catena::chains::internal
