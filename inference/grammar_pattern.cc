// Regular expression -> NFA over the bytes of JSON string content (Thompson's construction, code point sets
// expanded into their JSON spellings) -> DFA (subset construction) -> per-state sets of the match lengths still
// reachable, which prune the states and transitions that cannot end in an admitted match.
#include "inference/grammar_pattern.h"

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"
#include "common/template/text.h"
#include "inference/json_schema_grammar.h"
#include "nlohmann/json.hpp"

namespace catena::inference::grammar {
namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr int kMaxRepeat = 1000;
constexpr size_t kMaxNfaStates = 200000;
constexpr size_t kMaxDfaStates = 32768;
constexpr size_t kMaxTableEntries = size_t{4} << 20;  // DFA states x byte classes (16 MB of transitions)
// NFA edges the subset construction may walk (well under a second on the dev VM): unanchored counted repetitions of
// wide classes make every DFA state a set of many positions.
constexpr size_t kMaxSubsetWork = size_t{16} << 20;
constexpr uint32_t kMaxCountedLength = 4096;

// Code point sets: inclusive ranges, sorted and merged by Normalize.
using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

Ranges Normalize(Ranges ranges) {
  std::sort(ranges.begin(), ranges.end());
  Ranges out;
  for (const auto& [lo, hi] : ranges) {
    if (!out.empty() && lo <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, hi);
    } else {
      out.emplace_back(lo, hi);
    }
  }
  return out;
}

Ranges Complement(const Ranges& ranges) {
  Ranges out;
  uint32_t next = 0;
  for (const auto& [lo, hi] : Normalize(ranges)) {
    if (lo > next) out.emplace_back(next, lo - 1);
    next = hi + 1;
  }
  if (next <= kMaxCodePoint) out.emplace_back(next, kMaxCodePoint);
  return out;
}

const Ranges& Digits() {
  static const auto* kSet = new Ranges{{'0', '9'}};
  return *kSet;
}
const Ranges& WordChars() {
  static const auto* kSet = new Ranges{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
  return *kSet;
}
// ECMA-262 WhiteSpace and LineTerminator.
const Ranges& Spaces() {
  static const auto* kSet = new Ranges{{0x09, 0x0D},     {0x20, 0x20},     {0xA0, 0xA0},     {0x1680, 0x1680},
                                       {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F},
                                       {0x3000, 0x3000}, {0xFEFF, 0xFEFF}};
  return *kSet;
}
// `.`: everything but the line terminators.
const Ranges& Dot() {
  static const auto* kSet = new Ranges(Complement({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}}));
  return *kSet;
}
const Ranges& AnyCodePoint() {
  static const auto* kSet = new Ranges{{0, kMaxCodePoint}};
  return *kSet;
}

struct Regex {
  enum class Op { kSet, kConcat, kAlternate, kRepeat, kLineStart, kLineEnd };
  Op op = Op::kConcat;
  Ranges set;                // kSet
  std::vector<Regex> parts;  // kConcat, kAlternate; kRepeat: the one repeated
  int min = 0, max = -1;     // kRepeat; max -1: unbounded
};

Regex SetOf(Ranges ranges) {
  Regex regex;
  regex.op = Regex::Op::kSet;
  regex.set = Normalize(std::move(ranges));
  return regex;
}

