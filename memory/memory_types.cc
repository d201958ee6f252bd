#include "memory/memory_types.h"

namespace catena::memory {

const char* RoleName(Role role) {
  switch (role) {
    case Role::kSystem:
      return "system";
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
    case Role::kUnspecified:
      break;
  }
  return "unspecified";
}

}  // namespace catena::memory
