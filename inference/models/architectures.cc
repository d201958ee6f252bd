#include "inference/models/architectures.h"

#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"

namespace catena::inference::models {
namespace {

struct Architecture {
  std::string_view name;
  absl::StatusOr<TransformerSpec> (*build)(const GgufFile&);
};

// One line per architecture.
constexpr Architecture kArchitectures[] = {
    {"bert", BuildBertSpec},
    {"llama", BuildLlamaSpec},
    {"qwen2", BuildQwen2Spec},
};

}  // namespace

std::vector<std::string> SupportedArchitectures() {
  std::vector<std::string> names;
  for (const Architecture& arch : kArchitectures) names.emplace_back(arch.name);
  return names;
}

absl::StatusOr<TransformerSpec> BuildTransformerSpec(const GgufFile& file) {
  CATENA_ASSIGN_OR_RETURN(std::string name, file.metadata().GetString("general.architecture"));
  for (const Architecture& arch : kArchitectures) {
    if (arch.name == name) return arch.build(file);
  }
  return absl::UnimplementedError(absl::StrCat("model architecture '", name, "' is not supported (supported: ",
                                               absl::StrJoin(SupportedArchitectures(), ", "), ")"));
}

}  // namespace catena::inference::models
