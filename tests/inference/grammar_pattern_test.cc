// JSON Schema `pattern` and `format` automata (grammar_pattern.h): which strings they admit is compared with
// Python's re.search on random strings, length bounds prune exactly the dead ends, formats yield values that
// Python's date, uuid and ipaddress parsers accept, and bad expressions get errors that name where.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "inference/grammar_pattern.h"
#include "inference/json_schema_grammar.h"
#include "nlohmann/json.hpp"
#include "tests/inference/grammar_test_util.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using grammar::StringPattern;

// The string content as the grammar writes it: JSON escapes for quotes, backslashes and controls, UTF-8 else.
std::string JsonContent(const std::string& text) {
  const std::string quoted = nlohmann::json(text).dump();
  return quoted.substr(1, quoted.size() - 2);
}

// Whether `pattern` admits the whole string `text`, read byte by byte through the automaton.
bool Admits(const StringPattern& pattern, const std::string& text) {
  int32_t state = 0;
  uint32_t count = 0;
  for (char c : JsonContent(text)) {
    state = pattern.Advance(state, count, static_cast<uint8_t>(c));
    if (state < 0) return false;
  }
  return pattern.Complete(state, count);
}

// Runs `script` with /usr/bin/python3 on a file of JSON lines; returns its stdout lines.
std::vector<std::string> RunPython(const std::string& script, const std::string& lines) {
  catena::testing::TempDir dir("pattern-test");
  const std::string path = dir.Write("cases.jsonl", lines).string();
  catena::testing::Subprocess python({"/usr/bin/python3", "-c", script, path});
  const auto code = python.Wait(std::chrono::seconds(120));
  REQUIRE(code.has_value());
  INFO(python.Stderr());
  REQUIRE(*code == 0);
  std::vector<std::string> out;
  std::string line;
  for (char c : python.Stdout()) {
    if (c != '\n') {
      line += c;
      continue;
    }
    out.push_back(line);
    line.clear();
  }
  return out;
}

struct PatternCase {
  std::string pattern;
  std::vector<std::string> alphabet;  // code points (UTF-8) random strings are drawn from
  bool ascii = false;                 // Python's re.ASCII: \d, \w and \s as ECMA-262 reads them for these texts
  std::vector<std::string> examples;  // strings tried besides the random ones
};