bool IsHexDigit(uint32_t c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
uint32_t HexValue(uint32_t c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }
bool IsAsciiAlnum(uint32_t c) { return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z'); }

// Recursive descent over ECMA-262 Pattern (without the u flag, as JSON Schema reads `pattern`).
class Parser {
 public:
  explicit Parser(std::string_view pattern) : pattern_(pattern) {}

  absl::StatusOr<Regex> Parse() {
    CATENA_RETURN_IF_ERROR(Decode());
    CATENA_ASSIGN_OR_RETURN(Regex regex, Disjunction(0));
    if (!AtEnd()) return Error("unmatched ')'");
    return regex;
  }

 private:
  absl::Status Decode() {
    for (size_t i = 0; i < pattern_.size();) {
      if (tmpl::text::ValidUtf8Length(pattern_.substr(i)) == 0) {
        return absl::InvalidArgumentError(absl::StrCat("byte ", i, " is not UTF-8"));
      }
      offsets_.push_back(i);
      chars_.push_back(tmpl::text::DecodeOne(pattern_, &i));
    }
    offsets_.push_back(pattern_.size());
    return absl::OkStatus();
  }

  bool AtEnd() const { return pos_ >= chars_.size(); }
  uint32_t Peek(size_t ahead = 0) const { return pos_ + ahead < chars_.size() ? chars_[pos_ + ahead] : 0xFFFFFFFF; }
  size_t Offset() const { return offsets_[std::min(pos_, chars_.size())]; }  // in bytes
  absl::Status Error(std::string_view what) const {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " at offset ", Offset()));
  }
  absl::Status Unsupported(std::string_view what) const {
    return absl::UnimplementedError(absl::StrCat(std::string(what), " (at offset ", Offset(), ") is not supported"));
  }

  absl::StatusOr<Regex> Disjunction(int depth) {
    if (depth > 100) return Unsupported("nesting deeper than 100 groups");
    Regex alternatives;
    alternatives.op = Regex::Op::kAlternate;
    while (true) {
      CATENA_ASSIGN_OR_RETURN(Regex branch, Alternative(depth));
      alternatives.parts.push_back(std::move(branch));
      if (Peek() != '|') break;
      ++pos_;
    }
    if (alternatives.parts.size() == 1) return std::move(alternatives.parts[0]);
    return alternatives;
  }

  absl::StatusOr<Regex> Alternative(int depth) {
    Regex sequence;
    while (!AtEnd() && Peek() != '|' && Peek() != ')') {
      CATENA_ASSIGN_OR_RETURN(Regex term, Term(depth));
      sequence.parts.push_back(std::move(term));
    }
    return sequence;
  }

  absl::StatusOr<Regex> Term(int depth) {
    const uint32_t c = Peek();
    if (c == '^' || c == '$') {
      ++pos_;
      Regex assertion;
      assertion.op = c == '^' ? Regex::Op::kLineStart : Regex::Op::kLineEnd;
      if (QuantifierAhead()) return Error("nothing to repeat");
      return assertion;
    }
    if (c == '\\' && (Peek(1) == 'b' || Peek(1) == 'B')) return Unsupported("the word boundary \\b/\\B");
    CATENA_ASSIGN_OR_RETURN(Regex atom, Atom(depth));
    return Quantified(std::move(atom));
  }

  // Whether a quantifier starts here (a `{` that does not spell one is a literal, as in Annex B).
  bool QuantifierAhead() {
    const uint32_t c = Peek();
    if (c == '*' || c == '+' || c == '?') return true;
    if (c != '{') return false;
    const size_t saved = pos_;
    int min = 0, max = 0;
    const bool braces = ReadBraces(min, max);
    pos_ = saved;
    return braces;
  }

  // {n}, {n,} or {n,m} at pos_ (max -1 when unbounded); leaves pos_ after it, or anywhere when it returns false.
  bool ReadBraces(int& min, int& max) {
    ++pos_;  // {
    auto number = [&](int& out) {
      if (!(Peek() >= '0' && Peek() <= '9')) return false;
      int64_t value = 0;
      while (Peek() >= '0' && Peek() <= '9') value = std::min<int64_t>(value * 10 + (chars_[pos_++] - '0'), 1 << 30);
      out = static_cast<int>(value);
      return true;
    };
    if (!number(min)) return false;
    max = min;
    if (Peek() == ',') {
      ++pos_;
      max = -1;
      if (Peek() != '}' && !number(max)) return false;
    }
    if (Peek() != '}') return false;
    ++pos_;
    return true;
  }

  absl::StatusOr<Regex> Quantified(Regex atom) {
    int min = 0, max = -1;
    const uint32_t c = Peek();
    if (c == '*' || c == '+' || c == '?') {
      ++pos_;
      min = c == '+' ? 1 : 0;
      max = c == '?' ? 1 : -1;
    } else if (c == '{' && QuantifierAhead()) {
      const size_t at = pos_;
      ReadBraces(min, max);
      if (max >= 0 && min > max) {
        pos_ = at;
        return Error("numbers out of order in {} quantifier");
      }
      if (min > kMaxRepeat || max > kMaxRepeat) {
        pos_ = at;
        return Unsupported(absl::StrCat("a repetition count above ", kMaxRepeat));
      }
    } else {
      return atom;
    }
    if (Peek() == '?') ++pos_;  // lazy: the same strings match
    if (QuantifierAhead()) return Error("nothing to repeat");
    Regex repeat;
    repeat.op = Regex::Op::kRepeat;
    repeat.min = min;
    repeat.max = max;
    repeat.parts.push_back(std::move(atom));
    return repeat;
  }

  absl::StatusOr<Regex> Atom(int depth) {
    const uint32_t c = Peek();
    if (c == '*' || c == '+' || c == '?' || (c == '{' && QuantifierAhead())) return Error("nothing to repeat");
    if (c == '(') return Group(depth);
    if (c == '[') return Class();
    ++pos_;
    if (c == '.') return SetOf(Dot());
    if (c == '\\') {
      CATENA_ASSIGN_OR_RETURN(Ranges set, Escape(/*in_class=*/false));
      return SetOf(std::move(set));
    }
    return SetOf({{c, c}});
  }

  absl::StatusOr<Regex> Group(int depth) {
    ++pos_;  // (
    if (Peek() == '?') {
      if (Peek(1) == ':') {
        pos_ += 2;
      } else if (Peek(1) == '=' || Peek(1) == '!') {
        return Unsupported("lookahead");
      } else if (Peek(1) == '<' && (Peek(2) == '=' || Peek(2) == '!')) {
        return Unsupported("lookbehind");
      } else if (Peek(1) == '<') {  // (?<name>...): named groups match as plain ones
        pos_ += 2;
        while (!AtEnd() && Peek() != '>') ++pos_;
        if (AtEnd()) return Error("unterminated group name");
        ++pos_;
      } else {
        return Error("invalid group");
      }
    }
    CATENA_ASSIGN_OR_RETURN(Regex inner, Disjunction(depth + 1));
    if (Peek() != ')') return Error("missing ')'");
    ++pos_;
    return inner;
  }

  // After a backslash: the code points the escape stands for.
  absl::StatusOr<Ranges> Escape(bool in_class) {
    if (AtEnd()) return Error("\\ at end of pattern");
    const uint32_t c = chars_[pos_++];
    switch (c) {
      case 'd':
        return Digits();
      case 'D':
        return Complement(Digits());
      case 'w':
        return WordChars();
      case 'W':
        return Complement(WordChars());
      case 's':
        return Spaces();
      case 'S':
        return Complement(Spaces());
      case 't':
        return Ranges{{'\t', '\t'}};
      case 'n':
        return Ranges{{'\n', '\n'}};
      case 'v':
        return Ranges{{'\v', '\v'}};
      case 'f':
        return Ranges{{'\f', '\f'}};
      case 'r':
        return Ranges{{'\r', '\r'}};
      case 'b':  // only reached inside a class, where it is the backspace
        return Ranges{{'\b', '\b'}};
      case '0':
        if (Peek() >= '0' && Peek() <= '9') return Unsupported("a legacy octal escape");
        return Ranges{{0, 0}};
      case 'c':
        if (AtEnd() || (Peek() | 0x20) < 'a' || (Peek() | 0x20) > 'z') return Error("\\c must be followed by a letter");
        return Ranges{{chars_[pos_] % 32, chars_[pos_++] % 32}};
      case 'x':
      case 'u': {
        CATENA_ASSIGN_OR_RETURN(uint32_t value, Hex(c == 'x' ? 2 : 4));
        if (value >= 0xD800 && value <= 0xDBFF && Peek() == '\\' && Peek(1) == 'u') {
          pos_ += 2;
          CATENA_ASSIGN_OR_RETURN(uint32_t low, Hex(4));
          if (low < 0xDC00 || low > 0xDFFF) return Error("a high surrogate without its low surrogate");
          value = 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00);
        } else if (value >= 0xD800 && value <= 0xDFFF) {
          return Unsupported("a lone surrogate");
        }
        return Ranges{{value, value}};
      }
      case 'p':
      case 'P':
        return Unsupported("a Unicode property escape");
      case 'k':
        return Unsupported("a named backreference");
      default:
        break;
    }
    if (c >= '1' && c <= '9') return Unsupported("a backreference");
    if (c == '-' && in_class) return Ranges{{'-', '-'}};
    if (IsAsciiAlnum(c)) {
      --pos_;
      return Error(absl::StrCat("unknown escape \\", std::string(1, static_cast<char>(c))));
    }
    return Ranges{{c, c}};  // an escaped syntax character (or any other non-alphanumeric) stands for itself
  }

  absl::StatusOr<uint32_t> Hex(int digits) {
    uint32_t value = 0;
    for (int i = 0; i < digits; ++i) {
      if (!IsHexDigit(Peek())) return Error(absl::StrCat("expected ", digits, " hex digits"));
      value = value * 16 + HexValue(chars_[pos_++]);
    }
    return value;
  }

  // One class atom: a code point (`single`) or an escape's set.
  absl::StatusOr<Ranges> ClassAtom(bool& single) {
    if (AtEnd()) return Error("missing ']'");
    const uint32_t c = chars_[pos_++];
    if (c != '\\') {
      single = true;
      return Ranges{{c, c}};
    }
    CATENA_ASSIGN_OR_RETURN(Ranges set, Escape(/*in_class=*/true));
    single = set.size() == 1 && set[0].first == set[0].second;
    return set;
  }

  absl::StatusOr<Regex> Class() {
    ++pos_;  // [
    const bool negated = Peek() == '^';
    if (negated) ++pos_;
    Ranges set;
    while (Peek() != ']') {
      bool single = false;
      CATENA_ASSIGN_OR_RETURN(Ranges first, ClassAtom(single));
      if (Peek() == '-' && Peek(1) != ']' && pos_ + 1 < chars_.size()) {
        const size_t dash = pos_;
        ++pos_;
        bool last_single = false;
        CATENA_ASSIGN_OR_RETURN(Ranges last, ClassAtom(last_single));
        if (!single || !last_single) {
          pos_ = dash;
          return Error("a class escape cannot bound a range");
        }
        if (first[0].first > last[0].first) {
          pos_ = dash;
          return Error("range out of order in character class");
        }
        set.emplace_back(first[0].first, last[0].first);
        continue;
      }
      set.insert(set.end(), first.begin(), first.end());
    }
    ++pos_;  // ]
    return SetOf(negated ? Complement(set) : set);
  }

  std::string_view pattern_;
  std::vector<uint32_t> chars_;
  std::vector<size_t> offsets_;  // byte offset of each code point, and the pattern's size
  size_t pos_ = 0;
};

