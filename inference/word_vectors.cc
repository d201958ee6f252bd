#include "inference/word_vectors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/word_vectors_format.h"

namespace catena::inference {
namespace {

static_assert(std::endian::native == std::endian::little, "word vector files are little-endian");

absl::Status Corrupt(const std::filesystem::path& path, std::string_view what) {
  return absl::DataLossError(absl::StrCat("word vector table ", path.string(), " is corrupt: ", std::string(what),
                                          " (delete it to have it converted again)"));
}

// True when [offset, offset + size) lies inside a file of `file_size` bytes.
bool InFile(uint64_t offset, uint64_t size, uint64_t file_size) {
  return offset <= file_size && size <= file_size - offset;
}

}  // namespace

absl::StatusOr<std::shared_ptr<const WordVectorTable>> WordVectorTable::Load(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot open word vector table ", path.string(), ": ", std::strerror(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::UnavailableError(message);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || info.st_size < static_cast<off_t>(sizeof(WordVectorFileHeader))) {
    ::close(fd);
    return Corrupt(path, absl::StrCat("file is ", info.st_size, " bytes, shorter than its header"));
  }
  void* mapped = ::mmap(nullptr, static_cast<size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (mapped == MAP_FAILED) {
    return absl::UnavailableError(absl::StrCat("cannot mmap ", path.string(), ": ", std::strerror(errno)));
  }
  std::shared_ptr<WordVectorTable> table(new WordVectorTable());
  table->data_ = static_cast<const unsigned char*>(mapped);
  table->mapped_size_ = static_cast<size_t>(info.st_size);
  CATENA_RETURN_IF_ERROR(table->Validate(path));
  return std::shared_ptr<const WordVectorTable>(std::move(table));
}

WordVectorTable::~WordVectorTable() {
  if (data_ != nullptr) ::munmap(const_cast<unsigned char*>(data_), mapped_size_);
}

absl::Status WordVectorTable::Validate(const std::filesystem::path& path) {
  WordVectorFileHeader header;
  std::memcpy(&header, data_, sizeof(header));
  if (std::memcmp(header.magic, kWordVectorMagic, sizeof(header.magic)) != 0) return Corrupt(path, "bad magic");
  if (header.version != kWordVectorVersion) {
    return Corrupt(path, absl::StrCat("unsupported version ", header.version, ", expected ", kWordVectorVersion));
  }
  if (header.file_size != mapped_size_) {
    return Corrupt(path,
                   absl::StrCat("header says ", header.file_size, " bytes, file has ", mapped_size_, " (truncated?)"));
  }
  if (header.dimension == 0 || header.dimension > kMaxWordVectorDimension) {
    return Corrupt(path, absl::StrCat("dimension ", header.dimension, " outside 1..", kMaxWordVectorDimension));
  }
  const uint64_t n = header.count;
  const uint64_t size = mapped_size_;
  if (n == 0 || n > size || n > UINT32_MAX || !InFile(header.offsets_offset, (n + 1) * sizeof(uint64_t), size) ||
      !InFile(header.strings_offset, header.strings_size, size) ||
      !InFile(header.index_offset, n * sizeof(WordVectorIndexEntry), size) ||
      n > size / (header.dimension * sizeof(float)) ||
      !InFile(header.vectors_offset, n * header.dimension * sizeof(float), size) || header.offsets_offset % 8 != 0 ||
      header.index_offset % 4 != 0 || header.vectors_offset % 4 != 0) {
    return Corrupt(path, "section offsets or sizes do not fit the file");
  }
  dimension_ = static_cast<int>(header.dimension);
  count_ = static_cast<size_t>(n);
  word_offsets_ = reinterpret_cast<const uint64_t*>(data_ + header.offsets_offset);
  strings_ = reinterpret_cast<const char*>(data_ + header.strings_offset);
  strings_size_ = header.strings_size;
  index_ = reinterpret_cast<const WordVectorIndexEntry*>(data_ + header.index_offset);
  vectors_ = reinterpret_cast<const float*>(data_ + header.vectors_offset);
  return ValidateSections(path);
}

absl::Status WordVectorTable::ValidateSections(const std::filesystem::path& path) const {
  if (word_offsets_[0] != 0 || word_offsets_[count_] != strings_size_) {
    return Corrupt(path, "word offsets do not span the string section");
  }
  for (size_t r = 0; r < count_; ++r) {
    if (word_offsets_[r] > word_offsets_[r + 1]) return Corrupt(path, absl::StrCat("word offsets decrease at ", r));
  }
  for (size_t i = 0; i < count_; ++i) {
    if (index_[i].rank >= count_) return Corrupt(path, absl::StrCat("index entry ", i, " has rank out of range"));
    if (i > 0 && !(WordAt(index_[i - 1].rank) < WordAt(index_[i].rank))) {
      return Corrupt(path, absl::StrCat("index is not sorted at entry ", i));
    }
  }
  const float* end = vectors_ + count_ * static_cast<size_t>(dimension_);
  if (std::any_of(vectors_, end, [](float v) { return !std::isfinite(v); })) {
    return Corrupt(path, "vectors contain NaN or infinity");
  }
  return absl::OkStatus();
}

std::string_view WordVectorTable::WordAt(uint32_t rank) const {
  return std::string_view(strings_ + word_offsets_[rank], word_offsets_[rank + 1] - word_offsets_[rank]);
}

std::optional<WordVectorTable::Entry> WordVectorTable::Lookup(std::string_view word) const {
  const WordVectorIndexEntry* begin = index_;
  const WordVectorIndexEntry* end = index_ + count_;
  const WordVectorIndexEntry* it = std::lower_bound(
      begin, end, word,
      [this](const WordVectorIndexEntry& entry, std::string_view w) { return WordAt(entry.rank) < w; });
  if (it == end || WordAt(it->rank) != word) return std::nullopt;
  return Entry{
      std::span<const float>(vectors_ + static_cast<size_t>(it->rank) * dimension_, static_cast<size_t>(dimension_)),
      it->rank};
}

std::optional<std::span<const float>> WordVectorTable::Find(std::string_view word) const {
  std::optional<Entry> entry = Lookup(word);
  if (!entry) return std::nullopt;
  return entry->vector;
}

}  // namespace catena::inference
