#include "retrieval/int8_rows.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace catena::retrieval {

// The AVX2 kernel (int8_rows_avx2.cc, compiled with -mavx2; called only after the CPU check below).
void NibbleDotsAvx2(const int8_t* query_codes, const uint8_t* rows, size_t bytes, size_t count, int32_t* out);

namespace {

constexpr size_t kBlockDims = 64;  // one 32-byte load of a nibble plane

bool UseAvx2() {
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
}

// `value` as a float no smaller than it; the slack covers the double sums' own rounding.
float RoundUp(double value) {
  value *= 1.0 + 1e-12;
  float f = static_cast<float>(value);
  if (static_cast<double>(f) < value) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  return f;
}

// Nibble i of a row: block i / 64, byte i % 32 of it, low half for i % 64 < 32, high half otherwise.
void PutNibble(uint8_t* row, size_t i, uint8_t value) {
  uint8_t& byte = row[i / kBlockDims * 32 + i % 32];
  byte = (i % kBlockDims) < 32 ? static_cast<uint8_t>((byte & 0xF0) | value)
                               : static_cast<uint8_t>((byte & 0x0F) | (value << 4));
}

uint8_t GetNibble(const uint8_t* row, size_t i) {
  const uint8_t byte = row[i / kBlockDims * 32 + i % 32];
  return (i % kBlockDims) < 32 ? byte & 0x0F : byte >> 4;
}

float QuantizeScale(const float* x, int dimension) {
  float max_abs = 0;
  for (int i = 0; i < dimension; ++i) max_abs = std::max(max_abs, std::fabs(x[i]));
  return max_abs / 127.0f;
}

int8_t Code(float x, float scale) {
  return static_cast<int8_t>(scale > 0 ? std::clamp(std::nearbyint(x / scale), -127.0f, 127.0f) : 0.0f);
}

}  // namespace

void NibbleDots(const int8_t* query_codes, const uint8_t* rows, size_t bytes, size_t count, int32_t* out) {
  if (UseAvx2()) {
    NibbleDotsAvx2(query_codes, rows, bytes, count, out);
    return;
  }
  for (size_t r = 0; r < count; ++r) {
    int32_t sum = 0;
    for (size_t i = 0; i < 2 * bytes; ++i) sum += query_codes[i] * GetNibble(rows + r * bytes, i);
    out[r] = sum;
  }
}

Int8Rows::Int8Rows(int dimension)
    : dimension_(dimension),
      stride_((static_cast<size_t>(dimension) + kBlockDims - 1) / kBlockDims * kBlockDims),
      // A float dot product of d terms is off by at most about d * 2^-24 * ||q|| ||x||, and the bounds' own float
      // operations by a few ulps of the same; this is four times both.
      rounding_(static_cast<float>((dimension + 16) * std::ldexp(1.0, -22))) {}

void Int8Rows::Append(std::span<const float> row) {
  high_.resize(high_.size() + stride_ / 2, 0);
  low_.resize(low_.size() + stride_ / 2, 0);
  terms_.push_back({});
  Set(size() - 1, row);
}

void Int8Rows::Set(size_t index, std::span<const float> row) {
  uint8_t* high = high_.data() + index * stride_ / 2;
  uint8_t* low = low_.data() + index * stride_ / 2;
  std::fill_n(high, stride_ / 2, 0);
  std::fill_n(low, stride_ / 2, 0);
  RowTerms& terms = terms_[index];
  terms.scale = QuantizeScale(row.data(), dimension_);
  double coarse2 = 0, fine2 = 0, norm2 = 0, coarse_norm2 = 0, fine_norm2 = 0;
  for (int i = 0; i < dimension_; ++i) {
    const int code = Code(row[i], terms.scale);
    const int shifted = code + 128;  // 1..255
    PutNibble(high, i, static_cast<uint8_t>(shifted >> 4));
    PutNibble(low, i, static_cast<uint8_t>(shifted & 15));
    const double fine = static_cast<double>(terms.scale) * code;
    const double coarse = static_cast<double>(terms.scale) * (16 * (shifted >> 4) - 120);
    fine2 += (row[i] - fine) * (row[i] - fine);
    coarse2 += (row[i] - coarse) * (row[i] - coarse);
    norm2 += static_cast<double>(row[i]) * row[i];
    fine_norm2 += fine * fine;
    coarse_norm2 += coarse * coarse;
  }
  terms.coarse_error = RoundUp(std::sqrt(coarse2));
  terms.fine_error = RoundUp(std::sqrt(fine2));
  terms.norm = RoundUp(std::sqrt(std::max({norm2, fine_norm2, coarse_norm2})));
}

void Int8Rows::MoveLastTo(size_t index) {
  const size_t last = size() - 1;
  const size_t bytes = stride_ / 2;
  if (index != last) {
    std::copy_n(high_.begin() + last * bytes, bytes, high_.begin() + index * bytes);
    std::copy_n(low_.begin() + last * bytes, bytes, low_.begin() + index * bytes);
    terms_[index] = terms_[last];
  }
  high_.resize(last * bytes);
  low_.resize(last * bytes);
  terms_.pop_back();
}

Int8Query Int8Rows::Quantize(const float* query) const {
  Int8Query out;
  out.codes.assign(stride_, 0);
  out.scale = QuantizeScale(query, dimension_);
  double error2 = 0, norm2 = 0;
  for (int i = 0; i < dimension_; ++i) {
    out.codes[i] = Code(query[i], out.scale);
    out.code_sum += out.codes[i];
    const double approx = static_cast<double>(out.scale) * out.codes[i];
    error2 += (query[i] - approx) * (query[i] - approx);
    norm2 += static_cast<double>(query[i]) * query[i];
  }
  out.error = RoundUp(std::sqrt(error2));
  out.norm = RoundUp(std::sqrt(norm2));
  return out;
}

DotBounds Int8Rows::Bound(const Int8Query& query, const RowTerms& terms, int32_t dot, float error) const {
  // |q.x - q^.x^| <= ||q|| ||x - x^|| + ||q - q^|| ||x^||, plus the float rounding allowance.
  constexpr float kPad = 1.0f + 0x1p-18f;
  return {(query.scale * terms.scale) * static_cast<float>(dot),
          (query.norm * error + (query.error + rounding_ * query.norm) * terms.norm) * kPad};
}

void Int8Rows::CoarseBounds(const Int8Query& query, size_t begin, size_t count, DotBounds* out) const {
  constexpr size_t kBlock = 256;
  int32_t dots[kBlock];
  for (size_t done = 0; done < count; done += kBlock) {
    const size_t rows = std::min(kBlock, count - done);
    NibbleDots(query.codes.data(), high_.data() + (begin + done) * stride_ / 2, stride_ / 2, rows, dots);
    for (size_t i = 0; i < rows; ++i) {
      // The coarse code is 16 * high - 120 (the middle of each high nibble's range of codes).
      const RowTerms& terms = terms_[begin + done + i];
      out[done + i] = Bound(query, terms, 16 * dots[i] - 120 * query.code_sum, terms.coarse_error);
    }
  }
}

DotBounds Int8Rows::FineBounds(const Int8Query& query, size_t row) const {
  int32_t high = 0, low = 0;
  NibbleDots(query.codes.data(), high_.data() + row * stride_ / 2, stride_ / 2, 1, &high);
  NibbleDots(query.codes.data(), low_.data() + row * stride_ / 2, stride_ / 2, 1, &low);
  const RowTerms& terms = terms_[row];
  return Bound(query, terms, 16 * high + low - 128 * query.code_sum, terms.fine_error);
}

}  // namespace catena::retrieval
