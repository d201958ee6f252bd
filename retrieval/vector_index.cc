#include "retrieval/vector_index.h"

#include <charconv>
#include <cmath>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#ifdef CATENA_HAVE_CUDA
#include "retrieval/cuda/device_flat_store.h"
#include "retrieval/cuda_flat_index.h"
#endif
#include "retrieval/faiss_index.h"
#include "retrieval/flat_vectors.h"
#include "retrieval/hnsw_index.h"

namespace catena::retrieval {
namespace {

constexpr char kSupportedForms[] =
    "supported forms: Flat, HNSW<M> (M 4..128), IVF<n>,Flat, IVF<n>,PQ<m>, IVF<n>,SQ8, PQ<m>, SQ8";

// Parses the decimal number after `prefix` in `part` ("HNSW32" with "HNSW" -> 32); nullopt if malformed.
std::optional<int> NumberAfter(absl::string_view part, absl::string_view prefix) {
  if (!absl::StartsWith(part, prefix) || part.size() == prefix.size() || part.size() > prefix.size() + 9) {
    return std::nullopt;
  }
  int value = 0;
  const char* begin = part.data() + prefix.size();
  const char* end = part.data() + part.size();
  auto [ptr, ec] = std::from_chars(begin, end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

absl::Status Invalid(const VectorIndexSpec& spec, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("index \"", spec.index, "\": ", why));
}

// Parses the code part after "IVF<n>," or on its own: Flat, PQ<m> or SQ8.
absl::Status ParseCodes(const VectorIndexSpec& spec, absl::string_view part, IndexKind& kind) {
  if (part == "SQ8") {
    kind.sq8 = true;
    return absl::OkStatus();
  }
  if (auto m = NumberAfter(part, "PQ")) {
    if (*m < 1 || *m > spec.dimension)
      return Invalid(spec, absl::StrCat("PQ", *m, " needs 1 <= m <= dimension (", spec.dimension, ")"));
    if (spec.dimension % *m != 0) {
      return Invalid(spec, absl::StrCat("PQ", *m, " needs the dimension (", spec.dimension, ") divisible by ", *m));
    }
    kind.pq_m = *m;
    return absl::OkStatus();
  }
  return Invalid(spec, absl::StrCat("unknown part \"", part, "\"; ", kSupportedForms));
}

}  // namespace

absl::StatusOr<IndexKind> ParseIndexKind(const VectorIndexSpec& spec) {
  if (spec.dimension < 1 || spec.dimension > 65536) {
    return absl::InvalidArgumentError(absl::StrCat("dimension must be in 1..65536, got ", spec.dimension));
  }
  IndexKind kind;
  const absl::string_view text(spec.index);
  if (text == "Flat") return kind;
  if (auto m = NumberAfter(text, "HNSW")) {
    if (*m < 4 || *m > 128) return Invalid(spec, absl::StrCat("HNSW M must be in 4..128, got ", *m));
    kind.type = IndexKind::Type::kHnsw;
    kind.hnsw_m = *m;
    return kind;
  }
  kind.type = IndexKind::Type::kFaiss;
  std::vector<absl::string_view> parts = absl::StrSplit(text, ',');
  if (parts.size() == 1) {
    CATENA_RETURN_IF_ERROR(ParseCodes(spec, parts[0], kind));
    return kind;
  }
  auto nlist = parts.size() == 2 ? NumberAfter(parts[0], "IVF") : std::nullopt;
  if (!nlist) return Invalid(spec, absl::StrCat("unknown form; ", kSupportedForms));
  if (*nlist < 1 || *nlist > 1000000)
    return Invalid(spec, absl::StrCat("IVF list count must be in 1..1000000, got ", *nlist));
  kind.nlist = *nlist;
  if (parts[1] == "Flat") return kind;
  CATENA_RETURN_IF_ERROR(ParseCodes(spec, parts[1], kind));
  return kind;
}

absl::Status ValidateVectors(std::span<const int64_t> ids, std::span<const float> vectors, int dimension) {
  if (vectors.size() != ids.size() * static_cast<size_t>(dimension)) {
    return absl::InvalidArgumentError(absl::StrCat("vectors: expected ", ids.size(), " x ", dimension, " = ",
                                                   ids.size() * dimension, " floats, got ", vectors.size()));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0) return absl::InvalidArgumentError(absl::StrCat("ids[", i, "] = ", ids[i], " is negative"));
  }
  for (size_t i = 0; i < vectors.size(); ++i) {
    if (!std::isfinite(vectors[i])) {
      return absl::InvalidArgumentError(absl::StrCat("vector ", i / dimension, " (id ", ids[i / dimension],
                                                     ") has a non-finite value at position ", i % dimension));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateQueries(std::span<const float> queries, int dimension, const IndexSearchParams& params) {
  if (params.k < 1 || params.k > 100000) {
    return absl::InvalidArgumentError(absl::StrCat("k must be in 1..100000, got ", params.k));
  }
  if (params.ef_search < 0 || params.nprobe < 0) {
    return absl::InvalidArgumentError("ef_search and nprobe must be >= 0");
  }
  if (queries.empty() || queries.size() % dimension != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("query: expected a multiple of the dimension (", dimension, ") floats, got ", queries.size()));
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    if (!std::isfinite(queries[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("query ", i / dimension, " has a non-finite value at position ", i % dimension));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> CudaDeviceName() {
#ifdef CATENA_HAVE_CUDA
  return cuda::DeviceName();
#else
  return absl::FailedPreconditionError("this build has no CUDA support (configure with -DCATENA_CUDA=ON and nvcc)");
#endif
}

absl::Status CheckDevice(const VectorIndexSpec& spec, const IndexKind& kind) {
  if (spec.device == IndexDevice::kCpu) return absl::OkStatus();
  if (kind.type != IndexKind::Type::kFlat) {
    return absl::InvalidArgumentError(
        absl::StrCat("device \"cuda\" supports only the \"Flat\" index, got \"", spec.index, "\""));
  }
  absl::StatusOr<std::string> name = CudaDeviceName();
  if (!name.ok()) return Annotate(name.status(), "device \"cuda\" is not available");
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Create(const VectorIndexSpec& spec) {
  CATENA_ASSIGN_OR_RETURN(const IndexKind kind, ParseIndexKind(spec));
  CATENA_RETURN_IF_ERROR(CheckDevice(spec, kind));
#ifdef CATENA_HAVE_CUDA
  if (spec.device == IndexDevice::kCuda) return CudaFlatIndex::Create(spec);
#endif
  switch (kind.type) {
    case IndexKind::Type::kFlat:
      return std::unique_ptr<VectorIndex>(std::make_unique<FlatIndex>(spec));
    case IndexKind::Type::kHnsw:
      return std::unique_ptr<VectorIndex>(std::make_unique<HnswIndex>(spec, kind));
    case IndexKind::Type::kFaiss:
      return FaissIndex::Create(spec, kind);
  }
  return absl::InternalError("unreachable index type");
}

absl::StatusOr<std::unique_ptr<VectorIndex>> VectorIndex::Load(const std::filesystem::path& path,
                                                               const VectorIndexSpec& spec) {
  CATENA_ASSIGN_OR_RETURN(auto index, Create(spec));
  CATENA_RETURN_IF_ERROR(
      Annotate(static_cast<FlatIndex*>(index.get())->LoadFrom(path), absl::StrCat("loading ", path.string())));
  return index;
}

}  // namespace catena::retrieval
