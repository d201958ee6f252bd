// The AVX2+FMA build of the hnswlib graph (compiled with -mavx2 -mfma; only called after a CPU check).
// hnswlib's namespace and its global CPU-detection helpers are renamed so they cannot clash with the
// generic build in hnsw_index.cc.
#include <cpuid.h>
#include <x86intrin.h>

#include <algorithm>
#include <memory>

#define hnswlib hnswlib_avx2
#define cpuid catena_hnswlib_avx2_cpuid
#define xgetbv catena_hnswlib_avx2_xgetbv
#define AVXCapable CatenaHnswlibAvx2AvxCapable
#define AVX512Capable CatenaHnswlibAvx2Avx512Capable
#include <hnswlib/hnswlib.h>

#include "retrieval/hnsw_index.h"

#define CATENA_HNSW_NS hnsw_avx2
#include "retrieval/hnsw_graph.inc"

namespace catena::retrieval {

std::unique_ptr<HnswGraph> MakeHnswGraphAvx2(const HnswGraphOptions& options) {
  return std::make_unique<hnsw_avx2::Graph>(options);
}

}  // namespace catena::retrieval
