#include "inference/grammar_automaton.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "inference/grammar_pattern.h"

namespace catena::inference::grammar {
namespace {

enum StringPhase : uint16_t { kStrOpen, kStrContent, kStrEscape, kStrHex1, kStrHex2, kStrHex3, kStrHex4, kStrUtf8 };
enum ObjectPhase : uint16_t { kObjOpen, kObjFirst, kObjKey, kObjAfter, kObjSpace };
enum ArrayPhase : uint16_t { kArrOpen, kArrFirst, kArrAfter, kArrSpace };
enum MapPhase : uint16_t { kMapOpen, kMapFirst, kMapColon, kMapColonSpace, kMapAfter, kMapSpace, kMapKey };
enum NumberPhase : uint16_t {
  kNumStart,
  kNumMinus,
  kNumZero,
  kNumInt,
  kNumDot,
  kNumFrac,
  kNumExp,
  kNumExpSign,
  kNumExpDigits
};
// UTF-8 continuation state in Frame::aux: low 2 bits bytes still needed, next 2 bits the range of the next
// byte (0: 80..BF, 1: A0..BF after E0, 2: 80..9F after ED, 3: 90..BF after F0, 4: 80..8F after F4).
constexpr uint32_t kFar = 0xFFFFFFFF, kFarBelow = 0xFFFFFFFE;

// What a frame's byte handler did: the byte is consumed (the stack is to be appended), rejected, the frame's
// value ended before the byte (the parent must see it), or the handler appended the resulting stacks itself.
enum class Outcome { kDone, kReject, kRedispatch, kPushed };

bool IsDigit(uint8_t b) { return b >= '0' && b <= '9'; }
bool IsHex(uint8_t b) { return IsDigit(b) || (b >= 'a' && b <= 'f') || (b >= 'A' && b <= 'F'); }

// Bits of the properties a key may name next: `next` up to and including the first required one.
uint64_t AllowedKeys(const Node& node, uint32_t next) {
  uint64_t mask = 0;
  for (size_t i = next; i < node.properties.size(); ++i) {
    mask |= uint64_t{1} << i;
    if (node.properties[i].required) break;
  }
  return mask;
}

bool RequiredFrom(const Node& node, uint32_t next) {
  for (size_t i = next; i < node.properties.size(); ++i) {
    if (node.properties[i].required) return true;
  }
  return false;
}

bool NumberEndable(uint16_t phase) {
  return phase == kNumZero || phase == kNumInt || phase == kNumFrac || phase == kNumExpDigits;
}

// Starts a UTF-8 sequence at lead byte `b`; false for bytes that cannot lead one.
bool Utf8Lead(uint8_t b, uint16_t& aux) {
  if (b >= 0xC2 && b <= 0xDF)
    aux = 1;
  else if (b == 0xE0)
    aux = 2 | (1 << 2);
  else if (b == 0xED)
    aux = 2 | (2 << 2);
  else if (b >= 0xE1 && b <= 0xEF)
    aux = 2;
  else if (b == 0xF0)
    aux = 3 | (3 << 2);
  else if (b == 0xF4)
    aux = 3 | (4 << 2);
  else if (b >= 0xF1 && b <= 0xF3)
    aux = 3;
  else
    return false;
  return true;
}

bool Utf8Continue(uint8_t b, uint16_t& aux) {
  static constexpr uint8_t kLow[] = {0x80, 0xA0, 0x80, 0x90, 0x80};
  static constexpr uint8_t kHigh[] = {0xBF, 0xBF, 0x9F, 0xBF, 0x8F};
  const int range = aux >> 2;
  if (b < kLow[range] || b > kHigh[range]) return false;
  aux = static_cast<uint16_t>((aux & 3) - 1);
  return true;
}

Outcome StepStringContent(const Node& node, Frame& f, uint8_t b, Stack& s) {
  if (b == '"') {
    if (f.x < node.min_length) return Outcome::kReject;
    --s.depth;
    return Outcome::kDone;
  }
  if (b < 0x20 || f.x >= node.max_length) return Outcome::kReject;
  if (b == '\\') {
    f.phase = kStrEscape;
  } else if (b >= 0x80) {
    if (!Utf8Lead(b, f.aux)) return Outcome::kReject;
    f.phase = kStrUtf8;
  }
  ++f.x;
  return Outcome::kDone;
}

Outcome StepString(const Node& node, Frame& f, uint8_t b, Stack& s) {
  switch (f.phase) {
    case kStrOpen:
      if (b != '"') return Outcome::kReject;
      f.phase = kStrContent;
      return Outcome::kDone;
    case kStrContent:
      return StepStringContent(node, f, b, s);
    case kStrEscape:
      if (b == 'u') {
        f.phase = kStrHex1;
        return Outcome::kDone;
      }
      if (b != '"' && b != '\\' && b != '/' && b != 'b' && b != 'f' && b != 'n' && b != 'r' && b != 't') {
        return Outcome::kReject;
      }
      f.phase = kStrContent;
      return Outcome::kDone;
    case kStrHex1:
      if (!IsHex(b)) return Outcome::kReject;
      f.aux = (b == 'd' || b == 'D') ? 1 : 0;  // a surrogate may follow; lone surrogates are not valid text
      f.phase = kStrHex2;
      return Outcome::kDone;
    case kStrHex2:
      if (!IsHex(b) || (f.aux == 1 && !(b >= '0' && b <= '7'))) return Outcome::kReject;
      f.aux = 0;
      f.phase = kStrHex3;
      return Outcome::kDone;
    case kStrHex3:
    case kStrHex4:
      if (!IsHex(b)) return Outcome::kReject;
      f.phase = f.phase == kStrHex3 ? kStrHex4 : kStrContent;
      return Outcome::kDone;
    default:
      if (!Utf8Continue(b, f.aux)) return Outcome::kReject;
      if (f.aux == 0) f.phase = kStrContent;
      return Outcome::kDone;
  }
}

// A string whose content runs through the node's pattern automaton (state in x, code points so far in y).
Outcome StepPattern(const Node& node, Frame& f, uint8_t b, Stack& s) {
  const StringPattern& pattern = *node.pattern;
  if (f.phase == kStrOpen) {
    if (b != '"') return Outcome::kReject;
    f.phase = kStrContent;
    return Outcome::kDone;
  }
  if (b == '"' && pattern.AtBoundary(static_cast<int32_t>(f.x))) {
    if (!pattern.Complete(static_cast<int32_t>(f.x), f.y)) return Outcome::kReject;
    --s.depth;
    return Outcome::kDone;
  }
  const int32_t next = pattern.Advance(static_cast<int32_t>(f.x), f.y, b);
  if (next < 0) return Outcome::kReject;
  f.x = static_cast<uint32_t>(next);
  return Outcome::kDone;
}

// Digits of the current number part, bounded so that generation stays finite.
bool MoreDigits(Frame& f, uint16_t limit) {
  if (f.aux >= limit) return false;
  ++f.aux;
  return true;
}

uint16_t IntegerDigitLimit(const Node& node) {
  return node.bounded && !node.integer ? Grammar::kBoundedIntegerDigits : Grammar::kMaxIntegerDigits;
}
uint16_t FractionDigitLimit(const Node& node) {
  return node.bounded ? Grammar::kBoundedFractionDigits : Grammar::kMaxFractionDigits;
}

Outcome StepNumberAfterDigits(const Node& node, Frame& f, uint8_t b) {
  if (!node.integer && f.phase != kNumFrac && b == '.') {
    f.phase = kNumDot;
    return Outcome::kDone;
  }
  if (!node.integer && (b == 'e' || b == 'E')) {
    f.phase = kNumExp;
    return Outcome::kDone;
  }
  return Outcome::kRedispatch;
}

Outcome StepNumber(const Node& node, Frame& f, uint8_t b) {
  const bool digit = IsDigit(b);
  switch (f.phase) {
    case kNumStart:
    case kNumMinus:
      if (b == '-' && f.phase == kNumStart) {
        f.phase = kNumMinus;
        return Outcome::kDone;
      }
      if (!digit) return Outcome::kReject;
      f.phase = b == '0' ? kNumZero : kNumInt;
      f.aux = 1;
      return Outcome::kDone;
    case kNumZero:
    case kNumInt:
    case kNumFrac: {
      const uint16_t limit = f.phase == kNumFrac ? FractionDigitLimit(node) : IntegerDigitLimit(node);
      if (digit) return f.phase != kNumZero && MoreDigits(f, limit) ? Outcome::kDone : Outcome::kReject;
      return StepNumberAfterDigits(node, f, b);
    }
    case kNumDot:
    case kNumExp:
    case kNumExpSign:
      if (f.phase == kNumExp && (b == '+' || b == '-')) {
        f.phase = kNumExpSign;
        return Outcome::kDone;
      }
      if (!digit) return Outcome::kReject;
      f.phase = f.phase == kNumDot ? kNumFrac : kNumExpDigits;
      f.aux = 1;
      return Outcome::kDone;
    default:
      if (digit) return MoreDigits(f, Grammar::kMaxExponentDigits) ? Outcome::kDone : Outcome::kReject;
      return Outcome::kRedispatch;
  }
}

// A bounded number's value so far, kept in its frame. Integers (up to 16 digits): the magnitude in x and the low
// 31 bits of y, the sign in y's top bit. Numbers: the integer part in x's low 31 bits, the sign in x's top bit,
// the fraction digits read so far (aux of them in kNumFrac) as an integer in y.
struct NumberSoFar {
  bool negative = false;
  uint64_t integer = 0;
  uint64_t fraction = 0;
};
constexpr uint32_t kSignBit = 0x80000000u;

NumberSoFar LoadNumber(const Node& node, const Frame& f) {
  if (node.integer) return {(f.y & kSignBit) != 0, f.x | (uint64_t{f.y & ~kSignBit} << 32), 0};
  return {(f.x & kSignBit) != 0, f.x & ~kSignBit, f.y};
}

void StoreNumber(const Node& node, const NumberSoFar& v, Frame& f) {
  const uint32_t sign = v.negative ? kSignBit : 0;
  if (node.integer) {
    f.x = static_cast<uint32_t>(v.integer);
    f.y = static_cast<uint32_t>(v.integer >> 32) | sign;
  } else {
    f.x = static_cast<uint32_t>(v.integer) | sign;
    f.y = static_cast<uint32_t>(v.fraction);
  }
}

using Wide = __int128;

Wide Pow10(int n) {
  Wide p = 1;
  while (n-- > 0) p *= 10;
  return p;
}

// The value of one unit of a bounded node's range.
Wide UnitsPerOne(const Node& node) { return node.integer ? 1 : Pow10(Grammar::kBoundedFractionDigits); }

// Whether the magnitudes [a, b] (in units), with the sign applied, reach into the node's range.
// Every unit value in such a span is reachable, so with multipleOf it is enough that one multiple lies inside.
bool Reaches(const Node& node, bool negative, Wide a, Wide b) {
  if (negative) std::tie(a, b) = std::pair<Wide, Wide>(-b, -a);
  const Wide low = std::max<Wide>(a, node.low), high = std::min<Wide>(b, node.high);
  if (low > high) return false;
  if (node.multiple <= 0) return true;
  const Wide m = node.multiple;
  const Wide first = low >= 0 ? (low + m - 1) / m * m : -((-low) / m * m);  // the least multiple >= low
  return first <= high;
}

// Whether some completion of the bounded number in `f` (the value as it stands included) lies in the node's
// range. A prefix reaches the magnitudes [D, D + 1) with D its integer part, and [D 10^j, (D + 1) 10^j) for j more
// integer digits; inside the fraction, the values that start with the digits read so far.
bool NumberFeasible(const Node& node, const Frame& f) {
  const Wide one = UnitsPerOne(node);
  const NumberSoFar v = LoadNumber(node, f);
  const uint16_t digits = IntegerDigitLimit(node);
  const Wide whole = static_cast<Wide>(v.integer) * one;
  switch (f.phase) {
    case kNumStart:
    case kNumMinus: {
      // A minus sign only when a value below zero is in range: "-0" would be a strange way to write 0.
      const Wide largest = Pow10(digits) * one - 1;
      return Reaches(node, true, 1, largest) || (f.phase == kNumStart && Reaches(node, false, 0, largest));
    }
    case kNumZero:
    case kNumInt:
      if (Reaches(node, v.negative, whole, whole + one - 1)) return true;
      if (v.integer == 0) return false;  // nothing follows a leading 0 but the fraction
      for (int j = 1; j <= digits - f.aux; ++j) {
        const Wide p = Pow10(j);
        if (Reaches(node, v.negative, whole * p, (static_cast<Wide>(v.integer) + 1) * p * one - 1)) return true;
      }
      return false;
    case kNumDot:
      return Reaches(node, v.negative, whole, whole + one - 1);
    case kNumFrac: {
      const Wide step = Pow10(Grammar::kBoundedFractionDigits - f.aux);
      const Wide start = whole + static_cast<Wide>(v.fraction) * step;
      return Reaches(node, v.negative, start, start + step - 1);
    }
    default:
      return false;
  }
}

// Whether the number in `f` is complete (and, when bounded, in range).
bool NumberComplete(const Node& node, const Frame& f) {
  if (!NumberEndable(f.phase)) return false;
  if (!node.bounded) return true;
  const NumberSoFar v = LoadNumber(node, f);
  Wide value = static_cast<Wide>(v.integer) * UnitsPerOne(node);
  if (f.phase == kNumFrac) value += static_cast<Wide>(v.fraction) * Pow10(Grammar::kBoundedFractionDigits - f.aux);
  if (v.negative) value = -value;
  return value >= node.low && value <= node.high && (node.multiple <= 0 || value % node.multiple == 0);
}

// StepNumber for a bounded node: no exponent, the value kept in the frame, and no byte after which the range is
// out of reach.
Outcome StepBoundedNumber(const Node& node, Frame& f, uint8_t b) {
  if (b == 'e' || b == 'E') return Outcome::kReject;
  NumberSoFar v = LoadNumber(node, f);
  const Outcome outcome = StepNumber(node, f, b);
  if (outcome != Outcome::kDone) return outcome;
  if (b == '-') {
    v.negative = true;
  } else if (IsDigit(b) && f.phase == kNumFrac) {
    v.fraction = v.fraction * 10 + (b - '0');
  } else if (IsDigit(b)) {
    v.integer = v.integer * 10 + (b - '0');
  }
  StoreNumber(node, v, f);
  return NumberFeasible(node, f) ? Outcome::kDone : Outcome::kReject;
}

}  // namespace

Node LiteralsNode(const std::vector<std::string>& texts) {
  Node node;
  node.kind = Kind::kLiterals;
  for (size_t i = 0; i < texts.size(); ++i) node.literals.Add(texts[i], static_cast<int32_t>(i));
  return node;
}

bool NumberRangeReachable(const Node& node) { return !node.bounded || NumberFeasible(node, Frame{}); }

void LiteralTrie::Add(const std::string& literal, int32_t index) {
  int32_t node = 0;
  const uint64_t bit = index < 64 ? uint64_t{1} << index : 0;
  nodes[0].subtree |= bit;
  for (char c : literal) {
    const uint8_t b = static_cast<uint8_t>(c);
    int32_t child = Child(node, b);
    if (child < 0) {
      child = static_cast<int32_t>(nodes.size());
      nodes.emplace_back();
      auto& edges = nodes[node].edges;
      edges.insert(std::lower_bound(edges.begin(), edges.end(), std::make_pair(b, int32_t{-1})),
                   std::make_pair(b, child));
    }
    node = child;
    nodes[node].subtree |= bit;
  }
  if (nodes[node].terminal < 0) nodes[node].terminal = index;
}

int32_t LiteralTrie::Child(int32_t node, uint8_t byte) const {
  for (const auto& [b, child] : nodes[node].edges) {
    if (b == byte) return child;
    if (b > byte) break;
  }
  return -1;
}

bool Stack::operator==(const Stack& other) const {
  if (depth != other.depth) return false;
  for (int i = 0; i < depth; ++i) {
    const Frame& a = frames[i];
    const Frame& b = other.frames[i];
    if (a.node != b.node || a.phase != b.phase || a.aux != b.aux || a.x != b.x || a.y != b.y) return false;
  }
  return true;
}

void Grammar::Start(Stack stack, int32_t node, std::vector<Stack>& out, int hops) const {
  if (nodes[node].kind == Kind::kAnyOf) {
    if (hops >= 2 * kMaxDepth) return;
    for (int32_t alternative : nodes[node].alternatives) Start(stack, alternative, out, hops + 1);
    return;
  }
  if (stack.depth >= kMaxDepth) return;
  if (nodes[node].kind == Kind::kSequence) {  // the first part starts at once; the frame remembers the next one
    if (nodes[node].alternatives.empty()) return;
    stack.frames[stack.depth++] = Frame{node, 0, 0, 0, 1};
    Start(stack, nodes[node].alternatives[0], out, hops + 1);
    return;
  }
  stack.frames[stack.depth++] = Frame{node, 0, 0, 0, 0};
  out.push_back(stack);
}

namespace {

Outcome StepLiterals(const Node& node, Frame& f, uint8_t b, Stack& s) {
  const int32_t child = node.literals.Child(static_cast<int32_t>(f.x), b);
  if (child < 0) return node.literals.nodes[f.x].terminal >= 0 ? Outcome::kRedispatch : Outcome::kReject;
  f.x = static_cast<uint32_t>(child);
  const LiteralTrie::Node& next = node.literals.nodes[child];
  if (next.terminal >= 0 && next.edges.empty()) --s.depth;
  return Outcome::kDone;
}

Outcome StepArray(const Node& node, Frame& f, uint8_t b, Stack& s) {
  switch (f.phase) {
    case kArrOpen:
      if (b != '[') return Outcome::kReject;
      f.phase = kArrFirst;
      return Outcome::kDone;
    case kArrAfter:
      if (b == ',' && f.x < node.max_length && s.depth < kMaxDepth) {  // room for the next item's frame
        f.phase = kArrSpace;
        return Outcome::kDone;
      }
      if (b != ']' || f.x < node.min_length) return Outcome::kReject;
      --s.depth;
      return Outcome::kDone;
    default:  // kArrFirst is handled by Grammar::Step (it starts an item with the same byte)
      return Outcome::kReject;
  }
}

Outcome StepObject(const Node& node, Frame& f, uint8_t b, Stack& s) {
  switch (f.phase) {
    case kObjOpen:
      if (b != '{') return Outcome::kReject;
      f.phase = kObjFirst;
      return Outcome::kDone;
    case kObjAfter:
      if (b == ',' && f.y < node.properties.size() && s.depth < kMaxDepth) {
        f.phase = kObjSpace;
        return Outcome::kDone;
      }
      if (b != '}' || RequiredFrom(node, f.y)) return Outcome::kReject;
      --s.depth;
      return Outcome::kDone;
    case kObjSpace:
      if (b != ' ') return Outcome::kReject;
      f.phase = kObjKey;
      f.x = 0;
      return Outcome::kDone;
    default:
      return Outcome::kReject;
  }
}

}  // namespace

namespace {

// Object bytes: `{`, keys (the key trie limited to the properties still allowed), separators, `}`.
Outcome StepObjectFrame(const Grammar& grammar, const Node& node, Stack& s, uint8_t b, std::vector<Stack>& out) {
  Frame& f = s.frames[s.depth - 1];
  if (f.phase == kObjFirst && b == '}') {
    if (RequiredFrom(node, 0)) return Outcome::kReject;
    --s.depth;
    return Outcome::kDone;
  }
  if (f.phase != kObjFirst && f.phase != kObjKey) return StepObject(node, f, b, s);
  if (f.phase == kObjFirst && s.depth >= kMaxDepth) return Outcome::kReject;  // no room for a value
  if (f.phase == kObjFirst) f = Frame{f.node, kObjKey, 0, 0, 0};
  const int32_t child = node.literals.Child(static_cast<int32_t>(f.x), b);
  if (child < 0 || (node.literals.nodes[child].subtree & AllowedKeys(node, f.y)) == 0) return Outcome::kReject;
  f.x = static_cast<uint32_t>(child);
  const int32_t key = node.literals.nodes[child].terminal;
  if (key < 0) return Outcome::kDone;  // still inside the key
  f.phase = kObjAfter;
  f.y = static_cast<uint32_t>(key) + 1;
  grammar.Start(s, node.properties[key].value, out);
  return Outcome::kPushed;
}

// Sequence bytes: a part ended, so `b` starts the next part (or, after the last, ends the sequence).
Outcome StepSequenceFrame(const Grammar& grammar, const Node& node, Stack& s, uint8_t b, std::vector<Stack>& out) {
  Frame& f = s.frames[s.depth - 1];
  if (f.y >= node.alternatives.size()) return Outcome::kRedispatch;
  const int32_t part = node.alternatives[f.y++];
  std::vector<Stack> started;
  grammar.Start(s, part, started);
  for (const Stack& stack : started) grammar.Step(stack, b, out);
  return Outcome::kPushed;
}

// Array bytes: `[`, the first item (started by its own first byte), separators, `]`.
Outcome StepArrayFrame(const Grammar& grammar, const Node& node, Stack& s, uint8_t b, std::vector<Stack>& out) {
  Frame& f = s.frames[s.depth - 1];
  if (f.phase == kArrFirst && b == ']') {
    if (node.min_length > 0) return Outcome::kReject;
    --s.depth;
    return Outcome::kDone;
  }
  if (f.phase == kArrFirst) {
    if (node.max_length == 0) return Outcome::kReject;
    f.phase = kArrAfter;
    f.x = 1;
    std::vector<Stack> started;
    grammar.Start(s, node.items, started);
    for (const Stack& item : started) grammar.Step(item, b, out);
    return Outcome::kPushed;
  }
  if (f.phase == kArrSpace) {
    if (b != ' ') return Outcome::kReject;
    f.phase = kArrAfter;
    ++f.x;
    grammar.Start(s, node.items, out);
    return Outcome::kPushed;
  }
  return StepArray(node, f, b, s);
}

// Free-key object bytes: `{`, then members `"key": value` separated by `, `, then `}`. The key is a string
// frame of `node.key` pushed on its opening quote; the value starts after `: `.
Outcome StepMapFrame(const Grammar& grammar, const Node& node, Stack& s, uint8_t b, std::vector<Stack>& out) {
  Frame& f = s.frames[s.depth - 1];
  switch (f.phase) {
    case kMapOpen:  // `{`, `:` and the space after `,` are fixed bytes
    case kMapColon:
    case kMapSpace: {
      const uint8_t expected = f.phase == kMapOpen ? '{' : f.phase == kMapColon ? ':' : ' ';
      if (b != expected) return Outcome::kReject;
      f.phase = f.phase == kMapOpen ? kMapFirst : f.phase == kMapColon ? kMapColonSpace : kMapKey;
      return Outcome::kDone;
    }
    case kMapFirst:
    case kMapKey:
      if (b == '}' && f.phase == kMapFirst) break;
      if (b != '"' || s.depth >= kMaxDepth) return Outcome::kReject;  // the key, then the value, need a frame
      f.phase = kMapColon;
      s.frames[s.depth++] = Frame{node.key, kStrContent, 0, 0, 0};
      return Outcome::kDone;
    case kMapColonSpace:
      if (b != ' ') return Outcome::kReject;
      f.phase = kMapAfter;
      grammar.Start(s, node.items, out);
      return Outcome::kPushed;
    default:  // kMapAfter
      if (b == ',' && s.depth < kMaxDepth) {
        f.phase = kMapSpace;
        return Outcome::kDone;
      }
      if (b != '}') return Outcome::kReject;
      break;
  }
  --s.depth;
  return Outcome::kDone;
}

}  // namespace

void Grammar::Step(const Stack& in, uint8_t b, std::vector<Stack>& out) const {
  Stack s = in;
  while (s.depth > 0) {
    Frame& f = s.frames[s.depth - 1];
    const Node& node = nodes[f.node];
    Outcome outcome = Outcome::kReject;
    switch (node.kind) {
      case Kind::kLiterals:
        outcome = StepLiterals(node, f, b, s);
        break;
      case Kind::kString:
        outcome = StepString(node, f, b, s);
        break;
      case Kind::kPattern:
        outcome = StepPattern(node, f, b, s);
        break;
      case Kind::kNumber:
        outcome = node.bounded ? StepBoundedNumber(node, f, b) : StepNumber(node, f, b);
        if (outcome == Outcome::kRedispatch && !NumberComplete(node, f)) return;
        break;
      case Kind::kObject:
        outcome = StepObjectFrame(*this, node, s, b, out);
        break;
      case Kind::kArray:
        outcome = StepArrayFrame(*this, node, s, b, out);
        break;
      case Kind::kMap:
        outcome = StepMapFrame(*this, node, s, b, out);
        break;
      case Kind::kSequence:
        outcome = StepSequenceFrame(*this, node, s, b, out);
        break;
      case Kind::kAnyOf:
        return;
    }
    if (outcome == Outcome::kReject || outcome == Outcome::kPushed) return;
    if (outcome == Outcome::kDone) {
      out.push_back(s);
      return;
    }
    --s.depth;  // the value ended before `b`: its parent reads `b`
  }
}

bool Grammar::Accepting(const Stack& stack) const {
  if (stack.depth == 0) return true;
  if (stack.depth > 1) return false;
  const Frame& f = stack.frames[0];
  const Node& node = nodes[f.node];
  if (node.kind == Kind::kSequence) return f.y >= node.alternatives.size();
  if (node.kind == Kind::kNumber) return NumberComplete(node, f);
  return node.kind == Kind::kLiterals && node.literals.nodes[f.x].terminal >= 0;
}

bool Grammar::InPlainString(const Stack& stack, uint32_t& remaining) const {
  if (stack.depth == 0) return false;
  const Frame& f = stack.frames[stack.depth - 1];
  const Node& node = nodes[f.node];
  if (node.kind != Kind::kString || f.phase != kStrContent) return false;
  remaining = node.max_length == UINT32_MAX ? UINT32_MAX : node.max_length - f.x;
  return true;
}

void Grammar::AppendKey(const Stack& stack, uint32_t horizon, std::string& key) const {
  key.push_back(static_cast<char>(stack.depth));
  for (int i = 0; i < stack.depth; ++i) {
    Frame f = stack.frames[i];
    const Node& node = nodes[f.node];
    if (node.kind == Kind::kPattern) f.y = node.pattern->CountForKey(f.y, horizon);
    if (node.kind == Kind::kString) {
      const bool far_from_max = node.max_length == UINT32_MAX || node.max_length - f.x > horizon;
      if (far_from_max && f.x >= node.min_length)
        f.x = kFar;
      else if (far_from_max && node.min_length - f.x > horizon)
        f.x = kFarBelow;
    }
    key.append(reinterpret_cast<const char*>(&f), sizeof(Frame));
  }
}

}  // namespace catena::inference::grammar
