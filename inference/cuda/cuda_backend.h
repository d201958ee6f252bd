// The CUDA backend (compiled only when CATENA_CUDA is on; backend_registry.cc registers it). This header is
// plain C++: CUDA state stays behind the BackendModel it returns. Decoders run on the first CUDA device;
// encoders (bert) are delegated to the CPU backend. Thread-safety as for every BackendModel.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "inference/backend.h"

namespace catena::inference {

// OK when a CUDA device can be used; FAILED_PRECONDITION naming the reason (no driver, no device) otherwise.
absl::Status CudaDeviceStatus();
// The name of device 0 ("NVIDIA H200"), or the reason there is none.
std::string CudaDeviceName();
// The CUDA backend; Load fails with FAILED_PRECONDITION when no device is present.
std::unique_ptr<Backend> NewCudaBackend(const BackendOptions& options);

}  // namespace catena::inference
