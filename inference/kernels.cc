// Entry points of the CPU kernels: picks the instruction-set table once, quantizes activations for the
// quantized weight types, splits matrix rows over the pool, and implements the element-wise ops.
#include "inference/kernels.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "inference/kernels_internal.h"

namespace catena::inference {
namespace {

using kernels_internal::KernelTable;
using kernels_internal::QuantizedActivations;
using kernels_internal::RowTask;

// Rows per work chunk of a matrix product: whole register tiles, enough work to hide a claim.
constexpr int64_t kRowChunk = 64;

const KernelTable* SupportedTable(std::string_view isa) {
#if defined(__x86_64__)
  __builtin_cpu_init();
  if (isa == "avx512vnni") {
    return SupportedTable("avx512") != nullptr && __builtin_cpu_supports("avx512vnni")
               ? kernels_internal::Avx512VnniKernels()
               : nullptr;
  }
  if (isa == "avx512") {
    const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                    __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq") &&
                    __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok ? kernels_internal::Avx512Kernels() : nullptr;
  }
  if (isa == "avx2") {
    const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    return ok ? kernels_internal::Avx2Kernels() : nullptr;
  }
#endif
  if (isa == "portable") return &kernels_internal::PortableKernels();
  return nullptr;
}

// The best table, lowered to $CATENA_KERNEL_ISA when that names a supported one.
const KernelTable* InitialTable() {
  const KernelTable* best = nullptr;
  for (std::string_view isa : {"avx512vnni", "avx512", "avx2", "portable"}) {
    if ((best = SupportedTable(isa)) != nullptr) break;
  }
  if (const char* forced = std::getenv("CATENA_KERNEL_ISA"); forced != nullptr) {
    if (const KernelTable* table = SupportedTable(forced); table != nullptr) best = table;
  }
  return best;
}

std::atomic<const KernelTable*>& ActiveSlot() {
  static std::atomic<const KernelTable*> slot{InitialTable()};
  return slot;
}

const KernelTable& Active() { return *ActiveSlot().load(std::memory_order_acquire); }

kernels_internal::RowKernel RowKernelFor(const KernelTable& table, GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return table.f32;
    case GgmlType::kF16: return table.f16;
    case GgmlType::kBF16: return table.bf16;
    case GgmlType::kQ8_0: return table.q8_0;
    case GgmlType::kQ4_0: return table.q4_0;
    case GgmlType::kQ4_K: return table.q4_k;
    case GgmlType::kQ6_K: return table.q6_k;
  }
  return nullptr;
}

kernels_internal::RowKernel GroupedKernelFor(const KernelTable& table, GgmlType type) {
  return type == GgmlType::kQ8_0 ? table.q8_0_grouped : type == GgmlType::kQ4_0 ? table.q4_0_grouped : nullptr;
}

// The types WeightLayout::kGrouped4 holds.
bool IsGroupable(GgmlType type) { return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0; }

bool IsQuantized(GgmlType type) {
  return type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0 || type == GgmlType::kQ4_K || type == GgmlType::kQ6_K;
}

// Per-thread scratch for quantized activations, grown as needed and reused across calls. `regrouped_bytes`
// per batch row (a multiple of 32) for the table's regrouped copy, 0 for none.
QuantizedActivations QuantBuffer(int64_t batch, int64_t blocks, int64_t regrouped_bytes) {
  thread_local std::vector<float> floats;
  thread_local std::vector<int8_t> codes;
  thread_local std::vector<std::byte> regrouped;
  const size_t n = static_cast<size_t>(batch * blocks);
  if (floats.size() < 4 * n) floats.resize(4 * n);
  if (codes.size() < 32 * n) codes.resize(32 * n);
  QuantizedActivations qx;
  qx.blocks = blocks;
  qx.d = floats.data();
  qx.sum32 = qx.d + n;
  qx.sum16 = qx.sum32 + n;
  qx.q = codes.data();
  if (regrouped_bytes > 0) {
    const size_t bytes = static_cast<size_t>(batch * regrouped_bytes) + 32;
    if (regrouped.size() < bytes) regrouped.resize(bytes);
    const auto address = reinterpret_cast<uintptr_t>(regrouped.data());
    qx.regrouped = regrouped.data() + ((32 - address % 32) % 32);
    qx.regrouped_stride = regrouped_bytes;
  }
  return qx;
}

// Grouped rows for a table that reads only GGUF rows: the task's rows are unpacked into scratch and multiplied
// there by `gguf_kernel` (same arithmetic as the GGUF view, so the same bits).
void RunUnpacked(const RowTask& t, kernels_internal::RowKernel gguf_kernel) {
  const WeightView& w = *t.w;
  const int64_t n = t.row_end - t.row_begin, blocks = w.cols / 32;
  const int64_t row_bytes = blocks * TraitsOf(w.type).block_bytes;
  thread_local std::vector<std::byte> rows;
  thread_local std::vector<float> y;
  rows.resize(static_cast<size_t>(n * row_bytes));
  y.resize(static_cast<size_t>(n * t.batch));
  for (int64_t i = 0; i < n; ++i) {
    kernels_internal::UnpackGroupedRow(w.type, w.data + (t.row_begin + i) * w.row_bytes, blocks,
                                       rows.data() + i * row_bytes);
  }
  const WeightView unpacked{.type = w.type, .rows = n, .cols = w.cols, .data = rows.data(), .row_bytes = row_bytes};
  RowTask part = t;
  part.w = &unpacked;
  part.row_begin = 0;
  part.row_end = n;
  part.y = y.data();
  gguf_kernel(part);
  for (int64_t b = 0; b < t.batch; ++b) std::copy_n(y.data() + b * n, n, t.y + b * w.rows + t.row_begin);
}

}  // namespace

