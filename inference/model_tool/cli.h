// The `catena-model` command line (info, make-tiny), kept in a library so tests drive it without a process.
// Each call is independent; safe from any thread as long as the streams are not shared.
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "inference/model_tool/tiny_model.h"

namespace catena::inference::model_tool {

// The usage text printed by --help and after argument errors.
std::string Usage();

// Parses the arguments after "make-tiny" (and the output path); INVALID_ARGUMENT naming the bad option.
struct MakeTinyRequest {
  TinyModelOptions options;
  std::string out_path;
};
absl::StatusOr<MakeTinyRequest> ParseMakeTiny(const std::vector<std::string>& args);

// Runs `catena-model args...` (args excludes the program name). Returns the exit code: 0 success,
// 1 the command failed (message on `err`), 2 bad usage.
int RunModelTool(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace catena::inference::model_tool
