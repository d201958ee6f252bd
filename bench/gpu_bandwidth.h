// Device memory bandwidth of the GPU the benchmark runs on, measured in the same run (gpu_bench): a read-only
// reduction kernel over a buffer far larger than L2 (the attainable rate of a decode step, which mostly reads
// weights) and a device-to-device copy. Best of several repetitions; GB = 1e9 bytes.
#pragma once

#include <cstdint>

namespace catena::bench {

struct GpuBandwidth {
  double read_gb_per_s = 0;  // bytes read / time
  double copy_gb_per_s = 0;  // (bytes read + bytes written) / time
};

// Measures over `bytes` (a multiple of 16) of device memory; zeros when CUDA fails (the reason on stderr).
GpuBandwidth MeasureGpuBandwidth(int64_t bytes = int64_t{2} << 30);

}  // namespace catena::bench
