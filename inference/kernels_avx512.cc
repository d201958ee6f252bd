// The AVX-512 (F, BW, VL, DQ) row kernels (this file is compiled with those -m flags plus AVX2/FMA/F16C;
// kernels.cc calls into it only after checking the running CPU). Float types use 512-bit vectors; the
// quantized types share the 256-bit integer code with AVX2 but get 4 x 4 register tiles from 32 registers.
#define CATENA_SIMD_WIDTH 512

namespace catena::inference::kernels_internal {
namespace {
constexpr int kTileRows = 4;
constexpr int kTileBatch = 4;
}  // namespace
}  // namespace catena::inference::kernels_internal

#include "inference/kernels_simd.inc"

namespace catena::inference::kernels_internal {

const KernelTable* Avx512Kernels() {
  static constexpr KernelTable kTable = MakeTable("avx512");
  return &kTable;
}

}  // namespace catena::inference::kernels_internal
