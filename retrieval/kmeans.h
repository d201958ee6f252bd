// Spherical k-means (cosine space) over embedding vectors: k-means++ seeding from a seed, Lloyd iterations run by
// faiss::Clustering on an inner-product index, the best of several seedings by inertia, and the silhouette
// score used to choose k. Used by the chains `segment` node; FAISS stays behind this header. Pure functions,
// deterministic for a given seed, thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "absl/status/statusor.h"

namespace catena::retrieval {

struct KMeansOptions {
  // Number of clusters, 1..rows.
  int k = 2;
  // Seed of the k-means++ seeding; restart r uses seed + r.
  uint64_t seed = 42;
  // Seedings tried; the result with the lowest inertia wins (first one on ties).
  int restarts = 4;
  // Lloyd iterations per seeding.
  int iterations = 50;
};

struct KMeansResult {
  int k = 0;
  int dimension = 0;
  // k x dimension, row-major, unit length (a centroid of identical rows is that row).
  std::vector<float> centroids;
  // The cluster of each row: the centroid with the highest cosine (lowest index on ties).
  std::vector<int> assignments;
  // Sum over rows of 1 - cos(row, its centroid).
  double inertia = 0;
};

// Returns `rows` (n x dimension, row-major) with every row scaled to unit length (zero rows stay zero).
std::vector<float> NormalizeRows(std::span<const float> rows, int dimension);

// k-means++ seeding on unit rows: the first seed uniformly, each next one with probability proportional to
// 1 - cos to its nearest seed, drawn from a splitmix64 stream of `seed`. Returns k x dimension seeds (rows of
// the input). Deterministic and platform-independent (tests/retrieval/kmeans_reference.py mirrors it).
std::vector<float> KMeansPlusPlusSeeds(std::span<const float> unit_rows, int dimension, int k, uint64_t seed);

// Lloyd iterations from `initial_centroids` (k x dimension) on unit rows, centroids renormalized after each
// update (faiss::Clustering, spherical). INVALID_ARGUMENT on shape errors; FAISS errors become INTERNAL.
absl::StatusOr<KMeansResult> SphericalKMeansFrom(std::span<const float> unit_rows, int dimension,
                                                 std::span<const float> initial_centroids, int iterations);

// Spherical k-means of `rows` (normalized first): `restarts` k-means++ seedings, the lowest inertia wins.
// INVALID_ARGUMENT when rows are empty, k is outside 1..rows, or the shapes do not match.
absl::StatusOr<KMeansResult> SphericalKMeans(std::span<const float> rows, int dimension, const KMeansOptions& options);

// Mean silhouette of a clustering of unit rows with cosine distance (1 - cos), in [-1, 1]; members of
// single-member clusters count 0. Exact, in O(rows x k x dimension). 0 when k < 2.
double CosineSilhouette(std::span<const float> unit_rows, int dimension, std::span<const int> assignments, int k);

}  // namespace catena::retrieval
