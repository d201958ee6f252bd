// Storage layout (one record per document, so Open rebuilds the index with one prefix scan):
//   key   = key_prefix + 'd' + OrderedInt64(doc)
//   value = 0x01 (format) varint(length) varint(term count) { varint(term bytes) term varint(tf) }...
// Terms are written in byte order. Search accumulates scores term-at-a-time into a dense per-slot array, then
// keeps the best k in a bounded heap.
#include "retrieval/bm25_index.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <cmath>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/rocksdb_util.h"

namespace catena::retrieval {
namespace {

constexpr char kFormatVersion = 1;
constexpr size_t kMaxQueryBytes = 64 * 1024;

using TermCounts = std::vector<std::pair<std::string, uint32_t>>;

void AppendVarint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

bool ReadVarint(std::string_view& in, uint64_t& value) {
  value = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto byte = static_cast<unsigned char>(in.front());
    in.remove_prefix(1);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

std::string EncodeRecord(uint32_t length, const TermCounts& terms) {
  std::string value(1, kFormatVersion);
  AppendVarint(value, length);
  AppendVarint(value, terms.size());
  for (const auto& [term, tf] : terms) {
    AppendVarint(value, term.size());
    value.append(term);
    AppendVarint(value, tf);
  }
  return value;
}

// Decodes a record; false when it is malformed.
bool DecodeRecord(std::string_view in, uint32_t& length, TermCounts& terms) {
  if (in.empty() || in.front() != kFormatVersion) return false;
  in.remove_prefix(1);
  uint64_t length64 = 0, count = 0;
  if (!ReadVarint(in, length64) || !ReadVarint(in, count) || length64 > UINT32_MAX || count > in.size()) {
    return false;
  }
  length = static_cast<uint32_t>(length64);
  terms.clear();
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t size = 0, tf = 0;
    if (!ReadVarint(in, size) || size > in.size()) return false;
    std::string term(in.substr(0, size));
    in.remove_prefix(size);
    if (!ReadVarint(in, tf) || tf == 0 || tf > UINT32_MAX) return false;
    terms.emplace_back(std::move(term), static_cast<uint32_t>(tf));
  }
  return in.empty();
}

}  // namespace

Bm25Index::Bm25Index(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, std::string key_prefix, Bm25Options options)
    : db_(db), cf_(cf), key_prefix_(std::move(key_prefix)), options_(options), analyzer_(options.analyzer) {}

absl::StatusOr<std::unique_ptr<Bm25Index>> Bm25Index::Open(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                                                           std::string key_prefix, Bm25Options options) {
  if (db == nullptr || cf == nullptr) return absl::InvalidArgumentError("bm25: db and column family are required");
  if (key_prefix.empty()) return absl::InvalidArgumentError("bm25: key_prefix must not be empty");
  if (!(options.k1 >= 0 && std::isfinite(options.k1))) {
    return absl::InvalidArgumentError(absl::StrCat("bm25: k1 must be >= 0, got ", options.k1));
  }
  if (!(options.b >= 0 && options.b <= 1)) {
    return absl::InvalidArgumentError(absl::StrCat("bm25: b must be in [0, 1], got ", options.b));
  }
  std::unique_ptr<Bm25Index> index(new Bm25Index(db, cf, std::move(key_prefix), std::move(options)));
  CATENA_RETURN_IF_ERROR(index->Load());
  return index;
}

std::string Bm25Index::DocKey(int64_t doc) const {
  std::string key = key_prefix_ + 'd';
  storage::AppendOrderedInt64(key, doc);
  return key;
}

absl::Status Bm25Index::Load() {
  const std::string begin = key_prefix_ + 'd';
  const std::string end = storage::PrefixUpperBound(begin);
  rocksdb::Slice upper(end);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, cf_));
  std::unique_lock lock(mutex_);
  TermCounts terms;
  for (it->Seek(begin); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    const std::optional<int64_t> doc = storage::ReadOrderedInt64(key.substr(begin.size()));
    uint32_t length = 0;
    if (!doc || key.size() != begin.size() + 8 ||
        !DecodeRecord(std::string_view(it->value().data(), it->value().size()), length, terms)) {
      return absl::DataLossError(absl::StrCat("bm25: undecodable record under prefix '", key_prefix_, "'",
                                              doc ? absl::StrCat(" for document ", *doc) : ""));
    }
    Insert(*doc, length, terms);
  }
  return storage::FromRocksDb(it->status(), "bm25: scanning postings");
}

uint32_t Bm25Index::TermId(const std::string& term) {
  const auto [it, inserted] = term_ids_.try_emplace(term, static_cast<uint32_t>(postings_.size()));
  if (inserted) postings_.emplace_back();
  return it->second;
}

void Bm25Index::Insert(int64_t doc, uint32_t length, const TermCounts& terms) {
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(docs_.size());
    docs_.emplace_back();
    lengths_.push_back(0);
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  DocInfo& info = docs_[slot];
  info.doc = doc;
  info.length = length;
  lengths_[slot] = length;
  info.term_ids.clear();
  info.term_ids.reserve(terms.size());
  for (const auto& [term, tf] : terms) {
    const uint32_t id = TermId(term);
    std::vector<Posting>& list = postings_[id];
    const auto at =
        std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    list.insert(at, Posting{slot, tf});
    info.term_ids.push_back(id);
  }
  slots_[doc] = slot;
  total_length_ += length;
}

