// CPU kernels of the inference runtime: products of quantized weight matrices with float activations, and the
// fused element-wise ops of transformer layers. Each entry point picks the best instruction set of the running
// CPU once (AVX-512 with or without VNNI, AVX2+FMA+F16C, or portable C++). Functions are stateless and thread-safe; the
// matrix products split their rows over the ComputePool they are given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "inference/compute_pool.h"
#include "inference/ggml_types.h"

namespace catena::inference {

// How the bytes of a weight row are arranged.
//  kGguf: as in the GGUF file, blocks in order (RowBytes(type, cols) bytes).
//  kGrouped4 (Q8_0 and Q4_0 only, written by PackForKernels): the row's blocks in groups of four, group g holding
//    blocks 4g..4g+3 (zeros past the last block). Quants first: Q8_0 puts 128 bytes per group, byte 32k + 8m + e
//    holding element 8k + e of block 4g + m (k, m < 4; e < 8); Q4_0 puts 64 bytes, whose byte 32p + j holds in its
//    low nibble the unsigned nibble Q8_0's order puts at byte 32p + j, and in its high nibble the one at byte
//    32(p + 2) + j. Then the four F16 scales of every group (8 bytes a group), and zero padding to a multiple of
//    32 bytes. Integer dot products then reduce four blocks per lane and need no shuffles (the AVX2 kernels).
enum class WeightLayout : uint8_t { kGguf, kGrouped4 };

// A row-major weight matrix: `rows` rows of `cols` elements, each `row_bytes` bytes in `layout`.
struct WeightView {
  GgmlType type = GgmlType::kF32;
  int64_t rows = 0;
  int64_t cols = 0;
  const std::byte* data = nullptr;
  int64_t row_bytes = 0;
  WeightLayout layout = WeightLayout::kGguf;
};

// A weight matrix repacked for the kernels; owns the bytes its view points to (64-byte aligned).
struct PackedWeights {
  WeightView view;
  std::shared_ptr<const std::byte[]> bytes;
};

// `w` (GGUF layout) repacked into the layout the active kernels read fastest, or nullopt when they read it best
// as it is (every type but Q8_0/Q4_0, and every table but AVX2's) or $CATENA_WEIGHT_PACKING is "0". Products of
// the packed view give bit for bit what the GGUF view gives on the same table; after SelectKernelIsa switches
// to a table without grouped kernels, they stay correct (each row is unpacked on the fly) but slower.
std::optional<PackedWeights> PackForKernels(const WeightView& w, ComputePool& pool);

// The instruction set the kernels use on this CPU: "avx512vnni", "avx512", "avx2" or "portable".
std::string_view KernelIsa();
// Switches every later call to `isa` (one of KernelIsa's names); false (and no change) when this CPU or
// build lacks it. For tests and benchmarks: call it while no kernel runs. $CATENA_KERNEL_ISA sets the start.
bool SelectKernelIsa(std::string_view isa);

// y[b * w.rows + r] = dot(row r of w, x + b * w.cols) for b < batch. Quantized types may quantize x on the
// fly (as ggml does with Q8 activations); the result stays within that quantization's error. `cols` must be a
// multiple of the type's block (the GGUF loader checks); otherwise every y is NaN.
void MatMul(const WeightView& w, const float* x, int64_t batch, float* y, ComputePool& pool);

// MatMul of several matrices that read the same x (a layer's q/k/v, or gate and up): x is quantized once and
// the rows of all of them share one pass over the pool. ys[i] gets bit for bit what MatMul(*weights[i]) gives.
void MatMulShared(std::span<const WeightView* const> weights, const float* x, int64_t batch, std::span<float* const> ys,
                  ComputePool& pool);

// Copies row `row` of `w` (an embedding table; any layout) into `out` as floats.
void DequantizeRowInto(const WeightView& w, int64_t row, std::span<float> out);

// out = x / sqrt(mean(x^2) + eps) * weight.
void RmsNorm(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out);
// out = (x - mean) / sqrt(var + eps) * weight + bias (BERT).
void LayerNorm(std::span<const float> x, std::span<const float> weight, std::span<const float> bias,
               float eps, std::span<float> out);
// In-place numerically stable softmax.
void Softmax(std::span<float> x);
// out[i] = silu(gate[i]) * up[i] (the SIMD tables use a polynomial e^x, relative error about 2e-7).
void SwiGlu(std::span<const float> gate, std::span<const float> up, std::span<float> out);
// In-place GELU (tanh approximation, as BERT GGUF models use).
void Gelu(std::span<float> x);
// x[i] += bias[i].
void AddInPlace(std::span<float> x, std::span<const float> bias);

// Rotary position embedding of one head vector in place. `inv_freq` has head_dim/2 entries (theta_i, with any
// rope scaling already applied). kAdjacentPairs rotates (x[2i], x[2i+1]) (llama); kHalves rotates
// (x[i], x[i + head_dim/2]) (NeoX style: qwen2).
enum class RopeStyle { kAdjacentPairs, kHalves };
void ApplyRope(std::span<float> head, std::span<const float> inv_freq, int64_t position, RopeStyle style);
// The rotation of one position: cos and sin of position * inv_freq[i] (in double, rounded to float). With
// ApplyRopeCosSin it gives exactly ApplyRope's result; one table serves every head of every layer.
void RopeCosSin(std::span<const float> inv_freq, int64_t position, std::span<float> cos, std::span<float> sin);
void ApplyRopeCosSin(std::span<float> head, std::span<const float> cos, std::span<const float> sin, RopeStyle style);

// Single-query attention over `n_keys` cached positions: out = softmax(scale * K q) V, where key j is at
// keys + j * kv_stride and value j at values + j * kv_stride, each head_dim floats.
void Attend(const float* q, const float* keys, const float* values, int64_t n_keys, int64_t head_dim,
            int64_t kv_stride, float scale, float* out);

}  // namespace catena::inference