// The NFA over bytes of JSON string content. Mid states lie inside one code point's spelling.
struct NfaEdge {
  enum class Kind : uint8_t { kByte, kEmpty, kLineStart, kLineEnd };
  Kind kind = Kind::kEmpty;
  uint8_t lo = 0, hi = 0;
  int32_t to = 0;
};
struct NfaState {
  bool mid = false;
  std::vector<NfaEdge> edges;
};

// How JSON writes code point `c` (< 0x80) when it must be escaped; empty when it is written as itself.
std::string JsonEscape(uint32_t c) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return c < 0x20 ? absl::StrFormat("\\u%04x", c) : "";
  }
}

int Utf8Length(uint32_t c) { return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4; }

using ByteRanges = std::vector<std::pair<uint8_t, uint8_t>>;

// The code points [lo, hi] (all >= 0x80, no surrogates) as UTF-8 byte-range sequences: split until every
// sequence covers whole blocks of continuation bytes, so each position's byte range can vary independently.
void Utf8Sequences(uint32_t lo, uint32_t hi, std::vector<ByteRanges>& out) {
  static constexpr uint32_t kLastOfLength[] = {0x7F, 0x7FF, 0xFFFF};
  for (uint32_t last : kLastOfLength) {
    if (lo <= last && hi > last) {
      Utf8Sequences(lo, last, out);
      Utf8Sequences(last + 1, hi, out);
      return;
    }
  }
  const int n = Utf8Length(lo);
  for (int i = 1; i < n; ++i) {
    const uint32_t m = (uint32_t{1} << (6 * i)) - 1;
    if ((lo & ~m) == (hi & ~m)) continue;
    if ((lo & m) != 0) {
      Utf8Sequences(lo, lo | m, out);
      Utf8Sequences((lo | m) + 1, hi, out);
      return;
    }
    if ((hi & m) != m) {
      Utf8Sequences(lo, (hi & ~m) - 1, out);
      Utf8Sequences(hi & ~m, hi, out);
      return;
    }
  }
  std::string a, b;
  tmpl::text::AppendUtf8(lo, &a);
  tmpl::text::AppendUtf8(hi, &b);
  ByteRanges sequence;
  for (int i = 0; i < n; ++i) sequence.emplace_back(static_cast<uint8_t>(a[i]), static_cast<uint8_t>(b[i]));
  out.push_back(std::move(sequence));
}