std::vector<std::string> Letters(const std::string& ascii) {
  std::vector<std::string> out;
  for (char c : ascii) out.emplace_back(1, c);
  return out;
}

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_CASE("patterns admit exactly the strings Python's re.search finds a match in", "[unit]") {
  // Alphabets avoid the characters where Python's re and ECMA-262 read a class differently (a trailing \n before
  // $, \r and U+2028 for `.`, Unicode digits and letters for \d and \w, \x1c-\x1f for \s).
  const std::vector<PatternCase> cases = {
      {R"(^\d{3}-\d{4}$)", Letters("0123456789-a"), true, {"555-1234", "55-1234", "555-12345"}},
      {R"(^[A-Z]{2}\d{2}[A-Z0-9]{1,6}$)", Letters("AZB09x "), true, {"DE89ABC", "DE8ABC", "DE89ABCDEFG"}},
      {"ab+c", Letters("abcx"), false, {"xabbbcx", "ac"}},
      {"^(foo|bar)*baz$", Letters("fobarz"), false, {"foobarbaz", "baz", "fobaz"}},
      {R"(^[^"\\]*$)", With(Letters("a\"\\ "), {"é"}), false, {"abc", "a\"b", "a\\"}},
      {"^.{2,4}$", With(Letters("a\n"), {"é", "日", "😀"}), false, {"é😀", "a\na", "😀😀😀😀😀"}},
      {"colou?r", Letters("colur"), false, {"my color", "colouur"}},
      {R"(^\s*$|^x)", With(Letters(" \tx"), {"\u00a0", "\u3000"}), false, {"", " \u00a0", "x y", " x"}},
      {R"(^[a-c\-]+\.[^a]?$)", Letters("abc-.x"), false, {"a-b.", "ab.x", "ab.a"}},
      {R"(\u00e9|\x41)", With(Letters("aA"), {"é"}), false, {"xé", "A", "a"}},
      {R"(^[\u4e00-\u9fff]+$)", With(Letters("a"), {"日", "本", "😀"}), false, {"日本", "日a"}},
      {R"(^"[a-z]*"$)", Letters("\"ab"), false, {"\"ab\"", "ab", "\"a\"b\""}},
      {R"(^\\d$)", Letters("\\d1"), false, {"\\d", "1", "\\1"}},
      {R"(^[\x00-\x1f]+$)", Letters(std::string("\x01\x1f\t\b\fa", 6)), false, {std::string("\x01\t", 2), "a"}},
      {"^😀+$", With(Letters("a"), {"😀", "😁"}), false, {"😀😀", "😁"}},
      {"(?:ab){2,}|^a{0}$", Letters("abx"), false, {"", "abab", "xababx", "ab"}},
      {R"(^(?<year>\d{4})-[01]\d$)", Letters("0129-"), true, {"2024-11", "2024-21"}},
      {R"(^[\w.+-]+@\w+\.[a-z]{2,3}$)", Letters("a1_.+@-xyz"), true, {"a.b+1@x1.xyz", "a@b.c", "@x.yz"}},
      {"^a|b$", Letters("abx"), false, {"ax", "xb", "xab", "ba"}},
      {R"(^\D\W\S$)", With(Letters("a1 _-"), {"é"}), true, {"a-a", "1-a", "a a"}},
      {"^x{2,3}?y*?$", Letters("xy"), false, {"xxy", "xyy", "xxxxy"}},
      {"^a{2}}{$", Letters("a{}"), false, {"aa}{", "a{2}}{"}},
  };
  std::mt19937 rng(7);
  std::string lines;
  std::vector<std::string> entries;
  std::vector<bool> ours;
  std::vector<size_t> case_of;
  for (size_t i = 0; i < cases.size(); ++i) {
    const PatternCase& c = cases[i];
    auto pattern = StringPattern::Compile(c.pattern, 0, UINT32_MAX);
    INFO(c.pattern << ": " << pattern.status());
    REQUIRE(pattern.ok());
    std::vector<std::string> texts = c.examples;
    for (int n = 0; n < 300; ++n) {
      std::string text;
      const int length = std::uniform_int_distribution<int>(0, 9)(rng);
      for (int k = 0; k < length; ++k) {
        text += c.alphabet[std::uniform_int_distribution<size_t>(0, c.alphabet.size() - 1)(rng)];
      }
      while (!text.empty() && text.back() == '\n') text.pop_back();  // Python's $ also matches before a final \n
      texts.push_back(text);
    }
    for (const std::string& text : texts) {
      entries.push_back(nlohmann::json{{"pattern", c.pattern}, {"text", text}, {"ascii", c.ascii}}.dump());
      lines += entries.back() + "\n";
      ours.push_back(Admits(*pattern, text));
      case_of.push_back(i);
    }
  }
  const std::vector<std::string> python = RunPython(R"(
import json, re, sys
for line in open(sys.argv[1], encoding='utf-8'):
    c = json.loads(line)
    pattern = c['pattern'].replace('(?<', '(?P<')  # Python spells named groups (?P<name>...)
    print(1 if re.search(pattern, c['text'], re.ASCII if c['ascii'] else 0) else 0))",
                                                    lines);
  REQUIRE(python.size() == ours.size());
  std::vector<int> matches(cases.size(), 0), misses(cases.size(), 0);
  for (size_t line = 0; line < entries.size(); ++line) {
    INFO(entries[line]);
    CHECK(ours[line] == (python[line] == "1"));
    (ours[line] ? matches : misses)[case_of[line]] += 1;
  }
  for (size_t i = 0; i < cases.size(); ++i) {
    INFO(cases[i].pattern);
    CHECK(matches[i] > 0);  // every case tells matching strings from others
    CHECK(misses[i] > 0);
  }
}

