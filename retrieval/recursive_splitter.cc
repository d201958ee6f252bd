#include "retrieval/recursive_splitter.h"

#include <deque>

#include "common/status.h"

namespace catena::retrieval {
namespace {

// Cuts `text` at `cuts` (sorted byte offsets) and drops empty pieces.
std::vector<std::string_view> CutAt(std::string_view text, const std::vector<size_t>& cuts) {
  std::vector<std::string_view> pieces;
  size_t begin = 0;
  for (const size_t cut : cuts) {
    if (cut > begin) pieces.push_back(text.substr(begin, cut - begin));
    begin = cut;
  }
  if (begin < text.size()) pieces.push_back(text.substr(begin));
  return pieces;
}

// Pieces between non-overlapping occurrences of `separator`, which are dropped; empty pieces are dropped.
std::vector<std::string_view> SplitDropping(std::string_view text, std::string_view separator) {
  std::vector<std::string_view> pieces;
  size_t begin = 0;
  for (size_t hit = text.find(separator); hit != std::string_view::npos; hit = text.find(separator, begin)) {
    if (hit > begin) pieces.push_back(text.substr(begin, hit - begin));
    begin = hit + separator.size();
  }
  if (begin < text.size()) pieces.push_back(text.substr(begin));
  return pieces;
}

// Cut before every occurrence of `separator` except at offset 0, overlapping ones included (LangChain.js's
// look-ahead split, Python's keep_separator="start" for separators that cannot overlap themselves).
std::vector<size_t> CutsBefore(std::string_view text, std::string_view separator) {
  std::vector<size_t> cuts;
  for (size_t hit = text.find(separator, 1); hit != std::string_view::npos; hit = text.find(separator, hit + 1)) {
    cuts.push_back(hit);
  }
  return cuts;
}

// Cut after every non-overlapping occurrence of `separator` (Python's keep_separator="end").
std::vector<size_t> CutsAfter(std::string_view text, std::string_view separator) {
  std::vector<size_t> cuts;
  for (size_t hit = text.find(separator); hit != std::string_view::npos;
       hit = text.find(separator, hit + separator.size())) {
    cuts.push_back(hit + separator.size());
  }
  return cuts;
}

std::vector<std::string_view> SplitCodePoints(std::string_view text) {
  std::vector<std::string_view> pieces;
  for (size_t pos = 0; pos < text.size();) {
    const size_t len = Utf8SequenceLength(static_cast<unsigned char>(text[pos]));
    pieces.push_back(text.substr(pos, len));
    pos += len;
  }
  return pieces;
}

// Byte offset in `base` of position `pos` of the pieces joined with `separator`; exact when the separator
// really sits between the pieces in `base`.
size_t JoinedToBase(std::string_view base, const std::vector<std::string_view>& pieces, size_t begin, size_t end,
                    std::string_view separator, size_t pos) {
  for (size_t i = begin; i < end; ++i) {
    const size_t piece_start = static_cast<size_t>(pieces[i].data() - base.data());
    if (pos < pieces[i].size()) return piece_start + pos;
    pos -= pieces[i].size();
    if (i + 1 < end) {
      if (pos < separator.size()) return piece_start + pieces[i].size() + pos;
      pos -= separator.size();
    }
  }
  return static_cast<size_t>(pieces[end - 1].data() - base.data()) + pieces[end - 1].size();
}

}  // namespace

RecursiveSplitter::RecursiveSplitter(const SplitterOptions& options)
    : chunk_size_(static_cast<size_t>(options.chunk_size)),
      chunk_overlap_(static_cast<size_t>(options.chunk_overlap)),
      separators_(options.separators.empty() ? DefaultSeparators() : options.separators),
      keep_separator_(options.keep_separator),
      strip_whitespace_(options.strip_whitespace),
      meter_(options.length_unit, options.tokenizer) {}

absl::StatusOr<std::vector<Chunk>> RecursiveSplitter::Split(std::string_view text) const {
  CATENA_RETURN_IF_ERROR(ValidateUtf8(text, "text to split"));
  return SplitValid(text);
}

std::vector<Chunk> RecursiveSplitter::SplitValid(std::string_view text) const {
  std::vector<Chunk> out;
  SplitRecursive(text, text, 0, out);
  return out;
}

void RecursiveSplitter::SplitRecursive(std::string_view base, std::string_view text, size_t first_separator,
                                       std::vector<Chunk>& out) const {
  // The first separator that occurs in `text` ("" always matches); later ones split pieces still too long.
  std::string_view separator = separators_.back();
  size_t next_separator = separators_.size();
  for (size_t i = first_separator; i < separators_.size(); ++i) {
    if (separators_[i].empty()) {
      separator = separators_[i];
      break;
    }
    if (text.find(separators_[i]) != std::string_view::npos) {
      separator = separators_[i];
      next_separator = i + 1;
      break;
    }
  }
  const std::string_view join = keep_separator_ == KeepSeparator::kNone ? separator : std::string_view();
  std::vector<std::string_view> good;
  for (const std::string_view piece : SplitOnSeparator(text, separator)) {
    if (meter_.Measure(piece) < chunk_size_) {
      good.push_back(piece);
      continue;
    }
    Merge(base, good, join, out);
    good.clear();
    if (next_separator < separators_.size()) {
      SplitRecursive(base, piece, next_separator, out);
    } else {
      out.push_back(Chunk{std::string(piece), static_cast<size_t>(piece.data() - base.data()), {}});
    }
  }
  Merge(base, good, join, out);
}

std::vector<std::string_view> RecursiveSplitter::SplitOnSeparator(std::string_view text,
                                                                  std::string_view separator) const {
  if (separator.empty()) return SplitCodePoints(text);
  switch (keep_separator_) {
    case KeepSeparator::kStart:
      return CutAt(text, CutsBefore(text, separator));
    case KeepSeparator::kEnd:
      return CutAt(text, CutsAfter(text, separator));
    case KeepSeparator::kNone:
      break;
  }
  return SplitDropping(text, separator);
}

void RecursiveSplitter::Merge(std::string_view base, const std::vector<std::string_view>& pieces,
                              std::string_view separator, std::vector<Chunk>& out) const {
  const size_t separator_length = meter_.Measure(separator);
  std::deque<size_t> lengths;  // lengths of the pieces in the current window [window_begin, i)
  size_t window_begin = 0;
  size_t total = 0;  // sum of `lengths`, separators excluded (as LangChain.js counts it)
  for (size_t i = 0; i < pieces.size(); ++i) {
    const size_t length = meter_.Measure(pieces[i]);
    auto overflows = [&] { return total + length + lengths.size() * separator_length > chunk_size_; };
    if (overflows() && !lengths.empty()) {
      Emit(base, pieces, window_begin, i, separator, out);
      while (!lengths.empty() && (total > chunk_overlap_ || (overflows() && total > 0))) {
        total -= lengths.front();
        lengths.pop_front();
        ++window_begin;
      }
    }
    lengths.push_back(length);
    total += length;
  }
  if (!lengths.empty()) Emit(base, pieces, window_begin, pieces.size(), separator, out);
}

void RecursiveSplitter::Emit(std::string_view base, const std::vector<std::string_view>& pieces, size_t begin,
                             size_t end, std::string_view separator, std::vector<Chunk>& out) const {
  std::string joined;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) joined.append(separator);
    joined.append(pieces[i]);
  }
  std::string_view kept = joined;
  if (strip_whitespace_) kept = TrimWhitespace(kept);
  if (kept.empty()) return;
  const size_t leading = static_cast<size_t>(kept.data() - joined.data());
  out.push_back(Chunk{std::string(kept), JoinedToBase(base, pieces, begin, end, separator, leading), {}});
}

}  // namespace catena::retrieval