class NfaBuilder {
 public:
  int32_t NewState(bool mid = false) {
    states_.push_back(NfaState{mid, {}});
    return static_cast<int32_t>(states_.size() - 1);
  }
  void Edge(int32_t from, NfaEdge::Kind kind, int32_t to, uint8_t lo = 0, uint8_t hi = 0) {
    states_[from].edges.push_back(NfaEdge{kind, lo, hi, to});
  }

  absl::Status Emit(const Regex& regex, int32_t in, int32_t out) {
    if (states_.size() > kMaxNfaStates) {
      return absl::UnimplementedError("the pattern expands to too many states; lower its repetition counts");
    }
    switch (regex.op) {
      case Regex::Op::kSet:
        AddSet(regex.set, in, out);
        return absl::OkStatus();
      case Regex::Op::kLineStart:
      case Regex::Op::kLineEnd:
        Edge(in, regex.op == Regex::Op::kLineStart ? NfaEdge::Kind::kLineStart : NfaEdge::Kind::kLineEnd, out);
        return absl::OkStatus();
      case Regex::Op::kAlternate:
        for (const Regex& part : regex.parts) CATENA_RETURN_IF_ERROR(Emit(part, in, out));
        return absl::OkStatus();
      case Regex::Op::kConcat: {
        int32_t at = in;
        for (const Regex& part : regex.parts) {
          const int32_t next = NewState();
          CATENA_RETURN_IF_ERROR(Emit(part, at, next));
          at = next;
        }
        Edge(at, NfaEdge::Kind::kEmpty, out);
        return absl::OkStatus();
      }
      case Regex::Op::kRepeat: {
        const Regex& part = regex.parts[0];
        int32_t at = in;
        for (int i = 0; i < regex.min; ++i) {
          const int32_t next = NewState();
          CATENA_RETURN_IF_ERROR(Emit(part, at, next));
          at = next;
        }
        if (regex.max < 0) {
          const int32_t loop = NewState();
          Edge(at, NfaEdge::Kind::kEmpty, loop);
          CATENA_RETURN_IF_ERROR(Emit(part, loop, loop));
          Edge(loop, NfaEdge::Kind::kEmpty, out);
          return absl::OkStatus();
        }
        for (int i = regex.min; i < regex.max; ++i) {
          const int32_t next = NewState();
          Edge(at, NfaEdge::Kind::kEmpty, out);
          CATENA_RETURN_IF_ERROR(Emit(part, at, next));
          at = next;
        }
        Edge(at, NfaEdge::Kind::kEmpty, out);
        return absl::OkStatus();
      }
    }
    return absl::OkStatus();
  }

