#include "retrieval/ingestor.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/hashing_embedder.h"
#include "retrieval/document_loader.h"

namespace catena::retrieval {
namespace {

// inference::StableHash64 chained over the parts (each part's hash seeds the next, so part boundaries count);
// stable across builds and machines, as the stored source records need.
class ContentHash {
 public:
  ContentHash& Add(std::string_view part) {
    hash_ = inference::StableHash64(part, hash_);
    return *this;
  }
  std::string Hex() const { return absl::StrCat(absl::Hex(hash_, absl::kZeroPad16)); }

 private:
  uint64_t hash_ = 0;
};

std::string HashOf(const RawDocument& document, const IngestOptions& options) {
  ContentHash hash;
  hash.Add(document.content).Add(document.mime_type).Add(options.text_field).Add(options.splitter.kind);
  hash.Add(absl::StrCat(options.splitter.chunk_size, "/", options.splitter.chunk_overlap));
  for (const auto& [key, value] : document.metadata) hash.Add(key).Add(value);
  return hash.Hex();
}

// Chunk ids are "<source>#<n>"; long sources are shortened to a hash so ids stay within 256 bytes.
std::string ChunkId(const std::string& source, size_t n) {
  const std::string base = source.size() <= 200 ? source : absl::StrCat("h", ContentHash().Add(source).Hex());
  return absl::StrCat(base, "#", n);
}

absl::StatusOr<std::vector<StoredDocument>> SplitIntoChunks(const RawDocument& document, const TextSplitter& splitter,
                                                            const IngestOptions& options) {
  LoaderOptions loader_options;
  loader_options.mime_type = document.mime_type;
  if (!options.text_field.empty()) loader_options.text_field = options.text_field;
  CATENA_ASSIGN_OR_RETURN(std::vector<LoadedDocument> loaded,
                          LoadDocument(document.source, document.content, loader_options));
  std::vector<StoredDocument> chunks;
  for (const LoadedDocument& part : loaded) {
    CATENA_ASSIGN_OR_RETURN(std::vector<Chunk> pieces, splitter.Split(part.text));
    for (Chunk& piece : pieces) {
      StoredDocument chunk;
      chunk.id = ChunkId(document.source, chunks.size());
      chunk.source = document.source;
      const std::string range = absl::StrCat("bytes ", piece.start, "-", piece.start + piece.text.size());
      chunk.position = part.position.empty() ? range : absl::StrCat(part.position, ", ", range);
      chunk.metadata = part.metadata.is_object() ? part.metadata : nlohmann::json::object();
      for (const auto& [key, value] : document.metadata) chunk.metadata[key] = value;
      for (const auto& [key, value] : piece.metadata) chunk.metadata[key] = value;
      chunk.text = std::move(piece.text);
      chunks.push_back(std::move(chunk));
    }
  }
  return chunks;
}

}  // namespace

absl::StatusOr<IngestResult> Ingest(Collection& collection, std::span<const RawDocument> documents,
                                    const IngestOptions& options,
                                    const std::function<void(const IngestProgress&)>& progress) {
  auto splitter = MakeSplitter(options.splitter);
  if (!splitter.ok()) return Annotate(splitter.status(), "splitter");
  IngestResult result;
  IngestProgress state{.documents_total = static_cast<int64_t>(documents.size())};
  for (const RawDocument& document : documents) {
    const std::string hash = HashOf(document, options);
    CATENA_ASSIGN_OR_RETURN(std::optional<nlohmann::json> previous, collection.SourceRecord(document.source));
    if (previous.has_value() && previous->value("hash", "") == hash) {
      ++result.unchanged;
    } else if (auto chunks = SplitIntoChunks(document, **splitter, options); !chunks.ok()) {
      result.failures.emplace_back(document.source, std::string(chunks.status().message()));
    } else {
      const size_t count = chunks->size();
      CATENA_ASSIGN_OR_RETURN(std::vector<std::string> ids, collection.Upsert(*std::move(chunks)));
      // Chunks of the previous version beyond the new count are stale.
      std::vector<std::string> stale;
      for (size_t n = count; previous.has_value() && n < previous->value("chunks", size_t{0}); ++n) {
        stale.push_back(ChunkId(document.source, n));
      }
      CATENA_RETURN_IF_ERROR(collection.DeleteIds(stale).status());
      CATENA_RETURN_IF_ERROR(collection.PutSourceRecord(document.source, {{"hash", hash}, {"chunks", count}}));
      ++result.documents;
      result.chunks += static_cast<int64_t>(count);
      state.chunks_done += static_cast<int64_t>(count);
      result.chunk_ids.insert(result.chunk_ids.end(), ids.begin(), ids.end());
    }
    ++state.documents_done;
    state.source = document.source;
    if (progress) progress(state);
  }
  return result;
}

}  // namespace catena::retrieval
