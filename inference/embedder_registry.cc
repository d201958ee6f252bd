#include "inference/embedder_registry.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace catena::inference {

absl::Status EmbedderRegistry::Register(std::shared_ptr<const Embedder> embedder) {
  if (embedder == nullptr) return absl::InvalidArgumentError("cannot register a null embedder");
  const std::string& name = embedder->info().name;
  if (name.empty()) return absl::InvalidArgumentError("cannot register an embedder without a name");
  absl::MutexLock lock(&mutex_);
  for (const auto& existing : embedders_) {
    if (existing->info().name == name) {
      return absl::AlreadyExistsError(absl::StrCat("an embedder named \"", name, "\" is already registered"));
    }
  }
  embedders_.push_back(std::move(embedder));
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const Embedder>> EmbedderRegistry::Find(std::string_view name) const {
  absl::MutexLock lock(&mutex_);
  if (embedders_.empty()) return absl::NotFoundError("no embedders are registered");
  if (name.empty()) return embedders_.front();
  std::vector<std::string> names;
  for (const auto& embedder : embedders_) {
    if (embedder->info().name == name) return embedder;
    names.push_back(embedder->info().name);
  }
  return absl::NotFoundError(
      absl::StrCat("unknown embedder \"", std::string(name), "\"; known: ", absl::StrJoin(names, ", ")));
}

std::vector<EmbedderInfo> EmbedderRegistry::List() const {
  absl::MutexLock lock(&mutex_);
  std::vector<EmbedderInfo> infos;
  infos.reserve(embedders_.size());
  for (const auto& embedder : embedders_) infos.push_back(embedder->info());
  return infos;
}

}  // namespace catena::inference
