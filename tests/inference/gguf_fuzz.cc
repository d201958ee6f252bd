// libFuzzer target for the GGUF reader: any bytes must give either a valid GgufFile whose tensors lie inside
// the input or an INVALID_ARGUMENT / DATA_LOSS status; never a crash, leak or out-of-bounds read (ASan).
// Built only with -DCATENA_FUZZ=ON (clang); see inference/README.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "inference/gguf.h"
#include "inference/model_tool/model_info.h"

using catena::inference::DequantizeRow;
using catena::inference::GgufFile;
using catena::inference::RowBytes;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto file = GgufFile::FromBytes(std::string(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!file.ok()) {
    const auto code = file.status().code();
    if (code != absl::StatusCode::kInvalidArgument && code != absl::StatusCode::kDataLoss) std::abort();
    return 0;
  }
  // Touch every tensor (first row decoded, last byte read) and format the whole file as `info` would.
  for (const auto& tensor : (*file)->tensors()) {
    if (tensor.size_bytes > size) std::abort();
    std::vector<float> row(static_cast<size_t>(std::min<int64_t>(tensor.shape[0], 1 << 16)));
    if (row.size() == static_cast<size_t>(tensor.shape[0]) && RowBytes(tensor.type, tensor.shape[0]).ok()) {
      if (!DequantizeRow(tensor.type, tensor.data, row).ok()) std::abort();
    }
    volatile std::byte last = tensor.data[tensor.size_bytes - 1];
    (void)last;
  }
  volatile size_t described = catena::inference::model_tool::DescribeGguf(**file).size();
  (void)described;
  return 0;
}