std::string_view KernelIsa() { return Active().name; }

bool SelectKernelIsa(std::string_view isa) {
  const KernelTable* table = SupportedTable(isa);
  if (table == nullptr) return false;
  ActiveSlot().store(table, std::memory_order_release);
  return true;
}

// Elements per block of the supported types; 0 for an unknown type id.
int64_t BlockElements(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16: return 1;
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0: return 32;
    case GgmlType::kQ4_K:
    case GgmlType::kQ6_K: return 256;
  }
  return 0;
}

void MatMul(const WeightView& w, const float* x, int64_t batch, float* y, ComputePool& pool) {
  const WeightView* weights[] = {&w};
  float* outputs[] = {y};
  MatMulShared(weights, x, batch, outputs, pool);
}

void MatMulShared(std::span<const WeightView* const> weights, const float* x, int64_t batch, std::span<float* const> ys,
                  ComputePool& pool) {
  if (batch <= 0) return;
  const KernelTable& table = Active();
  // One matrix of the product: its kernel for its layout, and its first chunk among all the matrices' chunks.
  struct Product {
    const WeightView* w;
    float* y;
    kernels_internal::RowKernel gguf_kernel;
    kernels_internal::RowKernel grouped_kernel;
    int64_t first_chunk;
  };
  absl::InlinedVector<Product, 4> products;  // no allocation for the decoder's one to three matrices
  for (size_t i = 0; i < weights.size(); ++i) {
    const WeightView& w = *weights[i];
    if (w.rows <= 0) continue;
    const bool grouped = w.layout == WeightLayout::kGrouped4;
    const kernels_internal::RowKernel gguf_kernel = RowKernelFor(table, w.type);
    const int64_t block = BlockElements(w.type);
    if (gguf_kernel == nullptr || block == 0 || w.cols <= 0 || w.cols % block != 0 || w.data == nullptr ||
        (grouped && !IsGroupable(w.type))) {
      // A shape the loader should have rejected: make the misuse loud (NaN) rather than silently wrong.
      std::fill(ys[i], ys[i] + batch * w.rows, std::numeric_limits<float>::quiet_NaN());
      continue;
    }
    products.push_back({&w, ys[i], gguf_kernel, grouped ? GroupedKernelFor(table, w.type) : nullptr, 0});
  }
  if (products.empty()) return;
  // Matrices share one quantization of x when they read it the same way; any other runs on its own.
  const int64_t cols = products[0].w->cols;
  const bool quantized = IsQuantized(products[0].w->type);
  for (const Product& p : products) {
    if (p.w->cols != cols || IsQuantized(p.w->type) != quantized) {
      for (const Product& q : products) MatMul(*q.w, x, batch, q.y, pool);
      return;
    }
  }
  QuantizedActivations qx;
  if (quantized) {
    const bool regroup =
        std::any_of(products.begin(), products.end(), [](const Product& p) { return IsGroupable(p.w->type); });
    const int64_t regrouped_bytes = regroup ? kernels_internal::GroupsOf(cols / 32) * table.regrouped_group_bytes : 0;
    qx = QuantBuffer(batch, cols / 32, regrouped_bytes);
    pool.ParallelFor(batch, 8, [&](int64_t begin, int64_t end) { table.quantize(x, cols, begin, end, qx); });
  }
  int64_t chunks = 0;
  for (Product& p : products) {
    p.first_chunk = chunks;
    chunks += (p.w->rows + kRowChunk - 1) / kRowChunk;
  }
  // Each thread pulls chunks of rows from a shared counter, so a thread the OS preempts (the machine may be
  // shared) delays only the chunks it holds instead of a fixed share of the rows.
  pool.ForEachClaimed(chunks, [&](int64_t c) {
    size_t i = products.size() - 1;
    while (products[i].first_chunk > c) --i;
    const Product& p = products[i];
    RowTask part;
    part.w = p.w;
    part.x = x;
    part.qx = quantized ? &qx : nullptr;
    part.batch = batch;
    part.y = p.y;
    part.row_begin = (c - p.first_chunk) * kRowChunk;
    part.row_end = std::min(p.w->rows, part.row_begin + kRowChunk);
    if (p.w->layout == WeightLayout::kGguf) {
      p.gguf_kernel(part);
    } else if (p.grouped_kernel != nullptr) {
      p.grouped_kernel(part);
    } else {
      RunUnpacked(part, p.gguf_kernel);
    }
  });
}

