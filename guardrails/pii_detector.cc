// PiiDetector (pii_detector.h): the built-in scanner (pii_scan.cc) plus RE2 matchers for configured patterns
// and the dictionary (one case-insensitive alternation with word boundaries), merged without overlaps.
#include "guardrails/pii_detector.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "guardrails/pii_scan.h"
#include "re2/re2.h"

namespace catena::guardrails {
namespace {

absl::StatusOr<std::unique_ptr<re2::RE2>> Compile(const std::string& pattern, bool case_insensitive,
                                                   const std::string& where) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!case_insensitive);
  options.set_max_mem(64 << 20);
  auto re = std::make_unique<re2::RE2>(pattern, options);
  if (!re->ok()) return absl::InvalidArgumentError(absl::StrCat(where, ": invalid regular expression: ", re->error()));
  return re;
}

// Every non-empty match of `re` in `text`, appended to `out`.
void FindAll(const re2::RE2& re, std::string_view label, std::string_view text, std::vector<PiiMatch>& out) {
  re2::StringPiece input(text.data(), text.size());
  re2::StringPiece match;
  size_t pos = 0;
  while (pos <= text.size() && re.Match(input, pos, text.size(), re2::RE2::UNANCHORED, &match, 1)) {
    const size_t begin = match.data() - text.data();
    const size_t end = begin + match.size();
    if (end == begin) {
      pos = end + 1;
      continue;
    }
    out.push_back({begin, end, label});
    pos = end;
  }
}

// Sorted by begin (longer first on ties), overlaps removed keeping the first.
std::vector<PiiMatch> Merge(std::vector<PiiMatch> all) {
  std::sort(all.begin(), all.end(), [](const PiiMatch& a, const PiiMatch& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end > b.end;
  });
  std::vector<PiiMatch> merged;
  for (const PiiMatch& m : all) {
    if (merged.empty() || m.begin >= merged.back().end) merged.push_back(m);
  }
  return merged;
}

}  // namespace

bool ValidPiiLabel(std::string_view label) {
  if (label.empty() || label.size() > 32 || label[0] < 'A' || label[0] > 'Z') return false;
  return std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

absl::StatusOr<std::unique_ptr<PiiDetector>> PiiDetector::Create(PiiOptions options) {
  std::unique_ptr<PiiDetector> detector(new PiiDetector(std::move(options)));
  const PiiOptions& o = detector->options_;
  for (size_t i = 0; i < o.patterns.size(); ++i) {
    const std::string where = absl::StrCat("patterns[", i, "]");
    if (!ValidPiiLabel(o.patterns[i].label)) {
      return absl::InvalidArgumentError(absl::StrCat(where, ".label '", o.patterns[i].label,
                                                     "' must match [A-Z][A-Z0-9_]* (at most 32 characters)"));
    }
    if (o.patterns[i].regex.empty()) return absl::InvalidArgumentError(absl::StrCat(where, ".regex is empty"));
    auto re = Compile(o.patterns[i].regex, false, where + ".regex");
    if (!re.ok()) return re.status();
    detector->matchers_.push_back({o.patterns[i].label, *std::move(re)});
  }
  if (!o.dictionary.empty()) {
    if (!ValidPiiLabel(o.dictionary_label)) {
      return absl::InvalidArgumentError(absl::StrCat("dictionary label '", o.dictionary_label,
                                                     "' must match [A-Z][A-Z0-9_]*"));
    }
    std::string alternation;
    for (size_t i = 0; i < o.dictionary.size(); ++i) {
      if (o.dictionary[i].empty()) return absl::InvalidArgumentError(absl::StrCat("dictionary[", i, "] is empty"));
      absl::StrAppend(&alternation, alternation.empty() ? "" : "|", re2::RE2::QuoteMeta(o.dictionary[i]));
    }
    auto re = Compile(absl::StrCat("\\b(?:", alternation, ")\\b"), true, "dictionary");
    if (!re.ok()) return re.status();
    detector->matchers_.push_back({o.dictionary_label, *std::move(re)});
  }
  return detector;
}

PiiDetector::PiiDetector(PiiOptions options) : options_(std::move(options)) {}
PiiDetector::~PiiDetector() = default;

std::vector<PiiMatch> PiiDetector::Find(std::string_view text) const {
  std::vector<PiiMatch> found;
  internal::ScanBuiltIns(text, options_, found);
  if (matchers_.empty()) return found;
  for (const Matcher& m : matchers_) FindAll(*m.regex, m.label, text, found);
  return Merge(std::move(found));
}

}  // namespace catena::guardrails
