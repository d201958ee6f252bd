// Status helpers shared by every component: absl::Status / absl::StatusOr<T> cross module boundaries,
// and these macros keep early returns short. Header-only; safe to include anywhere.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"

#define CATENA_STATUS_CONCAT_INNER_(a, b) a##b
#define CATENA_STATUS_CONCAT_(a, b) CATENA_STATUS_CONCAT_INNER_(a, b)

// Evaluates `expr` (an absl::Status); returns it from the enclosing function when it is not OK.
#define CATENA_RETURN_IF_ERROR(expr)                                    \
  do {                                                                  \
    if (::absl::Status catena_status_ = (expr); !catena_status_.ok()) { \
      return catena_status_;                                            \
    }                                                                   \
  } while (false)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status, otherwise moves the value into `lhs`,
// which may be a declaration (`auto x`) or an existing variable.
#define CATENA_ASSIGN_OR_RETURN(lhs, rexpr) \
  CATENA_ASSIGN_OR_RETURN_IMPL_(CATENA_STATUS_CONCAT_(catena_statusor_, __LINE__), lhs, rexpr)

#define CATENA_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                  \
  if (!statusor.ok()) {                                     \
    return std::move(statusor).status();                    \
  }                                                         \
  lhs = std::move(statusor).value()

namespace catena {

// Returns `status` with `context` prepended to its message ("context: message"); OK stays OK.
inline absl::Status Annotate(const absl::Status& status, absl::string_view context) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(context, ": ", status.message()));
}

}  // namespace catena
