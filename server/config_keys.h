// Short constructors for the typed ConfigKey declarations of catenad's configuration (server_config.cc,
// remote_services_config.cc): a key's path, default, help and limits in one call. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/config.h"

namespace catena::server {

// An integer key with the default `value` and the inclusive range [min, max].
inline ConfigKey IntKey(std::string path, int64_t value, int64_t min, int64_t max, std::string help) {
  return ConfigKey{.path = std::move(path),
                   .type = ConfigType::kInt,
                   .default_value = absl::StrCat(value),
                   .help = std::move(help),
                   .min = min,
                   .max = max};
}

// A string key; `allowed`, when not empty, lists the only values accepted.
inline ConfigKey StringKey(std::string path, std::string value, std::string help,
                           std::vector<std::string> allowed = {}) {
  return ConfigKey{.path = std::move(path),
                   .type = ConfigType::kString,
                   .default_value = std::move(value),
                   .help = std::move(help),
                   .allowed_values = std::move(allowed)};
}

// A boolean key.
inline ConfigKey BoolKey(std::string path, bool value, std::string help) {
  return ConfigKey{.path = std::move(path),
                   .type = ConfigType::kBool,
                   .default_value = value ? "true" : "false",
                   .help = std::move(help)};
}

}  // namespace catena::server