std::optional<PackedWeights> PackForKernels(const WeightView& w, ComputePool& pool) {
  const KernelTable& table = Active();
  if (table.pack_grouped_row == nullptr || w.layout != WeightLayout::kGguf || !IsGroupable(w.type) || w.cols <= 0 ||
      w.cols % 32 != 0 || w.rows <= 0 || w.data == nullptr) {
    return std::nullopt;
  }
  if (const char* setting = std::getenv("CATENA_WEIGHT_PACKING");
      setting != nullptr && std::string_view(setting) == "0") {
    return std::nullopt;
  }
  const int64_t blocks = w.cols / 32;
  const int64_t row_bytes = kernels_internal::GroupedRowBytes(w.type, blocks);
  constexpr size_t kAlignment = 64;
  const size_t size = static_cast<size_t>(w.rows * row_bytes);
  auto* bytes =
      static_cast<std::byte*>(std::aligned_alloc(kAlignment, (size + kAlignment - 1) / kAlignment * kAlignment));
  if (bytes == nullptr) return std::nullopt;
  PackedWeights packed;
  packed.bytes =
      std::shared_ptr<const std::byte[]>(bytes, [](const std::byte* p) { std::free(const_cast<std::byte*>(p)); });
  pool.ParallelFor(w.rows, 64, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r)
      table.pack_grouped_row(w.type, w.data + r * w.row_bytes, blocks, bytes + r * row_bytes);
  });
  packed.view = w;
  packed.view.data = bytes;
  packed.view.row_bytes = row_bytes;
  packed.view.layout = WeightLayout::kGrouped4;
  return packed;
}

void DequantizeRowInto(const WeightView& w, int64_t row, std::span<float> out) {
  const std::byte* data = w.data + row * w.row_bytes;
  thread_local std::vector<std::byte> unpacked;
  if (w.layout == WeightLayout::kGrouped4 && IsGroupable(w.type)) {
    unpacked.resize(static_cast<size_t>(w.cols / 32 * TraitsOf(w.type).block_bytes));
    kernels_internal::UnpackGroupedRow(w.type, data, w.cols / 32, unpacked.data());
    data = unpacked.data();
  }
  const int64_t n = std::min<int64_t>(w.cols, static_cast<int64_t>(out.size()));
  switch (w.type) {
    case GgmlType::kF32:
      std::memcpy(out.data(), data, static_cast<size_t>(n) * 4);
      return;
    case GgmlType::kF16:
    case GgmlType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, data + 2 * i, 2);
        out[i] = w.type == GgmlType::kF16 ? kernels_internal::HalfBitsToFloat(h) : kernels_internal::Bf16BitsToFloat(h);
      }
      return;
    default:
      break;
  }
  kernels_internal::DequantizeQuantizedRow(w.type, data, out.first(static_cast<size_t>(n)));
}