TEST_CASE("length bounds beside a pattern leave no dead end", "[unit]") {
  auto even = StringPattern::Compile("^(aa)*$", 3, 6);
  REQUIRE(even.ok());
  CHECK(Admits(*even, "aaaa"));
  CHECK(Admits(*even, "aaaaaa"));
  CHECK_FALSE(Admits(*even, "aa"));
  CHECK_FALSE(Admits(*even, "aaa"));
  CHECK_FALSE(Admits(*even, "aaaaaaaa"));
  // After six a's the seventh is refused at once, not at the closing quote.
  int32_t state = 0;
  uint32_t count = 0;
  for (int i = 0; i < 6; ++i) REQUIRE((state = even->Advance(state, count, 'a')) >= 0);
  CHECK(even->Advance(state, count, 'a') < 0);

  // Unanchored: "ok" must fit inside the first 4 code points; a third code point other than 'o' leaves no room.
  auto ok = StringPattern::Compile("ok", 0, 4);
  REQUIRE(ok.ok());
  state = 0;
  count = 0;
  for (const char c : std::string("xy")) REQUIRE((state = ok->Advance(state, count, static_cast<uint8_t>(c))) >= 0);
  CHECK(ok->Advance(state, count, 'z') < 0);
  CHECK(ok->Advance(state, count, 'o') >= 0);
  CHECK(Admits(*ok, "xyok"));
  CHECK_FALSE(Admits(*ok, "xyokz1"));

  // Long counted repetitions of `.` fit: their table has a column per byte class, not per byte.
  auto long_line = StringPattern::Compile("^.{1,1000}$", 0, UINT32_MAX);
  INFO(long_line.status());
  REQUIRE(long_line.ok());
  CHECK(long_line->states() > 4096);
  CHECK(Admits(*long_line, std::string(999, 'x') + "é"));
  CHECK_FALSE(Admits(*long_line, std::string(1000, 'x') + "é"));
  CHECK_FALSE(Admits(*long_line, ""));

  auto none = StringPattern::Compile("^(aa)*$", 3, 3);
  CHECK(none.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(none.status().message()).find("minLength/maxLength") != std::string::npos);
  CHECK(StringPattern::Compile("^a$", 0, 5000).status().code() == absl::StatusCode::kUnimplemented);
}

TEST_CASE("random walks under format schemas give values Python's parsers accept", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Llama3();
  std::mt19937 rng(11);
  std::string lines;
  int walks = 0;
  for (const std::string format : {"date", "time", "date-time", "uuid", "ipv4", "email"}) {
    auto grammar = CompileJsonSchema(nlohmann::json{{"type", "string"}, {"format", format}}.dump(), vocab.vocabulary);
    INFO(format << ": " << grammar.status());
    REQUIRE(grammar.ok());
    for (int walk = 0; walk < 12; ++walk) {
      GrammarMatcher matcher(*grammar);
      std::vector<int32_t> ids;
      bool ended = false;
      while (!ended && ids.size() < 200) {
        const TokenBitmask& mask = matcher.AllowedTokens();
        REQUIRE(mask.Count() > 0);
        int32_t pick = std::uniform_int_distribution<int32_t>(0, mask.Count() - 1)(rng);
        int32_t id = 0;
        while (!mask.Test(id) || pick-- > 0) ++id;
        ended = vocab.tokenizer->IsEndOfGeneration(id);
        if (!ended) ids.push_back(id);
        REQUIRE(matcher.Accept(id).ok());
      }
      if (!ended) continue;
      ++walks;
      const std::string text = testing::OutputBytes(*vocab.tokenizer, ids);
      lines += nlohmann::json{{"format", format}, {"json", text}}.dump() + "\n";
    }
  }
  CHECK(walks >= 40);
  const std::vector<std::string> python = RunPython(R"(
import datetime, ipaddress, json, re, sys, uuid
for line in open(sys.argv[1], encoding='utf-8'):
    c = json.loads(line)
    value, format = json.loads(c['json']), c['format']
    try:
        if format == 'date': datetime.date.fromisoformat(value)
        elif format == 'time': datetime.time.fromisoformat(value)
        elif format == 'date-time': datetime.datetime.fromisoformat(value)
        elif format == 'uuid': uuid.UUID(value)
        elif format == 'ipv4': ipaddress.IPv4Address(value)
        elif format == 'email': assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value)
        print('ok', format, value)
    except Exception as e:
        print('BAD', format, repr(value), e))",
                                                    lines);
  REQUIRE(python.size() == static_cast<size_t>(walks));
  for (const std::string& result : python) {
    INFO(result);
    CHECK(result.rfind("ok ", 0) == 0);
  }
}

