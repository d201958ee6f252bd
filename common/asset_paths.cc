#include "common/asset_paths.h"

#include <cstdlib>

namespace catena {
namespace {

std::filesystem::path FromEnvOrHome(const char* variable, const char* below_home) {
  if (const char* dir = std::getenv(variable); dir != nullptr && *dir != '\0') return dir;
  const char* home = std::getenv("HOME");
  return std::filesystem::path(home != nullptr ? home : ".") / below_home;
}

}  // namespace

std::filesystem::path DefaultAssetDir() { return FromEnvOrHome("CATENA_ASSET_DIR", ".cache/catena/assets"); }

std::filesystem::path DefaultCacheDir() { return FromEnvOrHome("CATENA_CACHE_DIR", ".cache/catena"); }

}  // namespace catena