void RmsNorm(std::span<const float> x, std::span<const float> weight, float eps, std::span<float> out) {
  double sum = 0;
  for (float v : x) sum += static_cast<double>(v) * v;
  const float inv = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(x.size()) + eps));
  for (size_t i = 0; i < x.size(); ++i) out[i] = x[i] * inv * weight[i];
}

void LayerNorm(std::span<const float> x, std::span<const float> weight, std::span<const float> bias, float eps,
               std::span<float> out) {
  double sum = 0;
  for (float v : x) sum += v;
  const double mean = sum / static_cast<double>(x.size());
  double var = 0;
  for (float v : x) var += (v - mean) * (v - mean);
  const float inv = static_cast<float>(1.0 / std::sqrt(var / static_cast<double>(x.size()) + eps));
  const float m = static_cast<float>(mean);
  for (size_t i = 0; i < x.size(); ++i) out[i] = (x[i] - m) * inv * weight[i] + bias[i];
}

void Softmax(std::span<float> x) {
  if (x.empty()) return;
  const float max = *std::max_element(x.begin(), x.end());
  double sum = 0;
  for (float& v : x) {
    v = std::exp(v - max);
    sum += v;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (float& v : x) v *= inv;
}

void SwiGlu(std::span<const float> gate, std::span<const float> up, std::span<float> out) {
  Active().swiglu(gate.data(), up.data(), out.data(), static_cast<int64_t>(gate.size()));
}

void Gelu(std::span<float> x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (float& v : x) v = 0.5f * v * (1.0f + std::tanh(kSqrt2OverPi * (v + 0.044715f * v * v * v)));
}

void AddInPlace(std::span<float> x, std::span<const float> bias) {
  for (size_t i = 0; i < x.size(); ++i) x[i] += bias[i];
}

void RopeCosSin(std::span<const float> inv_freq, int64_t position, std::span<float> cos, std::span<float> sin) {
  for (size_t i = 0; i < inv_freq.size() && i < cos.size() && i < sin.size(); ++i) {
    const double angle = static_cast<double>(position) * inv_freq[i];
    cos[i] = static_cast<float>(std::cos(angle));
    sin[i] = static_cast<float>(std::sin(angle));
  }
}

void ApplyRopeCosSin(std::span<float> head, std::span<const float> cos, std::span<const float> sin, RopeStyle style) {
  const size_t half = head.size() / 2;
  for (size_t i = 0; i < half && i < cos.size() && i < sin.size(); ++i) {
    const float c = cos[i], s = sin[i];
    const size_t a = style == RopeStyle::kAdjacentPairs ? 2 * i : i;
    const size_t b = style == RopeStyle::kAdjacentPairs ? 2 * i + 1 : i + half;
    const float x0 = head[a], x1 = head[b];
    head[a] = x0 * c - x1 * s;
    head[b] = x0 * s + x1 * c;
  }
}

void ApplyRope(std::span<float> head, std::span<const float> inv_freq, int64_t position, RopeStyle style) {
  const size_t n = std::min(head.size() / 2, inv_freq.size());
  thread_local std::vector<float> table;
  table.resize(2 * n);
  const std::span<float> cos(table.data(), n), sin(table.data() + n, n);
  RopeCosSin(inv_freq.first(n), position, cos, sin);
  ApplyRopeCosSin(head, cos, sin, style);
}

void Attend(const float* q, const float* keys, const float* values, int64_t n_keys, int64_t head_dim,
            int64_t kv_stride, float scale, float* out) {
  std::fill(out, out + head_dim, 0.0f);
  if (n_keys <= 0) return;
  thread_local std::vector<float> scores;
  scores.resize(static_cast<size_t>(n_keys));
  for (int64_t j = 0; j < n_keys; ++j) {
    const float* k = keys + j * kv_stride;
    float dot = 0;
    for (int64_t i = 0; i < head_dim; ++i) dot += q[i] * k[i];
    scores[j] = scale * dot;
  }
  Softmax(scores);
  for (int64_t j = 0; j < n_keys; ++j) {
    const float* v = values + j * kv_stride;
    const float p = scores[j];
    for (int64_t i = 0; i < head_dim; ++i) out[i] += p * v[i];
  }
}

}  // namespace catena::inference
