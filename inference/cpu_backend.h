// CpuBackend: runs TransformerSpecs on the CPU with the kernels of kernels.h, reading weights in place from
// the memory-mapped GGUF file. One ComputePool per loaded model; forward passes of its sessions are
// serialized by the model (each uses every worker thread).
#pragma once

#include <memory>

#include "inference/backend.h"

namespace catena::inference {

// The CPU backend with `options.threads` workers per loaded model.
std::unique_ptr<Backend> NewCpuBackend(const BackendOptions& options);

}  // namespace catena::inference
