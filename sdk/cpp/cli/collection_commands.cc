// `catena collections list|create|describe|delete`, `catena ingest` and `catena search`: the
// RetrievalService from the command line. Ingest reads local files (directories recursively), streams them
// in batches and draws a progress bar on stderr.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli_command.h"

namespace catena::cli {
namespace {

constexpr size_t kBatchDocuments = 64;
constexpr size_t kBatchBytes = 16u << 20;

struct CollectionFlags {
  std::string name;
  int dimension = 0;  // 0: the embedder's
  std::string metric = "cosine";
  std::string index = "Flat";
  std::string device = "cpu";
  std::string embedder;
  std::vector<std::string> fields;  // name:type[:indexed]
};

struct IngestFlags {
  std::string collection;
  std::vector<std::string> paths;
  std::string splitter = "recursive";
  int chunk_size = 1000;
  int chunk_overlap = 200;
  std::string text_field;
};

struct SearchFlags {
  std::string collection;
  std::string query;
  std::string filter;
  std::string mode = "dense";
  int k = 5;
  float mmr_lambda = 0;
};

int Check(const absl::Status& status, const sdk::Client& client) {
  return status.ok() ? 0 : Fail(status, client.options().address);
}

void PrintCollection(const v1::Collection& collection) {
  std::printf("%-24s dim=%d index=%s%s embedder=%s documents=%lld%s\n", collection.name().c_str(),
              collection.spec().dimension(), collection.spec().index().c_str(),
              collection.spec().device() == v1::INDEX_DEVICE_CUDA ? " device=cuda" : "",
              collection.spec().embedder().empty() ? "-" : collection.spec().embedder().c_str(),
              static_cast<long long>(collection.document_count()), collection.index_trained() ? "" : " (untrained)");
}

int RunList(const sdk::Client& client) {
  v1::ListCollectionsRequest request;
  request.mutable_page()->set_page_size(1000);
  auto answer = client.retrieval().ListCollections(request);
  if (int code = Check(answer.status(), client)) return code;
  const v1::ListCollectionsResponse& response = *answer;
  for (const v1::Collection& collection : response.collections()) PrintCollection(collection);
  if (response.collections().empty()) std::printf("no collections\n");
  return 0;
}

int ParseField(const std::string& text, v1::FieldSchema& field) {
  const std::vector<std::string> parts = [&] {
    std::vector<std::string> out;
    std::stringstream stream(text);
    for (std::string part; std::getline(stream, part, ':');) out.push_back(part);
    return out;
  }();
  static const std::pair<const char*, v1::FieldType> kTypes[] = {{"string", v1::FIELD_TYPE_STRING},
                                                                 {"int", v1::FIELD_TYPE_INT},
                                                                 {"float", v1::FIELD_TYPE_FLOAT},
                                                                 {"bool", v1::FIELD_TYPE_BOOL},
                                                                 {"string_list", v1::FIELD_TYPE_STRING_LIST},
                                                                 {"timestamp", v1::FIELD_TYPE_TIMESTAMP}};
  if (parts.size() < 2) return kExitUsage;
  field.set_name(parts[0]);
  for (const auto& [name, type] : kTypes) {
    if (parts[1] == name) field.set_type(type);
  }
  field.set_indexed(parts.size() > 2 && parts[2] == "indexed");
  return field.type() == v1::FIELD_TYPE_UNSPECIFIED ? kExitUsage : 0;
}

int RunCreate(const sdk::Client& client, const CollectionFlags& flags) {
  v1::CreateCollectionRequest request;
  request.set_name(flags.name);
  v1::CollectionSpec& spec = *request.mutable_spec();
  spec.set_dimension(flags.dimension);
  spec.set_metric(flags.metric == "l2"   ? v1::METRIC_L2
                  : flags.metric == "ip" ? v1::METRIC_INNER_PRODUCT
                                         : v1::METRIC_COSINE);
  spec.set_index(flags.index);
  spec.set_device(flags.device == "cuda" ? v1::INDEX_DEVICE_CUDA : v1::INDEX_DEVICE_CPU);
  spec.set_embedder(flags.embedder);
  for (const std::string& field : flags.fields) {
    if (ParseField(field, *spec.add_fields()) != 0) {
      std::fprintf(stderr,
                   "catena: --field '%s' must be name:type[:indexed] with type string, int, float, bool, "
                   "string_list or timestamp\n",
                   field.c_str());
      return kExitUsage;
    }
  }
  auto answer = client.retrieval().CreateCollection(request);
  if (int code = Check(answer.status(), client)) return code;
  const v1::Collection& response = *answer;
  PrintCollection(response);
  return 0;
}

int RunDescribe(const sdk::Client& client, const std::string& name) {
  v1::DescribeCollectionRequest request;
  request.set_name(name);
  auto answer = client.retrieval().DescribeCollection(request);
  if (int code = Check(answer.status(), client)) return code;
  const v1::Collection& response = *answer;
  PrintCollection(response);
  for (const v1::FieldSchema& field : response.spec().fields()) {
    std::printf("  field %s: %s%s\n", field.name().c_str(), v1::FieldType_Name(field.type()).c_str(),
                field.indexed() ? " (indexed)" : "");
  }
  return 0;
}

int RunDelete(const sdk::Client& client, const std::string& name) {
  v1::DeleteCollectionRequest request;
  request.set_name(name);
  if (int code = Check(client.retrieval().DeleteCollection(request).status(), client)) return code;
  std::printf("deleted %s\n", name.c_str());
  return 0;
}

// Regular, non-hidden files under `paths`, sorted.
std::vector<std::filesystem::path> ListFiles(const std::vector<std::string>& paths) {
  std::vector<std::filesystem::path> files;
  for (const std::string& path : paths) {
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
      for (auto it = std::filesystem::recursive_directory_iterator(path, error);
           it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        if (it->path().filename().string().starts_with(".")) {
          if (it->is_directory()) it.disable_recursion_pending();
          continue;
        }
        if (it->is_regular_file()) files.push_back(it->path());
      }
    } else {
      files.emplace_back(path);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void DrawProgress(int64_t done, int64_t total, int64_t chunks) {
  constexpr int kWidth = 30;
  const int filled = total == 0 ? kWidth : static_cast<int>(kWidth * done / total);
  std::fprintf(stderr, "\r[%s%s] %lld/%lld documents, %lld chunks", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, '.').c_str(), static_cast<long long>(done), static_cast<long long>(total),
               static_cast<long long>(chunks));
}

int SendBatch(const sdk::Client& client, v1::IngestRequest& request, int64_t offset, int64_t total,
              v1::IngestResponse& totals) {
  auto reader = client.retrieval().IngestStream(request, WithExtraTime(client, absl::Minutes(30)));
  while (std::optional<v1::IngestProgress> next = reader.Next()) {
    const v1::IngestProgress& progress = *next;
    DrawProgress(offset + progress.documents_done(), total, totals.chunks() + progress.chunks_done());
    if (progress.has_result()) {
      const v1::IngestResponse& result = progress.result();
      totals.set_documents(totals.documents() + result.documents());
      totals.set_chunks(totals.chunks() + result.chunks());
      totals.set_unchanged(totals.unchanged() + result.unchanged());
      for (const v1::IngestFailure& failure : result.failures()) *totals.add_failures() = failure;
    }
  }
  request.clear_documents();
  return Check(reader.status(), client);
}

int RunIngest(const sdk::Client& client, const IngestFlags& flags) {
  const std::vector<std::filesystem::path> files = ListFiles(flags.paths);
  v1::IngestRequest request;
  request.set_collection(flags.collection);
  request.mutable_splitter()->set_kind(flags.splitter);
  request.mutable_splitter()->set_chunk_size(flags.chunk_size);
  request.mutable_splitter()->set_chunk_overlap(flags.chunk_overlap);
  request.set_text_field(flags.text_field);
  v1::IngestResponse totals;
  int64_t sent = 0;
  size_t batch_bytes = 0;
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      v1::IngestFailure* failure = totals.add_failures();
      failure->set_source(file.string());
      failure->set_error("cannot read the file");
      ++sent;
      continue;
    }
    std::stringstream content;
    content << in.rdbuf();
    v1::RawDocument* document = request.add_documents();
    document->set_source(file.string());
    document->set_content(content.str());
    batch_bytes += document->content().size();
    if (static_cast<size_t>(request.documents_size()) >= kBatchDocuments || batch_bytes >= kBatchBytes) {
      const int64_t count = request.documents_size();
      if (int code = SendBatch(client, request, sent, static_cast<int64_t>(files.size()), totals)) return code;
      sent += count;
      batch_bytes = 0;
    }
  }
  if (request.documents_size() > 0) {
    if (int code = SendBatch(client, request, sent, static_cast<int64_t>(files.size()), totals)) return code;
  }
  std::fprintf(stderr, "\n");
  std::printf("ingested %lld documents into %lld chunks; %lld unchanged; %d failed\n",
              static_cast<long long>(totals.documents()), static_cast<long long>(totals.chunks()),
              static_cast<long long>(totals.unchanged()), totals.failures_size());
  for (const v1::IngestFailure& failure : totals.failures()) {
    std::printf("  failed %s: %s\n", failure.source().c_str(), failure.error().c_str());
  }
  return totals.failures().empty() ? 0 : kExitFailure;
}

int RunSearch(const sdk::Client& client, const SearchFlags& flags) {
  v1::SearchRequest request;
  request.set_collection(flags.collection);
  request.set_query(flags.query);
  request.set_filter(flags.filter);
  request.set_k(flags.k);
  request.set_mmr_lambda(flags.mmr_lambda);
  request.set_mode(flags.mode == "sparse"   ? v1::SEARCH_MODE_SPARSE
                   : flags.mode == "hybrid" ? v1::SEARCH_MODE_HYBRID
                                            : v1::SEARCH_MODE_DENSE);
  auto answer = client.retrieval().Search(request);
  if (int code = Check(answer.status(), client)) return code;
  const v1::SearchResponse& response = *answer;
  int rank = 0;
  for (const v1::SearchHit& hit : response.hits()) {
    std::printf("%d. %.4f %s (%s%s%s)\n", ++rank, hit.score(), hit.document().id().c_str(),
                hit.document().source().c_str(), hit.document().position().empty() ? "" : ", ",
                hit.document().position().c_str());
    const std::string& text = hit.highlights().empty() ? hit.document().text() : hit.highlights(0);
    std::printf("   %s\n", text.substr(0, 240).c_str());
  }
  if (response.hits().empty()) std::printf("no results\n");
  return 0;
}

}  // namespace

