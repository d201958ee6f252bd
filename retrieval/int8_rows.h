// Int8Rows: an int8 code per stored row (per-row scale max|x| / 127) with the exact size of its rounding
// error, kept by FlatVectorStore next to its float rows. Each code is stored as two 4-bit planes (high and low
// nibbles of code + 128), so a scan reads only the high plane (d / 2 bytes a row) and still gets a guaranteed
// lower and upper bound on every row's score; the low plane tightens the bounds of the few rows left. Exact
// single-query search then reads the floats of only the rows it cannot rule out. Not synchronized.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace catena::retrieval {

// A query quantized like a row, plus the terms of its error bounds.
struct Int8Query {
  std::vector<int8_t> codes;  // code per dimension, zero padded to the row stride
  int32_t code_sum = 0;       // sum of codes
  float scale = 0;            // code * scale approximates the query
  float norm = 0;             // ||q||, rounded up
  float error = 0;            // ||q - scale * code||, rounded up
};

// Approximate inner products and margins: |q.x - approx| <= margin against any float computation of q.x.
struct DotBounds {
  float approx = 0;
  float margin = 0;
};

class Int8Rows {
 public:
  explicit Int8Rows(int dimension);

  size_t size() const { return terms_.size(); }

  // Appends a code for `row` (dimension floats) or overwrites row `index` with one.
  void Append(std::span<const float> row);
  void Set(size_t index, std::span<const float> row);
  // Moves the last row's code into `index` and drops the last row (FlatVectorStore::Erase's swap-remove).
  void MoveLastTo(size_t index);

  // Quantizes `query` (dimension floats) the same way rows are.
  Int8Query Quantize(const float* query) const;

  // Coarse bounds (high nibbles only) for rows [begin, begin + count) into out[0, count).
  void CoarseBounds(const Int8Query& query, size_t begin, size_t count, DotBounds* out) const;
  // Fine bounds (the whole int8 code) for one row.
  DotBounds FineBounds(const Int8Query& query, size_t row) const;

 private:
  struct RowTerms {
    float scale;         // code * scale approximates the row
    float coarse_error;  // ||x - scale * (16 * high - 120)||, rounded up
    float fine_error;    // ||x - scale * code||, rounded up
    float norm;          // max of ||x|| and both approximations' norms, rounded up
  };
  DotBounds Bound(const Int8Query& query, const RowTerms& terms, int32_t dot, float error) const;

  int dimension_;
  size_t stride_;  // dimensions per row including zero padding (a multiple of 64)
  float rounding_;
  std::vector<uint8_t> high_;  // stride / 2 bytes a row, laid out as PutNibble in int8_rows.cc says
  std::vector<uint8_t> low_;
  std::vector<RowTerms> terms_;
};

// Sum over the row's dimensions of nibble * query code, for `count` packed nibble rows `bytes` apart. Uses AVX2
// when the CPU has it.
void NibbleDots(const int8_t* query_codes, const uint8_t* rows, size_t bytes, size_t count, int32_t* out);

}  // namespace catena::retrieval