  // Edges from `in` to `out` spelling each code point of `set` as JSON string content.
  void AddSet(const Ranges& set, int32_t in, int32_t out) {
    for (const auto& [lo, hi] : set) {
      int32_t plain_from = -1;  // an open run of ASCII code points written as themselves
      for (uint32_t c = lo; c <= std::min<uint32_t>(hi, 0x7F); ++c) {
        const std::string escape = JsonEscape(c);
        if (escape.empty() && plain_from < 0) plain_from = static_cast<int32_t>(c);
        if (!escape.empty() || c == std::min<uint32_t>(hi, 0x7F)) {
          const uint32_t run_end = escape.empty() ? c : c - 1;
          if (plain_from >= 0) {
            Edge(in, NfaEdge::Kind::kByte, out, static_cast<uint8_t>(plain_from), static_cast<uint8_t>(run_end));
          }
          plain_from = -1;
        }
        if (!escape.empty()) AddBytes(escape, in, out);
      }
      // Past ASCII, without the surrogates (JSON text holds no lone ones).
      for (auto [a, b] : {std::pair<uint32_t, uint32_t>{std::max<uint32_t>(lo, 0x80), std::min<uint32_t>(hi, 0xD7FF)},
                          std::pair<uint32_t, uint32_t>{std::max<uint32_t>(lo, 0xE000), hi}}) {
        if (a > b) continue;
        std::vector<ByteRanges> sequences;
        Utf8Sequences(a, b, sequences);
        for (const ByteRanges& sequence : sequences) AddChain(sequence, in, out);
      }
    }
  }

  std::vector<NfaState> Take() { return std::move(states_); }

 private:
  void AddBytes(const std::string& bytes, int32_t in, int32_t out) {
    ByteRanges sequence;
    for (char c : bytes) sequence.emplace_back(static_cast<uint8_t>(c), static_cast<uint8_t>(c));
    AddChain(sequence, in, out);
  }
  void AddChain(const ByteRanges& sequence, int32_t in, int32_t out) {
    int32_t at = in;
    for (size_t i = 0; i < sequence.size(); ++i) {
      const int32_t next = i + 1 == sequence.size() ? out : NewState(/*mid=*/true);
      Edge(at, NfaEdge::Kind::kByte, next, sequence[i].first, sequence[i].second);
      at = next;
    }
  }

  std::vector<NfaState> states_;
};

using StateSet = std::vector<int32_t>;

// `seeds` and every state reachable from them without reading a byte; the anchors hold at the start (^) and at
// the end ($) only when said so. Visited states are stamped per call, so a call costs its closure's size, not the
// NFA's.
class Closer {
 public:
  explicit Closer(const std::vector<NfaState>& nfa) : nfa_(nfa), stamp_(nfa.size(), 0) {}

