// Ingestion: raw documents -> loader -> splitter -> embedder (batched, inside Collection::Upsert) -> store
// and indexes. Idempotent by content hash per source: re-ingesting an unchanged source writes nothing, a
// changed one replaces its chunks (stale chunk ids are deleted). A document that cannot be loaded is
// reported as a failure and the rest of the batch still ingests. Stateless; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "retrieval/collection.h"
#include "retrieval/text_splitter.h"

namespace catena::retrieval {

struct RawDocument {
  // Required; used for citations and as the prefix of chunk ids ("<source>#<n>").
  std::string source;
  std::string content;
  // Empty = guessed from the source's extension and the content.
  std::string mime_type;
  // Copied into every chunk's metadata.
  std::map<std::string, std::string> metadata;
};

struct IngestOptions {
  SplitterOptions splitter;
  // CSV column / JSON field holding the text; empty = "text".
  std::string text_field;
};

struct IngestProgress {
  int64_t documents_done = 0;
  int64_t documents_total = 0;
  int64_t chunks_done = 0;
  std::string source;
};

struct IngestResult {
  int64_t documents = 0;
  int64_t chunks = 0;
  std::vector<std::string> chunk_ids;
  int64_t unchanged = 0;
  // (source, error) of documents that could not be loaded or split.
  std::vector<std::pair<std::string, std::string>> failures;
};

// Ingests `documents` into `collection`, calling `progress` after each document. INVALID_ARGUMENT for bad
// splitter options (before any work); storage errors abort the call.
absl::StatusOr<IngestResult> Ingest(Collection& collection, std::span<const RawDocument> documents,
                                    const IngestOptions& options,
                                    const std::function<void(const IngestProgress&)>& progress = nullptr);

}  // namespace catena::retrieval