void AddCollectionCommands(CLI::App& app, CommandRunner& runner) {
  CLI::App* collections = app.add_subcommand("collections", "Create, list, describe and delete collections");
  collections->require_subcommand(1);
  collections->add_subcommand("list", "List the tenant's collections")->callback([&runner] { runner = RunList; });

  auto create_flags = std::make_shared<CollectionFlags>();
  CLI::App* create = collections->add_subcommand("create", "Create a collection");
  create->add_option("name", create_flags->name, "Collection name")->required();
  create->add_option("--dimension", create_flags->dimension, "Vector dimension (default: the embedder's)");
  create->add_option("--metric", create_flags->metric, "cosine, ip or l2")
      ->check(CLI::IsMember({"cosine", "ip", "l2"}));
  create->add_option("--index", create_flags->index, "FAISS index spec: Flat, HNSW32, IVF1024,Flat, IVF1024,PQ32, SQ8");
  create->add_option("--device", create_flags->device, "Where vectors are searched: cpu, or cuda (Flat index only)")
      ->check(CLI::IsMember({"cpu", "cuda"}));
  create->add_option("--embedder", create_flags->embedder, "Embedder name (see EmbeddingService)");
  create->add_option("--field", create_flags->fields, "Metadata field name:type[:indexed]; repeatable");
  create->callback([&runner, create_flags] {
    runner = [create_flags](const sdk::Client& c) { return RunCreate(c, *create_flags); };
  });

  auto name = std::make_shared<std::string>();
  CLI::App* describe = collections->add_subcommand("describe", "Show a collection");
  describe->add_option("name", *name, "Collection name")->required();
  describe->callback([&runner, name] { runner = [name](const sdk::Client& c) { return RunDescribe(c, *name); }; });
  CLI::App* remove = collections->add_subcommand("delete", "Delete a collection and its documents");
  remove->add_option("name", *name, "Collection name")->required();
  remove->callback([&runner, name] { runner = [name](const sdk::Client& c) { return RunDelete(c, *name); }; });

  auto ingest_flags = std::make_shared<IngestFlags>();
  CLI::App* ingest = app.add_subcommand("ingest", "Load, split, embed and index files or directories");
  ingest->add_option("collection", ingest_flags->collection, "Collection name")->required();
  ingest->add_option("paths", ingest_flags->paths, "Files or directories")->required();
  ingest->add_option("--splitter", ingest_flags->splitter, "recursive, sentence, markdown or token");
  ingest->add_option("--chunk-size", ingest_flags->chunk_size, "Chunk size in characters");
  ingest->add_option("--chunk-overlap", ingest_flags->chunk_overlap, "Overlap between chunks");
  ingest->add_option("--text-field", ingest_flags->text_field, "CSV column / JSON field holding the text");
  ingest->callback([&runner, ingest_flags] {
    runner = [ingest_flags](const sdk::Client& c) { return RunIngest(c, *ingest_flags); };
  });

  auto search_flags = std::make_shared<SearchFlags>();
  CLI::App* search = app.add_subcommand("search", "Search a collection");
  search->add_option("collection", search_flags->collection, "Collection name")->required();
  search->add_option("query", search_flags->query, "Query text")->required();
  search->add_option("--filter", search_flags->filter, "Metadata filter, e.g. 'lang == \"en\" and year >= 2023'");
  search->add_option("--mode", search_flags->mode, "dense, sparse or hybrid")
      ->check(CLI::IsMember({"dense", "sparse", "hybrid"}));
  search->add_option("-k", search_flags->k, "Number of results")->check(CLI::Range(1, 1000));
  search->add_option("--mmr", search_flags->mmr_lambda, "MMR lambda in [0, 1]; 0 = off")->check(CLI::Range(0.0, 1.0));
  search->callback([&runner, search_flags] {
    runner = [search_flags](const sdk::Client& c) { return RunSearch(c, *search_flags); };
  });
}

}  // namespace catena::cli
