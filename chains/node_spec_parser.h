// Reads one node of a pipeline file (type, with, needs, when, join and the policies timeout, retry, fallback,
// cache) into a NodeSpec. Used by pipeline_spec.cc for files and nested bodies; reports into the caller's
// ProblemList. Not synchronized.
#pragma once

#include <string>

#include "chains/pipeline_spec.h"
#include "chains/problems.h"

namespace catena::chains {

// The node `id` written as `value`; problems name the node `problem_node` ("owner/id" inside bodies).
NodeSpec ParseNodeSpec(const std::string& id, const SpecValue& value, const std::string& problem_node,
                       ProblemList& problems);

}  // namespace catena::chains