void Bm25Index::Erase(int64_t doc) {
  const auto found = slots_.find(doc);
  if (found == slots_.end()) return;
  const uint32_t slot = found->second;
  DocInfo& info = docs_[slot];
  for (uint32_t id : info.term_ids) {
    std::vector<Posting>& list = postings_[id];
    const auto at =
        std::lower_bound(list.begin(), list.end(), slot, [](const Posting& p, uint32_t s) { return p.slot < s; });
    if (at != list.end() && at->slot == slot) list.erase(at);
  }
  total_length_ -= info.length;
  info = DocInfo{};
  lengths_[slot] = 0;
  free_slots_.push_back(slot);
  slots_.erase(found);
}

absl::Status Bm25Index::Add(int64_t doc, std::string_view text, rocksdb::WriteBatch& batch) {
  const std::vector<std::string> analyzed = analyzer_.Analyze(text);
  if (analyzed.size() > UINT32_MAX) return absl::InvalidArgumentError("bm25: document has too many terms");
  absl::flat_hash_map<std::string, uint32_t> counts;
  for (const std::string& term : analyzed) ++counts[term];
  TermCounts terms(counts.begin(), counts.end());
  std::sort(terms.begin(), terms.end());
  const auto length = static_cast<uint32_t>(analyzed.size());
  std::unique_lock lock(mutex_);
  if (slots_.contains(doc)) {
    return absl::AlreadyExistsError(absl::StrCat("bm25: document ", doc, " is already indexed; remove it first"));
  }
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(batch.Put(cf_, DocKey(doc), EncodeRecord(length, terms)),
                                              absl::StrCat("bm25: staging document ", doc)));
  Insert(doc, length, terms);
  return absl::OkStatus();
}

absl::Status Bm25Index::Remove(int64_t doc, rocksdb::WriteBatch& batch) {
  std::unique_lock lock(mutex_);
  if (!slots_.contains(doc)) return absl::OkStatus();
  CATENA_RETURN_IF_ERROR(
      storage::FromRocksDb(batch.Delete(cf_, DocKey(doc)), absl::StrCat("bm25: staging removal of document ", doc)));
  Erase(doc);
  return absl::OkStatus();
}

absl::Status Bm25Index::DropAll(rocksdb::WriteBatch& batch) {
  std::unique_lock lock(mutex_);
  CATENA_RETURN_IF_ERROR(storage::FromRocksDb(
      batch.DeleteRange(cf_, key_prefix_, storage::PrefixUpperBound(key_prefix_)), "bm25: staging drop"));
  term_ids_.clear();
  postings_.clear();
  docs_.clear();
  lengths_.clear();
  free_slots_.clear();
  slots_.clear();
  total_length_ = 0;
  return absl::OkStatus();
}

size_t Bm25Index::document_count() const {
  std::shared_lock lock(mutex_);
  return slots_.size();
}

bool Bm25Index::Contains(int64_t doc) const {
  std::shared_lock lock(mutex_);
  return slots_.contains(doc);
}

absl::StatusOr<std::vector<ScoredId>> Bm25Index::Search(std::string_view query, int k, const IdFilter* filter) const {
  if (k < 1 || k > kMaxBm25K) {
    return absl::InvalidArgumentError(absl::StrCat("bm25: k must be in [1, ", kMaxBm25K, "], got ", k));
  }
  if (query.size() > kMaxQueryBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("bm25: query is ", query.size(), " bytes; the limit is ", kMaxQueryBytes));
  }
  std::vector<std::string> terms = analyzer_.Analyze(query);
  std::sort(terms.begin(), terms.end());
  terms.erase(std::unique(terms.begin(), terms.end()), terms.end());

  std::shared_lock lock(mutex_);
  if (slots_.empty()) return std::vector<ScoredId>();
  const std::vector<float> scores = Accumulate(terms);
  // Bounded heap of the best k so far; its front is the worst of them.
  const auto better = [](const ScoredId& a, const ScoredId& b) {
    return a.score != b.score ? a.score > b.score : a.id < b.id;
  };
  std::vector<ScoredId> hits;
  hits.reserve(static_cast<size_t>(k) + 1);
  for (size_t slot = 0; slot < scores.size(); ++slot) {
    if (scores[slot] <= 0.0f) continue;
    const ScoredId hit{docs_[slot].doc, scores[slot]};
    if (hits.size() == static_cast<size_t>(k) && !better(hit, hits.front())) continue;
    if (filter != nullptr && !filter->Contains(hit.id)) continue;
    hits.push_back(hit);
    std::push_heap(hits.begin(), hits.end(), better);
    if (hits.size() > static_cast<size_t>(k)) {
      std::pop_heap(hits.begin(), hits.end(), better);
      hits.pop_back();
    }
  }
  lock.unlock();
  std::sort_heap(hits.begin(), hits.end(), better);
  return hits;
}

std::vector<float> Bm25Index::Accumulate(const std::vector<std::string>& terms) const {
  const double n_docs = static_cast<double>(slots_.size());
  const double avg_length = std::max(1e-9, static_cast<double>(total_length_) / n_docs);
  const double k1 = options_.k1, b = options_.b;
  const double base = k1 * (1.0 - b), per_length = k1 * b / avg_length;
  std::vector<float> scores(docs_.size(), 0.0f);
  for (const std::string& term : terms) {
    const auto id = term_ids_.find(term);
    if (id == term_ids_.end() || postings_[id->second].empty()) continue;
    const std::vector<Posting>& list = postings_[id->second];
    const double n = static_cast<double>(list.size());
    const double weight = std::log(1.0 + (n_docs - n + 0.5) / (n + 0.5)) * (k1 + 1.0);
    for (const Posting& p : list) {
      const double tf = p.tf;
      scores[p.slot] += static_cast<float>(weight * tf / (tf + base + per_length * lengths_[p.slot]));
    }
  }
  return scores;
}

}  // namespace catena::retrieval