  StateSet operator()(StateSet seeds, bool at_start, bool at_end) {
    ++epoch_;
    StateSet out;
    while (!seeds.empty()) {
      const int32_t s = seeds.back();
      seeds.pop_back();
      if (stamp_[s] == epoch_) continue;
      stamp_[s] = epoch_;
      out.push_back(s);
      for (const NfaEdge& edge : nfa_[s].edges) {
        const bool follow = edge.kind == NfaEdge::Kind::kEmpty ||
                            (edge.kind == NfaEdge::Kind::kLineStart && at_start) ||
                            (edge.kind == NfaEdge::Kind::kLineEnd && at_end);
        if (follow && stamp_[edge.to] != epoch_) seeds.push_back(edge.to);
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

 private:
  const std::vector<NfaState>& nfa_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 0;
};

// The DFA of an NFA: its byte classes (bytes no edge tells apart share a column), transitions (-1: none) and,
// per state, whether it lies between code points and whether the text so far matches.
struct Dfa {
  uint8_t class_of[256] = {};
  size_t classes = 1;
  std::vector<int32_t> next;  // state * classes + class
  std::vector<uint8_t> boundary, accepting;
  size_t states() const { return boundary.size(); }
};

// Subset construction from `start`, the only state where ^ holds; `final_state` accepts. UNIMPLEMENTED past
// the size and work limits.
absl::StatusOr<Dfa> Determinize(const std::vector<NfaState>& nfa, int32_t start, int32_t final_state) {
  Dfa dfa;
  bool splits[257] = {true};
  for (const NfaState& state : nfa) {
    for (const NfaEdge& edge : state.edges) {
      if (edge.kind == NfaEdge::Kind::kByte) splits[edge.lo] = splits[edge.hi + 1] = true;
    }
  }
  int32_t last_class = -1;
  for (int b = 0; b < 256; ++b) dfa.class_of[b] = static_cast<uint8_t>(last_class += splits[b]);
  const size_t classes = dfa.classes = static_cast<size_t>(last_class) + 1;

  Closer closure(nfa);
  std::vector<StateSet> sets = {closure({start}, /*at_start=*/true, /*at_end=*/false)};
  std::map<StateSet, int32_t> ids;
  size_t walked = 0;  // NFA edges looked at
  for (size_t d = 0; d < sets.size(); ++d) {
    const StateSet set = sets[d];
    for (int32_t s : set) walked += nfa[s].edges.size() + 1;
    if (walked > kMaxSubsetWork) {
      return absl::UnimplementedError(
          absl::StrCat("the pattern is too complex to compile (", d, " automaton states built before the limit)"));
    }
    const StateSet ends = closure(set, d == 0, /*at_end=*/true);
    dfa.accepting.push_back(std::binary_search(ends.begin(), ends.end(), final_state));
    dfa.boundary.push_back(!nfa[set.front()].mid);
    std::vector<StateSet> by_class(classes);
    for (int32_t s : set) {
      for (const NfaEdge& edge : nfa[s].edges) {
        if (edge.kind != NfaEdge::Kind::kByte) continue;
        for (int c = dfa.class_of[edge.lo]; c <= dfa.class_of[edge.hi]; ++c) by_class[c].push_back(edge.to);
      }
    }
    std::map<StateSet, int32_t> memo;  // targets -> DFA state, within this state's row
    dfa.next.resize(dfa.next.size() + classes, -1);
    for (size_t c = 0; c < classes; ++c) {
      StateSet& targets = by_class[c];
      if (targets.empty()) continue;
      std::sort(targets.begin(), targets.end());
      targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
      auto [memo_it, fresh] = memo.emplace(targets, -1);
      if (fresh) {
        StateSet closed = closure(targets, false, false);
        auto [it, inserted] = ids.emplace(closed, static_cast<int32_t>(sets.size()));
        if (inserted) {
          if (sets.size() >= kMaxDfaStates || (sets.size() + 1) * classes > kMaxTableEntries) {
            return absl::UnimplementedError(absl::StrCat("the pattern needs more than ", sets.size(),
                                                         " automaton states of ", classes, " byte classes"));
          }
          sets.push_back(std::move(closed));
        }
        memo_it->second = it->second;
      }
      dfa.next[d * classes + c] = memo_it->second;
    }
  }
  return dfa;
}

// Per state, `words` words of bits: bit l (l < cap) when a match ends l code points later, bit cap when one ends
// cap or more later. A fixed point over the reversed transitions.
std::vector<uint64_t> ReachableLengths(const Dfa& dfa, uint32_t cap, size_t words) {
  const size_t n = dfa.states();
  std::vector<uint64_t> reach(n * words, 0);
  std::vector<std::vector<int32_t>> predecessors(n);
  for (size_t d = 0; d < n; ++d) {
    StateSet targets(dfa.next.begin() + d * dfa.classes, dfa.next.begin() + (d + 1) * dfa.classes);
    std::sort(targets.begin(), targets.end());
    targets.erase(std::unique(targets.begin(), targets.end()), targets.end());
    for (int32_t t : targets) {
      if (t >= 0) predecessors[t].push_back(static_cast<int32_t>(d));
    }
  }
  std::deque<int32_t> work;
  for (size_t d = 0; d < n; ++d) {
    if (!dfa.accepting[d]) continue;
    reach[d * words] |= 1;
    work.push_back(static_cast<int32_t>(d));
  }
  std::vector<uint64_t> shifted(words);
  while (!work.empty()) {
    const int32_t t = work.front();
    work.pop_front();
    const uint64_t* from = &reach[t * words];
    // A step into a boundary state completes a code point: lengths grow by one, saturating at the cap.
    if (dfa.boundary[t]) {
      const bool saturated = (from[cap / 64] >> (cap % 64)) & 1;
      for (size_t w = 0; w < words; ++w) shifted[w] = (from[w] << 1) | (w > 0 ? from[w - 1] >> 63 : 0);
      shifted[words - 1] &= cap % 64 == 63 ? ~uint64_t{0} : (uint64_t{1} << (cap % 64 + 1)) - 1;
      if (saturated) shifted[cap / 64] |= uint64_t{1} << (cap % 64);
    } else {
      std::copy(from, from + words, shifted.begin());
    }
    for (int32_t d : predecessors[t]) {
      uint64_t* into = &reach[d * words];
      bool grew = false;
      for (size_t w = 0; w < words; ++w) {
        grew = grew || (shifted[w] & ~into[w]) != 0;
        into[w] |= shifted[w];
      }
      if (grew) work.push_back(d);
    }
  }
  return reach;
}

}  // namespace

absl::StatusOr<StringPattern> StringPattern::Compile(std::string_view pattern, uint32_t min_length,
                                                      uint32_t max_length) {
  const bool bounded = max_length != UINT32_MAX;
  if ((bounded ? max_length : min_length) > kMaxCountedLength) {
    return absl::UnimplementedError(
        absl::StrCat("minLength/maxLength above ", kMaxCountedLength, " beside a pattern is not supported"));
  }
  CATENA_ASSIGN_OR_RETURN(Regex regex, Parser(pattern).Parse());

  // Matched anywhere: any text may come before and after the expression (the anchors pin it to the ends).
  NfaBuilder builder;
  const int32_t start = builder.NewState();
  const int32_t final_state = builder.NewState();
  builder.AddSet(AnyCodePoint(), start, start);
  builder.AddSet(AnyCodePoint(), final_state, final_state);
  CATENA_RETURN_IF_ERROR(builder.Emit(regex, start, final_state));
  CATENA_ASSIGN_OR_RETURN(Dfa dfa, Determinize(builder.Take(), start, final_state));

  StringPattern out;
  out.min_length_ = min_length;
  out.max_length_ = max_length;
  std::copy(std::begin(dfa.class_of), std::end(dfa.class_of), out.class_of_);
  out.classes_ = dfa.classes;
  out.count_cap_ = (bounded ? max_length : min_length) + 1;
  out.reach_words_ = out.count_cap_ / 64 + 1;
  out.reach_ = ReachableLengths(dfa, out.count_cap_, out.reach_words_);
  out.boundary_ = std::move(dfa.boundary);
  out.next_ = std::move(dfa.next);
  const size_t words = out.reach_words_;
  // Transitions into states with no admitted match ahead are dropped.
  for (int32_t& target : out.next_) {
    if (target < 0) continue;
    bool live = false;
    for (size_t w = 0; w < words; ++w) live = live || out.reach_[target * words + w] != 0;
    if (!live) target = -1;
  }
  for (size_t d = 0; d < out.states(); ++d) {
    for (uint32_t l = 0; l < out.count_cap_; ++l) {
      if ((out.reach_[d * words + l / 64] >> (l % 64)) & 1) {
        out.longest_shortest_end_ = std::max(out.longest_shortest_end_, l);
        break;
      }
    }
  }
  if (!out.Feasible(0, 0)) {
    return absl::InvalidArgumentError(min_length > 0 || bounded
                                          ? "no string with a length within minLength/maxLength matches the pattern"
                                          : "no string matches the pattern");
  }
  return out;
}

bool StringPattern::Feasible(int32_t state, uint32_t count) const {
  const uint64_t* reach = &reach_[state * reach_words_];
  if (max_length_ == UINT32_MAX && ((reach[count_cap_ / 64] >> (count_cap_ % 64)) & 1)) return true;
  // Some length l < count_cap_ ahead with min <= count + l <= max.
  const uint32_t first = count >= min_length_ ? 0 : min_length_ - count;
  const uint32_t last = std::min<uint64_t>(count_cap_ - 1, uint64_t{max_length_} - std::min(count, max_length_));
  if (count > max_length_) return false;
  for (uint32_t l = first; l <= last; ++l) {
    if (l % 64 == 0 && l + 63 <= last && reach[l / 64] == 0) {
      l += 63;
      continue;
    }
    if ((reach[l / 64] >> (l % 64)) & 1) return true;
  }
  return false;
}

int32_t StringPattern::Advance(int32_t state, uint32_t& count, uint8_t byte) const {
  const int32_t next = next_[state * classes_ + class_of_[byte]];
  if (next < 0) return -1;
  const uint32_t advanced = boundary_[next] ? std::min(count + 1, count_cap_) : count;
  if (!Feasible(next, advanced)) return -1;
  count = advanced;
  return next;
}

uint32_t StringPattern::CountForKey(uint32_t count, uint32_t horizon) const {
  // At or past minLength, a state is feasible exactly when its shortest way to a match end fits before
  // maxLength, so all counts this far from maxLength leave every state as feasible as the next.
  const uint64_t reach = uint64_t{count} + horizon + longest_shortest_end_;
  return max_length_ != UINT32_MAX && count >= min_length_ && reach <= max_length_ ? UINT32_MAX : count;
}

bool StringPattern::Complete(int32_t state, uint32_t count) const {
  return (reach_[state * reach_words_] & 1) != 0 && count >= min_length_ && count <= max_length_;
}

std::string_view StringPattern::FormatPattern(std::string_view format) {
  static const std::string kDate = R"(\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01]))";
  static const std::string kTime = R"(([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d))";
  static const auto* kFormats = new std::map<std::string_view, std::string>{
      {"date", absl::StrCat("^", kDate, "$")},
      {"time", absl::StrCat("^", kTime, "$")},
      {"date-time", absl::StrCat("^", kDate, "T", kTime, "$")},
      {"uuid", "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"},
      {"ipv4", R"(^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$)"},
      {"email", R"(^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*)"
                R"(@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$)"},
  };
  const auto it = kFormats->find(format);
  return it == kFormats->end() ? std::string_view() : std::string_view(it->second);
}

bool StringPattern::Matches(std::string_view text) const {
  const std::string quoted =
      nlohmann::json(std::string(text)).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  int32_t state = 0;
  uint32_t count = 0;
  for (size_t i = 1; i + 1 < quoted.size() && state >= 0; ++i) {
    state = Advance(state, count, static_cast<uint8_t>(quoted[i]));
  }
  return state >= 0 && Complete(state, count);
}

std::string StringPattern::ShortestMatch() const {
  // Breadth first over (state, count); bytes tried letters first, then digits, then the rest.
  std::vector<uint8_t> order;
  for (int b = 'a'; b <= 'z'; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = 'A'; b <= 'Z'; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = '0'; b <= '9'; ++b) order.push_back(static_cast<uint8_t>(b));
  for (int b = 0; b < 256; ++b) {
    if (!((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))) {
      order.push_back(static_cast<uint8_t>(b));
    }
  }
  struct Visit {
    int32_t state;
    uint32_t count;
    int64_t parent;
    uint8_t byte;
  };
  std::vector<Visit> visits = {{0, 0, -1, 0}};
  std::set<std::pair<int32_t, uint32_t>> seen = {{0, 0}};
  for (size_t i = 0; i < visits.size(); ++i) {
    if (Complete(visits[i].state, visits[i].count)) {
      std::string content;
      for (int64_t at = static_cast<int64_t>(i); visits[at].parent >= 0; at = visits[at].parent) {
        content.insert(content.begin(), static_cast<char>(visits[at].byte));
      }
      return nlohmann::json::parse("\"" + content + "\"").get<std::string>();
    }
    for (uint8_t b : order) {
      uint32_t count = visits[i].count;
      const int32_t next = Advance(visits[i].state, count, b);
      if (next >= 0 && seen.emplace(next, count).second) {
        visits.push_back({next, count, static_cast<int64_t>(i), b});
      }
    }
  }
  return "";  // not reached: Compile refuses patterns without an admitted string
}

absl::StatusOr<std::shared_ptr<const StringPattern>> StringPattern::Shared(std::string_view pattern,
                                                                          uint32_t min_length, uint32_t max_length) {
  static std::mutex mutex;
  static auto* cache = new absl::flat_hash_map<std::string, std::shared_ptr<const StringPattern>>();
  const std::string key = absl::StrCat(min_length, ":", max_length, ":", std::string(pattern));
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (auto it = cache->find(key); it != cache->end()) return it->second;
  }
  CATENA_ASSIGN_OR_RETURN(StringPattern compiled, Compile(pattern, min_length, max_length));
  auto shared = std::make_shared<const StringPattern>(std::move(compiled));
  std::lock_guard<std::mutex> lock(mutex);
  if (cache->size() >= 256) cache->clear();
  cache->emplace(key, shared);
  return shared;
}

}  // namespace catena::inference::grammar

