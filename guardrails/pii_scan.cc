// The built-in PII scanner (pii_scan.h). One pass over the bytes: a class table skips ordinary text; only '@',
// digits, '+' and '(' start work. A digit run is split into groups at single separators (" -./()"), and the
// longest group span that is a valid card or phone number wins; IBANs are tried where two capitals precede a
// digit. Context rules keep ids, dates, versions and amounts out: runs glued to letters, '#', '/' separators,
// currency signs and too few digits are rejected.
#include "guardrails/pii_scan.h"

#include <algorithm>
#include <array>
#include <string>

#include "guardrails/pii_checks.h"

namespace catena::guardrails::internal {
namespace {

enum CharClass : uint8_t { kPlain = 0, kDigit = 1, kAt = 2, kPlus = 3, kOpen = 4 };

constexpr std::array<uint8_t, 256> MakeClasses() {
  std::array<uint8_t, 256> t{};
  for (int c = '0'; c <= '9'; ++c) t[c] = kDigit;
  t['@'] = kAt;
  t['+'] = kPlus;
  t['('] = kOpen;
  return t;
}
constexpr std::array<uint8_t, 256> kClasses = MakeClasses();

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || IsUpper(c); }
bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsWord(char c) { return IsAlnum(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80; }
bool IsLocalChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'; }
bool IsSeparator(char c) { return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')'; }

struct Group {
  size_t begin = 0;
  size_t end = 0;
  char sep = 0;  // the separator before this group ('\0' for the first; the last char of a 2-char one)
  bool slash = false;
};

class Scanner {
 public:
  Scanner(std::string_view text, const PiiOptions& options, std::vector<PiiMatch>& out)
      : t_(text), options_(options), out_(out) {}

  void Run() {
    const size_t n = t_.size();
    size_t i = 0;
    while (i < n) {
      const uint8_t cls = kClasses[static_cast<unsigned char>(t_[i])];
      if (cls == kPlain) { ++i; continue; }
      if (cls == kAt) { i = options_.email ? Email(i) : i + 1; continue; }
      if (cls == kDigit || ((cls == kPlus || cls == kOpen) && i + 1 < n && IsDigit(t_[i + 1]))) {
        i = Number(i);
        continue;
      }
      ++i;
    }
  }

 private:
  char At(size_t i) const { return i < t_.size() ? t_[i] : '\0'; }
  char Before(size_t i) const { return i > 0 ? t_[i - 1] : '\0'; }

  void Add(size_t begin, size_t end, std::string_view label) {
    while (!out_.empty() && out_.back().end > begin) {
      if (out_.back().begin < begin) return;  // an earlier finding covers the start: keep it
      out_.pop_back();                        // a finding inside the new one (digits of a local part)
    }
    out_.push_back({begin, end, label});
  }

  size_t Email(size_t at) {
    size_t start = at;
    while (start > 0 && at - start < 64 && IsLocalChar(t_[start - 1])) --start;
    while (start < at && t_[start] == '.') ++start;
    if (start == at || t_[at - 1] == '.' || (start > 0 && IsWord(t_[start - 1]))) return at + 1;
    size_t end = at + 1;
    size_t last_dot = 0;
    size_t label_start = end;
    while (end < t_.size() && end - at < 255) {
      const char c = t_[end];
      if (IsAlnum(c) || (c == '-' && end > label_start)) { ++end; continue; }
      if (c == '.' && end > label_start && IsAlnum(At(end + 1))) { last_dot = end; label_start = ++end; continue; }
      break;
    }
    if (last_dot == 0) return at + 1;
    for (size_t k = last_dot + 1; k < end; ++k) {
      if (!IsAlpha(t_[k])) return at + 1;
    }
    if (end - last_dot < 3) return at + 1;
    Add(start, end, kEmailLabel);
    return end;
  }

  size_t Number(size_t i);
  bool Iban(size_t digit, size_t* end);
  size_t Groups(size_t i, std::vector<Group>& groups) const;
  bool RunExcluded(size_t start, size_t end) const;
  bool IsCard(const std::vector<Group>& g, size_t s, size_t e, const std::string& digits) const;
  bool IsPhone(const std::vector<Group>& g, size_t s, size_t e, const std::string& digits, char lead) const;
  bool CurrencyBefore(size_t start) const;

  bool SplitAt(const std::vector<Group>& g, size_t s, size_t e) const;
  void Spans(char lead, size_t start, bool cards);

  std::string_view t_;
  const PiiOptions& options_;
  std::vector<PiiMatch>& out_;
  std::vector<Group> groups_;      // reused by every run
  std::string digits_;             // the run's digits
  std::vector<size_t> offsets_;    // offsets_[g]: where group g starts in digits_
  std::vector<bool> used_;         // groups already part of a finding
  std::vector<PiiMatch> pending_;  // the run's findings before they are sorted
};

// Tries an IBAN whose first check digit is at `digit` (two capitals before it); sets *end on success.
bool Scanner::Iban(size_t digit, size_t* end) {
  if (digit < 2 || !IsUpper(t_[digit - 2]) || !IsUpper(t_[digit - 1]) || IsWord(Before(digit - 2))) return false;
  const int length = IbanLength(t_.substr(digit - 2, 2));
  if (length == 0) return false;
  std::string compact(t_.substr(digit - 2, 2));
  size_t k = digit;
  while (k < t_.size() && static_cast<int>(compact.size()) < length) {
    const char c = t_[k];
    if (IsDigit(c) || IsUpper(c)) { compact.push_back(c); ++k; continue; }
    if (c == ' ' && compact.size() >= 4 && (IsDigit(At(k + 1)) || IsUpper(At(k + 1)))) { ++k; continue; }
    break;
  }
  if (static_cast<int>(compact.size()) != length || IsWord(At(k)) || !IbanValid(compact)) return false;
  *end = k;
  return true;
}

// Reads the digit groups of the run starting at `i`; returns where the run ends.
size_t Scanner::Groups(size_t i, std::vector<Group>& groups) const {
  size_t k = i;
  if (t_[k] == '+' || t_[k] == '(') ++k;
  char sep = 0;
  bool slash = false;
  while (groups.size() < 16) {
    Group g{k, k, sep, slash};
    while (k < t_.size() && IsDigit(t_[k])) ++k;
    g.end = k;
    groups.push_back(g);
    size_t s = k;
    while (s < t_.size() && s - k < 2 && IsSeparator(t_[s])) ++s;
    if (s == k || !IsDigit(At(s))) break;
    sep = t_[s - 1];
    slash = t_.substr(k, s - k).find('/') != std::string_view::npos;
    k = s;
  }
  size_t end = groups.back().end;
  if (At(end) == ')' && t_[i] == '(') ++end;
  return end;
}

// True when the run [start, end) belongs to a word or an identifier ("ORD-1234", "v1.2", "#123", "x@").
bool Scanner::RunExcluded(size_t start, size_t end) const {
  const char before = Before(start);
  if (IsWord(before) || before == '#') return true;
  if ((before == '-' || before == '/' || before == '.' || before == '_') && IsWord(Before(start - 1))) return true;
  const char after = At(end);
  if (IsWord(after) || after == '@') return true;
  return (after == '-' || after == '/' || after == ',' || after == '.') && IsAlnum(At(end + 1));
}

bool Scanner::CurrencyBefore(size_t start) const {
  size_t k = start;
  if (k > 0 && t_[k - 1] == ' ') --k;
  if (k >= 1 && (t_[k - 1] == '$')) return true;
  if (k >= 2 && static_cast<unsigned char>(t_[k - 2]) == 0xC2 &&
      (static_cast<unsigned char>(t_[k - 1]) == 0xA3 || static_cast<unsigned char>(t_[k - 1]) == 0xA5)) {
    return true;  // £ ¥
  }
  return k >= 3 && t_.substr(k - 3, 3) == "\xE2\x82\xAC";  // €
}

// A sub-run [s, e] may start or end inside a run only at a space.
bool Scanner::SplitAt(const std::vector<Group>& g, size_t s, size_t e) const {
  if (s > 0 && g[s].sep != ' ') return false;
  if (e + 1 < g.size() && g[e + 1].sep != ' ') return false;
  for (size_t k = s + 1; k <= e; ++k) {
    if (g[k].slash) return false;
  }
  return true;
}

bool Scanner::IsCard(const std::vector<Group>& g, size_t s, size_t e, const std::string& d) const {
  if (d.size() < 13 || d.size() > 19) return false;
  for (size_t k = s + 1; k <= e; ++k) {
    if (g[k].sep != g[s + 1].sep || (g[k].sep != ' ' && g[k].sep != '-')) return false;
    if (g[k].begin != g[k - 1].end + 1) return false;  // one separator character
  }
  if (e > s) {
    for (size_t k = s; k <= e; ++k) {
      const size_t size = g[k].end - g[k].begin;
      if (size < 3 || size > 6) return false;
    }
  }
  return CardPrefixPlausible(d) && LuhnValid(d);
}

bool Scanner::IsPhone(const std::vector<Group>& g, size_t s, size_t e, const std::string& d, char lead) const {
  const size_t n = d.size();
  bool dots = false;
  for (size_t k = s + 1; k <= e; ++k) dots |= g[k].sep == '.';
  if (dots) {  // 1.234.567 (an amount) is not a phone
    bool thousands = g[s].end - g[s].begin <= 3;
    for (size_t k = s + 1; k <= e; ++k) thousands &= g[k].end - g[k].begin == 3;
    if (thousands) return false;
  }
  if (lead == '+') return n >= 8 && n <= 15 && d[0] != '0';
  if (d[0] == '0' && d[1] == '0') return d[2] != '0' && n >= 10 && n <= 17 && (e > s || n >= 11);
  std::vector<size_t> sizes;
  for (size_t k = s; k <= e; ++k) sizes.push_back(g[k].end - g[k].begin);
  const bool nanp = sizes == std::vector<size_t>{3, 3, 4} ||
                    (sizes == std::vector<size_t>{1, 3, 3, 4} && d[0] == '1' && lead == 0);
  if (nanp) return d[n - 10] >= '2';
  if (d[0] != '0' || d[1] == '0' || n < 9 || n > 12) return false;
  if (e == s) return n == 10 || n == 11;
  for (size_t size : sizes) {
    if (size < 2) return false;
  }
  return true;
}

// Finds cards (or phones) among the groups not used yet, longest span first from each start group.
void Scanner::Spans(char lead, size_t start, bool cards) {
  const size_t count = groups_.size();
  if (cards) used_.assign(count, false);
  if (cards ? !options_.card : !options_.phone) return;
  for (size_t s = 0; s < count;) {
    bool found = false;
    size_t last = s;
    while (last + 1 < count && last < s + 7 && !used_[last + 1]) ++last;
    for (size_t e = last + 1; !used_[s] && e-- > s;) {
      const size_t n = offsets_[e + 1] - offsets_[s];
      if (n < 8 || n > 19 || !SplitAt(groups_, s, e)) continue;
      const std::string sub = digits_.substr(offsets_[s], n);
      const char here = s == 0 ? lead : 0;
      if (cards) {
        found = here != '+' && IsCard(groups_, s, e, sub);
      } else {
        found = !(s == 0 && CurrencyBefore(start)) && IsPhone(groups_, s, e, sub, here);
      }
      if (!found) continue;
      pending_.push_back({cards || here == 0 ? groups_[s].begin : start, groups_[e].end,
                          cards ? kCardLabel : kPhoneLabel});
      for (size_t k = s; k <= e; ++k) used_[k] = true;
      s = e + 1;
      break;
    }
    if (!found) ++s;
  }
}

size_t Scanner::Number(size_t i) {
  const char lead = IsDigit(t_[i]) ? 0 : t_[i];
  size_t iban_end = 0;
  if (lead == 0 && options_.iban && Iban(i, &iban_end)) {
    Add(i - 2, iban_end, kIbanLabel);
    return iban_end;
  }
  groups_.clear();
  const size_t run_end = Groups(i, groups_);
  if (RunExcluded(i, run_end) || (lead == '+' && IsWord(Before(i)))) return run_end;
  digits_.clear();
  offsets_.clear();
  for (const Group& g : groups_) {
    offsets_.push_back(digits_.size());
    digits_.append(t_.substr(g.begin, g.end - g.begin));
  }
  offsets_.push_back(digits_.size());
  pending_.clear();
  Spans(lead, i, /*cards=*/true);
  Spans(lead, i, /*cards=*/false);
  std::sort(pending_.begin(), pending_.end(), [](const PiiMatch& a, const PiiMatch& b) { return a.begin < b.begin; });
  for (const PiiMatch& m : pending_) Add(m.begin, m.end, m.label);
  return run_end;
}

}  // namespace

void ScanBuiltIns(std::string_view text, const PiiOptions& options, std::vector<PiiMatch>& out) {
  Scanner(text, options, out).Run();
}

}  // namespace catena::guardrails::internal
