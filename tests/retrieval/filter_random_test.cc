// Randomized check of the filter language: random metadata and random expression trees are rendered to text,
// parsed, and Filter::Matches is compared with a direct evaluation of the generated tree written here.
#include <catch2/catch.hpp>
#include <optional>
#include <random>
#include <variant>

#include "retrieval/filter.h"

namespace catena::retrieval {
namespace {

using Json = nlohmann::json;

// A generated metadata value: monostate = missing; nullptr = JSON null.
using Value =
    std::variant<std::monostate, std::nullptr_t, int64_t, double, std::string, bool, std::vector<std::string>>;
using Literal = std::variant<int64_t, double, std::string, bool>;

enum class Op { kAnd, kOr, kNot, kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kContains, kHas };

struct Expr {
  Op op = Op::kEq;
  int field = 0;
  std::vector<Literal> literals;
  std::vector<Expr> children;
};

constexpr int kFields = 4;
const char* const kStrings[] = {"a", "b", "ab", "", "q'\"\\"};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int Uniform(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Value RandomValue() {
    switch (Uniform(7)) {
      case 0:
        return std::monostate{};
      case 1:
        return nullptr;
      case 2:
        return int64_t{Uniform(7) - 3};
      case 3:
        return Uniform(7) - 3 + 0.5 * Uniform(2);
      case 4:
        return std::string(kStrings[Uniform(5)]);
      case 5:
        return Uniform(2) == 1;
      default: {
        std::vector<std::string> list;
        for (int i = Uniform(4); i > 0; --i) list.push_back(kStrings[Uniform(5)]);
        return list;
      }
    }
  }

  Literal RandomLiteral(bool allow_bool) {
    switch (Uniform(allow_bool ? 4 : 3)) {
      case 0:
        return int64_t{Uniform(7) - 3};
      case 1:
        return Uniform(7) - 3 + 0.5 * Uniform(2);
      case 2:
        return std::string(kStrings[Uniform(5)]);
      default:
        return Uniform(2) == 1;
    }
  }

  Expr RandomExpr(int depth) {
    Expr expr;
    const int choice = Uniform(depth >= 4 ? 10 : 14);
    expr.field = Uniform(kFields);
    if (choice >= 10) {
      expr.op = choice == 10 ? Op::kNot : (choice <= 11 ? Op::kAnd : Op::kOr);
      const int children = expr.op == Op::kNot ? 1 : 2 + Uniform(2);
      for (int i = 0; i < children; ++i) expr.children.push_back(RandomExpr(depth + 1));
      return expr;
    }
    static constexpr Op kLeaves[] = {Op::kEq, Op::kNe, Op::kLt,    Op::kLe,       Op::kGt,
                                     Op::kGe, Op::kIn, Op::kNotIn, Op::kContains, Op::kHas};
    expr.op = kLeaves[choice];
    const bool ordering = expr.op == Op::kLt || expr.op == Op::kLe || expr.op == Op::kGt || expr.op == Op::kGe;
    const int count = expr.op == Op::kHas ? 0 : (expr.op == Op::kIn || expr.op == Op::kNotIn) ? Uniform(4) : 1;
    for (int i = 0; i < count; ++i) expr.literals.push_back(RandomLiteral(!ordering));
    return expr;
  }

 private:
  std::mt19937 rng_;
};

std::string Quote(const std::string& text, char quote) {
  std::string out(1, quote);
  for (char c : text) {
    if (c == quote || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + quote;
}

std::string RenderLiteral(const Literal& literal, int style) {
  if (const auto* i = std::get_if<int64_t>(&literal)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&literal)) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%.1f", *d);
    return buffer;
  }
  if (const auto* s = std::get_if<std::string>(&literal)) return Quote(*s, style % 2 == 0 ? '"' : '\'');
  return std::get<bool>(literal) ? "true" : "false";
}

std::string Render(const Expr& expr, int style) {
  const std::string field = "f" + std::to_string(expr.field);
  const std::string space = style % 3 == 0 ? " " : "  ";
  switch (expr.op) {
    case Op::kAnd:
    case Op::kOr: {
      std::string out;
      for (const Expr& child : expr.children) {
        if (!out.empty()) out += expr.op == Op::kAnd ? " and" + space : space + "or\n";
        out += "(" + Render(child, style + 1) + ")";
      }
      return out;
    }
    case Op::kNot:
      return "not (" + Render(expr.children[0], style + 1) + ")";
    case Op::kHas:
      return "has(" + field + ")";
    case Op::kIn:
    case Op::kNotIn: {
      std::string out = field + (expr.op == Op::kIn ? " in [" : " not in [");
      for (size_t i = 0; i < expr.literals.size(); ++i) {
        out += (i ? "," + space : "") + RenderLiteral(expr.literals[i], style + static_cast<int>(i));
      }
      return out + "]";
    }
    default:
      break;
  }
  static const char* const kOps[] = {"", "", "", "==", "!=", "<", "<=", ">", ">=", "", "", "contains"};
  return field + space + kOps[static_cast<int>(expr.op)] + space + RenderLiteral(expr.literals[0], style);
}

Json ToJson(const std::vector<Value>& values) {
  Json json = Json::object();
  for (int f = 0; f < kFields; ++f) {
    const std::string key = "f" + std::to_string(f);
    std::visit(
        [&](const auto& v) {
          if constexpr (!std::is_same_v<std::decay_t<decltype(v)>, std::monostate>) json[key] = v;
        },
        values[f]);
  }
  return json;
}

// Expected semantics: numbers compare numerically, strings bytewise, bools by ==/!= only; other type pairs
// are unequal and unordered. Missing or null fields fail every predicate except through `not`.
std::optional<int> ExpectedOrder(const Value& value, const Literal& literal) {
  const auto number = [](const auto& v) -> std::optional<double> {
    if (const auto* i = std::get_if<int64_t>(&v)) return static_cast<double>(*i);
    if (const auto* d = std::get_if<double>(&v)) return *d;
    return std::nullopt;
  };
  const std::optional<double> a = number(value), b = number(literal);
  if (a && b) return *a < *b ? -1 : (*a > *b ? 1 : 0);
  const auto* s = std::get_if<std::string>(&value);
  const auto* t = std::get_if<std::string>(&literal);
  if (s && t) return *s < *t ? -1 : (*s > *t ? 1 : 0);
  const auto* x = std::get_if<bool>(&value);
  const auto* y = std::get_if<bool>(&literal);
  if (x && y) return *x == *y ? 0 : 1;
  return std::nullopt;
}

bool Expected(const Expr& expr, const std::vector<Value>& values) {
  const auto holds = [&](const Expr& child) { return Expected(child, values); };
  if (expr.op == Op::kAnd) return std::all_of(expr.children.begin(), expr.children.end(), holds);
  if (expr.op == Op::kOr) return std::any_of(expr.children.begin(), expr.children.end(), holds);
  if (expr.op == Op::kNot) return !Expected(expr.children[0], values);
  const Value& value = values[expr.field];
  if (std::holds_alternative<std::monostate>(value) || std::holds_alternative<std::nullptr_t>(value)) return false;
  const auto equal = [&](const Literal& l) { return ExpectedOrder(value, l) == 0; };
  const auto in = [&] { return std::any_of(expr.literals.begin(), expr.literals.end(), equal); };
  std::optional<int> order;
  if (!expr.literals.empty()) order = ExpectedOrder(value, expr.literals[0]);
  const int sign = order.value_or(0);
  switch (expr.op) {
    case Op::kHas:
      return true;
    case Op::kIn:
      return in();
    case Op::kNotIn:
      return !in();
    case Op::kEq:
      return order == 0;
    case Op::kNe:
      return order != 0;
    case Op::kLt:
      return order && sign < 0;
    case Op::kLe:
      return order && sign <= 0;
    case Op::kGt:
      return order && sign > 0;
    case Op::kGe:
      return order && sign >= 0;
    default:
      break;
  }
  const auto* needle = std::get_if<std::string>(&expr.literals[0]);
  if (const auto* list = std::get_if<std::vector<std::string>>(&value)) {
    return needle && std::find(list->begin(), list->end(), *needle) != list->end();
  }
  const auto* text = std::get_if<std::string>(&value);
  return needle && text && text->find(*needle) != std::string::npos;
}

TEST_CASE("random filters rendered to text match a direct evaluation of their tree", "[unit]") {
  Generator generator(20261127);
  const MetadataSchema schema;
  int matched = 0, total = 0;
  for (int round = 0; round < 1500; ++round) {
    const Expr expr = generator.RandomExpr(0);
    const std::string text = Render(expr, round);
    INFO(text);
    const absl::StatusOr<Filter> filter = Filter::Parse(text, schema);
    REQUIRE(filter.ok());
    for (int sample = 0; sample < 20; ++sample) {
      std::vector<Value> values;
      for (int f = 0; f < kFields; ++f) values.push_back(generator.RandomValue());
      const Json metadata = ToJson(values);
      INFO(metadata.dump());
      const bool expected = Expected(expr, values);
      REQUIRE(filter->Matches(metadata) == expected);
      matched += expected ? 1 : 0;
      ++total;
    }
  }
  CHECK(matched > total / 10);  // The generator exercises both outcomes.
  CHECK(matched < total * 9 / 10);
}

TEST_CASE("random token soup and random bytes never crash the parser", "[unit]") {
  static const char* const kPieces[] = {
      "(",    ")",          " not ", " and ", " or ",     "a",    "year", "==", "<=",   "!",          "=",
      "\"x",  "'",          "\"",    "\\",    "1",        "-",    "1.5e", "e9", "[",    ",",          "]",
      " in ", " contains ", "has",   "\\u12", "\xc3\xa9", "\xff", "\n",   " ",  "true", "a == \"x\"", " year > 1 "};
  std::mt19937 rng(99);
  const MetadataSchema schema = MetadataSchema::Create({{"year", FieldType::kInt}, {"a", FieldType::kString}}).value();
  int parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string text;
    const int length = std::uniform_int_distribution<int>(0, round % 4 == 0 ? 24 : 7)(rng);
    for (int i = 0; i < length; ++i) {
      if (round % 4 == 0) {
        text.push_back(static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)));
      } else {
        text += kPieces[std::uniform_int_distribution<size_t>(0, std::size(kPieces) - 1)(rng)];
      }
    }
    INFO(text);
    for (const MetadataSchema* s : {&schema, static_cast<const MetadataSchema*>(nullptr)}) {
      const absl::StatusOr<Filter> filter = Filter::Parse(text, s != nullptr ? *s : MetadataSchema());
      if (filter.ok()) {
        ++parsed;
        filter->Matches(Json{{"a", "x"}, {"year", 1}});
      } else {
        REQUIRE(filter.status().code() == absl::StatusCode::kInvalidArgument);
        REQUIRE(filter.status().message().substr(0, 7) == "filter:");
      }
    }
  }
  CHECK(parsed > 0);
}

}  // namespace
}  // namespace catena::retrieval
