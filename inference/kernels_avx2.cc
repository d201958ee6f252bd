// The AVX2 + FMA + F16C row kernels (this file is compiled with -mavx2 -mfma -mf16c; kernels.cc calls into it
// only after checking the running CPU). Register tiles of 4 weight rows x 2 activation rows fit 16 ymm registers.
#define CATENA_SIMD_WIDTH 256

namespace catena::inference::kernels_internal {
namespace {
constexpr int kTileRows = 4;
constexpr int kTileBatch = 2;
}  // namespace
}  // namespace catena::inference::kernels_internal

#include "inference/kernels_simd.inc"

namespace catena::inference::kernels_internal {

const KernelTable* Avx2Kernels() {
  static constexpr KernelTable kTable = MakeTable("avx2");
  return &kTable;
}

}  // namespace catena::inference::kernels_internal
