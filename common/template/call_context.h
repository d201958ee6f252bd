// CallContext: the services a render offers to filters, tests, globals and methods (Python-style str(),
// truth and iteration with the configured undefined policy, nested calls, resource accounting).
// Implemented by the Renderer; one instance per render, used from one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/template/options.h"
#include "common/template/value.h"

namespace catena::tmpl {

class CallContext {
 public:
  virtual ~CallContext() = default;

  // Options of the template being rendered.
  virtual const TemplateOptions& options() const = 0;
  // Python str(); an undefined value is "" or, with strict_undefined, an error naming it.
  virtual absl::StatusOr<std::string> Str(const Value& v) = 0;
  // Python bool(); undefined is false or, with strict_undefined, an error.
  virtual absl::StatusOr<bool> Truth(const Value& v) = 0;
  // Python iter() materialized: list items, dict keys, string characters; undefined is empty or an error.
  virtual absl::StatusOr<std::vector<Value>> Iterate(const Value& v) = 0;
  // Calls a callable value (macro, global, bound method).
  virtual absl::StatusOr<Value> Call(const Value& callee, CallArgs args) = 0;
  // jinja2 getattr(obj, name): attribute (method) first, then item; missing yields undefined.
  virtual absl::StatusOr<Value> GetAttr(const Value& obj, std::string_view name) = 0;
  // Fails with RESOURCE_EXHAUSTED when a built value of `bytes` bytes exceeds max_output_bytes.
  virtual absl::Status CheckSize(size_t bytes) const = 0;
  // Counts loop-like work against max_loop_iterations.
  virtual absl::Status CountIterations(int64_t n) = 0;
};

// Error for using an undefined value: "'path' is undefined".
absl::Status UndefinedError(const Value& v);

}  // namespace catena::tmpl
