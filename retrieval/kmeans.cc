#include "retrieval/kmeans.h"

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/impl/FaissException.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/str_cat.h"

namespace catena::retrieval {
namespace {

// splitmix64 (Steele, Lea, Flood 2014): a tiny generator that Python can mirror bit for bit.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

double Dot(const float* a, const float* b, int dimension) {
  double sum = 0;
  for (int i = 0; i < dimension; ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}

absl::Status CheckShape(std::span<const float> rows, int dimension) {
  if (dimension <= 0) return absl::InvalidArgumentError("k-means needs a positive dimension");
  if (rows.empty()) return absl::InvalidArgumentError("k-means needs at least one vector");
  if (rows.size() % static_cast<size_t>(dimension) != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("k-means got ", rows.size(), " values, not a multiple of the dimension ", dimension));
  }
  return absl::OkStatus();
}

// Assignments to the nearest centroid by cosine and the inertia of the result.
void Assign(std::span<const float> unit_rows, KMeansResult& result) {
  const size_t n = unit_rows.size() / result.dimension;
  result.assignments.assign(n, 0);
  result.inertia = 0;
  for (size_t i = 0; i < n; ++i) {
    const float* row = unit_rows.data() + i * result.dimension;
    double best = -std::numeric_limits<double>::infinity();
    for (int c = 0; c < result.k; ++c) {
      const double cosine =
          Dot(row, result.centroids.data() + static_cast<size_t>(c) * result.dimension, result.dimension);
      if (cosine > best) {
        best = cosine;
        result.assignments[i] = c;
      }
    }
    result.inertia += 1.0 - best;
  }
}

}  // namespace

std::vector<float> NormalizeRows(std::span<const float> rows, int dimension) {
  std::vector<float> out(rows.begin(), rows.end());
  if (dimension <= 0) return out;
  for (size_t start = 0; start + dimension <= out.size(); start += dimension) {
    const double norm = std::sqrt(Dot(out.data() + start, out.data() + start, dimension));
    if (norm == 0) continue;
    for (int j = 0; j < dimension; ++j) out[start + j] = static_cast<float>(out[start + j] / norm);
  }
  return out;
}

std::vector<float> KMeansPlusPlusSeeds(std::span<const float> unit_rows, int dimension, int k, uint64_t seed) {
  const size_t n = unit_rows.size() / dimension;
  SplitMix64 random(seed);
  std::vector<size_t> chosen = {static_cast<size_t>(random.Uniform() * static_cast<double>(n))};
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());  // 1 - cos to the nearest seed
  while (static_cast<int>(chosen.size()) < k) {
    const float* last = unit_rows.data() + chosen.back() * dimension;
    double total = 0;
    for (size_t i = 0; i < n; ++i) {
      nearest[i] = std::min(nearest[i], std::max(0.0, 1.0 - Dot(unit_rows.data() + i * dimension, last, dimension)));
      total += nearest[i];
    }
    const double target = random.Uniform() * total;
    size_t pick = n;
    double cumulative = 0;
    for (size_t i = 0; i < n && total > 0; ++i) {
      cumulative += nearest[i];
      if (cumulative > target) {
        pick = i;
        break;
      }
    }
    // Every row coincides with a seed (or rounding left the target unreached): take the first unused row.
    for (size_t i = 0; pick == n && i < n; ++i) {
      if (std::find(chosen.begin(), chosen.end(), i) == chosen.end()) pick = i;
    }
    chosen.push_back(pick);
  }
  std::vector<float> seeds;
  seeds.reserve(static_cast<size_t>(k) * dimension);
  for (size_t index : chosen) {
    seeds.insert(seeds.end(), unit_rows.begin() + index * dimension, unit_rows.begin() + (index + 1) * dimension);
  }
  return seeds;
}