TEST_CASE("bad patterns get errors naming the schema pointer and the offset", "[unit]") {
  const testing::LoadedVocabulary& vocab = testing::Mistral();
  const auto error = [&](const std::string& pattern) {
    const nlohmann::json schema = {
        {"type", "object"}, {"properties", {{"code", {{"type", "string"}, {"pattern", pattern}}}}}};
    return CompileJsonSchema(schema.dump(), vocab.vocabulary).status();
  };
  const std::vector<std::tuple<std::string, absl::StatusCode, std::string>> cases = {
      {"a(b", absl::StatusCode::kInvalidArgument, "missing ')' at offset 3"},
      {"ab)", absl::StatusCode::kInvalidArgument, "unmatched ')' at offset 2"},
      {"*a", absl::StatusCode::kInvalidArgument, "nothing to repeat at offset 0"},
      {"a**", absl::StatusCode::kInvalidArgument, "nothing to repeat at offset 2"},
      {"[b-a]", absl::StatusCode::kInvalidArgument, "range out of order in character class at offset 2"},
      {"a{3,2}", absl::StatusCode::kInvalidArgument, "numbers out of order"},
      {"[ab", absl::StatusCode::kInvalidArgument, "missing ']'"},
      {R"(\q)", absl::StatusCode::kInvalidArgument, "unknown escape \\q at offset 1"},
      {"[]", absl::StatusCode::kInvalidArgument, "no string matches the pattern"},
      {"(?=a)b", absl::StatusCode::kUnimplemented, "lookahead (at offset 1) is not supported"},
      {"(?<!a)b", absl::StatusCode::kUnimplemented, "lookbehind"},
      {R"((a)\1)", absl::StatusCode::kUnimplemented, "backreference"},
      {R"(\bword)", absl::StatusCode::kUnimplemented, "word boundary"},
      {R"(\p{L})", absl::StatusCode::kUnimplemented, "Unicode property"},
      {"a{1001}", absl::StatusCode::kUnimplemented, "repetition count above 1000"},
      {"(a{1000}){1000}", absl::StatusCode::kUnimplemented, "too many states"},
      {"[^a]{1000}", absl::StatusCode::kUnimplemented, "too complex to compile"},
  };
  for (const auto& [pattern, code, message] : cases) {
    const absl::Status status = error(pattern);
    INFO(pattern << " -> " << status);
    CHECK(status.code() == code);
    CHECK(std::string(status.message()).rfind("#/properties/code/pattern: ", 0) == 0);
    CHECK(std::string(status.message()).find(message) != std::string::npos);
  }
  const auto not_string = CompileJsonSchema(R"({"type":"string","pattern":5})", vocab.vocabulary).status();
  CHECK(not_string.message() == "#/pattern: must be a string");
  // Unknown formats stay annotations.
  CHECK(CompileJsonSchema(R"({"type":"string","format":"hostname"})", vocab.vocabulary).ok());
}

}  // namespace
}  // namespace catena::inference
