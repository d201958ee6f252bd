// Internal to the JSON-schema grammar (json_schema_grammar.h): the compiled schema as a graph of value nodes
// and the byte-level pushdown automaton that runs over it. A matcher state is a small set of stacks (one per
// live anyOf branch); each stack frame is a node plus its progress. Grammar is immutable after compilation
// and shared across threads; stacks are plain values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace catena::inference::grammar {

class StringPattern;  // grammar_pattern.h

// A byte trie over a set of literal strings (enum/const values, or object key prefixes `"name": `).
struct LiteralTrie {
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> edges;  // sorted by byte
    int32_t terminal = -1;                           // index of the literal ending here
    uint64_t subtree = 0;                            // bit i: literal i (< 64) ends in this subtree
  };
  std::vector<Node> nodes{1};

  void Add(const std::string& literal, int32_t index);
  // Child of `node` along `byte`, or -1.
  int32_t Child(int32_t node, uint8_t byte) const;
};

// kObject has declared properties; kMap is an object with free keys (any JSON string) whose values all share
// one node; kSequence is its `alternatives` one after another (raw text around a value, e.g. a tool call's
// markup: literal nodes need not be JSON); kPattern is a string whose content must match a `pattern` or `format`.
enum class Kind : uint8_t { kLiterals, kString, kNumber, kObject, kArray, kAnyOf, kMap, kSequence, kPattern };

struct Property {
  std::string name;
  int32_t value = -1;  // node id
  bool required = false;
};

struct Node {
  Kind kind = Kind::kLiterals;
  LiteralTrie literals;                              // kLiterals: the values; kObject: the key prefixes `"name": `
  uint32_t min_length = 0, max_length = UINT32_MAX;  // kString (code points), kArray (items)
  std::shared_ptr<const StringPattern> pattern;      // kPattern (which applies the node's length bounds itself)
  bool integer = false;                              // kNumber
  // kNumber with minimum/maximum (or the exclusive forms): the admitted values as an inclusive range in units of
  // 1 (integers) or 10^-kBoundedFractionDigits (numbers). Such numbers are written without an exponent and their
  // frames carry the value read so far.
  bool bounded = false;
  int64_t low = 0, high = 0;
  int64_t multiple = 0;  // bounded kNumber with multipleOf: values are multiples of this many units (0: any)
  std::vector<Property> properties;                  // kObject, in emission order
  int32_t items = -1;                                // kArray: the item node; kMap: the value node
  int32_t key = -1;                                  // kMap: the key string node
  std::vector<int32_t> alternatives;                 // kAnyOf; kSequence: the parts in order
  std::string pointer;                               // where in the schema (for errors)
};

// A kLiterals node of `texts`, literal i ending as index i.
Node LiteralsNode(const std::vector<std::string>& texts);

inline constexpr int kMaxDepth = 24;  // deepest nesting a generated value may reach

struct Frame {
  int32_t node = 0;
  uint16_t phase = 0;
  uint16_t aux = 0;  // kString: UTF-8 continuation state; kNumber: digits in the current part
  uint32_t x = 0;    // kLiterals/kObject: trie node; kString/kArray: count so far; bounded kNumber: see Step;
                     // kPattern: the pattern automaton's state
  uint32_t y = 0;    // kObject: next property index; kSequence: next part; kPattern: code points so far;
                     // kMap frames use only the phase
};

struct Stack {
  uint8_t depth = 0;  // 0: the root value is complete
  Frame frames[kMaxDepth];
  bool operator==(const Stack& other) const;
};

struct Grammar {
  std::vector<Node> nodes;
  int32_t root = 0;
  // Number bounds keep generation finite: digits in the integer part, fraction and exponent.
  static constexpr uint16_t kMaxIntegerDigits = 16, kMaxFractionDigits = 16, kMaxExponentDigits = 2;
  // Bounded numbers (not integers) keep their value in one frame: at most 9 digits on either side of the point.
  static constexpr uint16_t kBoundedIntegerDigits = 9, kBoundedFractionDigits = 9;

  // The stacks a fresh value of `node` starts as (several for anyOf), appended to `out`.
  // `hops` counts anyOf/$ref indirections, bounding left recursion.
  void Start(Stack stack, int32_t node, std::vector<Stack>& out, int hops = 0) const;
  // Feeds one byte to `stack`, appending every resulting stack to `out` (none: the byte is rejected).
  void Step(const Stack& stack, uint8_t byte, std::vector<Stack>& out) const;
  // True when the value is complete with no more bytes (EOS may follow).
  bool Accepting(const Stack& stack) const;
  // True when the top frame is string content with no pending escape or UTF-8 tail: the state where plain
  // text tokens are decided without walking the trie. `remaining` is how many more code points fit.
  bool InPlainString(const Stack& stack, uint32_t& remaining) const;
  // Appends a cache key for `stack`, with string counts far from their bounds folded together
  // (`horizon`: the longest token in code points, beyond which a count cannot change a mask).
  void AppendKey(const Stack& stack, uint32_t horizon, std::string& key) const;
};

// Whether a bounded kNumber node admits any value within the digits it may be written with.
bool NumberRangeReachable(const Node& node);

}  // namespace catena::inference::grammar