absl::StatusOr<KMeansResult> SphericalKMeansFrom(std::span<const float> unit_rows, int dimension,
                                                 std::span<const float> initial_centroids, int iterations) {
  if (absl::Status shape = CheckShape(unit_rows, dimension); !shape.ok()) return shape;
  if (absl::Status shape = CheckShape(initial_centroids, dimension); !shape.ok()) return shape;
  const size_t n = unit_rows.size() / dimension;
  const size_t k = initial_centroids.size() / dimension;
  if (k > n) return absl::InvalidArgumentError(absl::StrCat("k-means got ", k, " centroids for ", n, " vectors"));
  if (iterations < 1) return absl::InvalidArgumentError("k-means needs at least one iteration");
  faiss::ClusteringParameters parameters;
  parameters.niter = iterations;
  parameters.nredo = 1;
  parameters.spherical = true;
  parameters.min_points_per_centroid = 1;  // no "please provide more points" warning
  parameters.max_points_per_centroid = std::numeric_limits<int>::max() / static_cast<int>(k);  // no sampling
  KMeansResult result{.k = static_cast<int>(k), .dimension = dimension};
  try {
    faiss::Clustering clustering(dimension, static_cast<int>(k), parameters);
    clustering.centroids.assign(initial_centroids.begin(), initial_centroids.end());
    faiss::IndexFlatIP index(dimension);
    clustering.train(static_cast<faiss::Index::idx_t>(n), unit_rows.data(), index);
    result.centroids = std::move(clustering.centroids);
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("FAISS k-means: ", e.what()));
  }
  result.centroids = NormalizeRows(result.centroids, dimension);
  Assign(unit_rows, result);
  return result;
}

absl::StatusOr<KMeansResult> SphericalKMeans(std::span<const float> rows, int dimension, const KMeansOptions& options) {
  if (absl::Status shape = CheckShape(rows, dimension); !shape.ok()) return shape;
  const size_t n = rows.size() / dimension;
  if (options.k < 1 || static_cast<size_t>(options.k) > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("k-means k must be in 1..", n, " (the number of vectors), got ", options.k));
  }
  const std::vector<float> unit = NormalizeRows(rows, dimension);
  std::optional<KMeansResult> best;
  for (int restart = 0; restart < std::max(1, options.restarts); ++restart) {
    const std::vector<float> seeds = KMeansPlusPlusSeeds(unit, dimension, options.k, options.seed + restart);
    absl::StatusOr<KMeansResult> result = SphericalKMeansFrom(unit, dimension, seeds, options.iterations);
    if (!result.ok()) return result.status();
    if (!best.has_value() || result->inertia < best->inertia - 1e-9) best = *std::move(result);
  }
  return *std::move(best);
}

double CosineSilhouette(std::span<const float> unit_rows, int dimension, std::span<const int> assignments, int k) {
  if (k < 2 || dimension <= 0) return 0;
  const size_t n = unit_rows.size() / dimension;
  // Mean cosine distance from a unit row x to cluster c = 1 - x . sum_c / |c| (self excluded in its own cluster).
  std::vector<double> sums(static_cast<size_t>(k) * dimension, 0.0);
  std::vector<int> sizes(k, 0);
  for (size_t i = 0; i < n; ++i) {
    ++sizes[assignments[i]];
    for (int j = 0; j < dimension; ++j) sums[assignments[i] * dimension + j] += unit_rows[i * dimension + j];
  }
  double total = 0;
  for (size_t i = 0; i < n; ++i) {
    const int own = assignments[i];
    if (sizes[own] < 2) continue;
    const float* row = unit_rows.data() + i * dimension;
    auto dot_sum = [&](int c) {
      double sum = 0;
      for (int j = 0; j < dimension; ++j) sum += row[j] * sums[c * dimension + j];
      return sum;
    };
    const double self = Dot(row, row, dimension);
    const double a = 1.0 - (dot_sum(own) - self) / (sizes[own] - 1);
    double b = std::numeric_limits<double>::infinity();
    for (int c = 0; c < k; ++c) {
      if (c != own && sizes[c] > 0) b = std::min(b, 1.0 - dot_sum(c) / sizes[c]);
    }
    if (std::isinf(b)) continue;
    const double scale = std::max(a, b);
    if (scale > 0) total += (b - a) / scale;
  }
  return total / static_cast<double>(n);
}

}  // namespace catena::retrieval