namespace catena::inference {
namespace {

// The cached automaton of `pattern`, else of a format the grammar enforces; null when there is neither.
absl::StatusOr<std::shared_ptr<const grammar::StringPattern>> SchemaStringPattern(std::string_view pattern,
                                                                                  std::string_view format,
                                                                                  uint32_t min_length,
                                                                                  uint32_t max_length) {
  const std::string_view expression = pattern.empty() ? grammar::StringPattern::FormatPattern(format) : pattern;
  if (expression.empty()) return nullptr;
  return grammar::StringPattern::Shared(expression, min_length, max_length);
}

}  // namespace

absl::StatusOr<bool> StringMatchesSchemaPattern(std::string_view pattern, std::string_view format,
                                                std::string_view text) {
  CATENA_ASSIGN_OR_RETURN(auto compiled, SchemaStringPattern(pattern, format, 0, UINT32_MAX));
  return compiled == nullptr || compiled->Matches(text);
}

absl::StatusOr<std::string> ShortestStringForSchemaPattern(std::string_view pattern, std::string_view format,
                                                           uint32_t min_length, uint32_t max_length) {
  CATENA_ASSIGN_OR_RETURN(auto compiled, SchemaStringPattern(pattern, format, min_length, max_length));
  if (compiled == nullptr) return std::string(min_length, 'a');
  return compiled->ShortestMatch();
}

}  // namespace catena::inference
