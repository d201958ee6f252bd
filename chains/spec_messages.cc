#include "chains/spec_messages.h"

#include <algorithm>
#include <cctype>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace catena::chains {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

// Largest distance still taken for a typo: short words allow fewer edits.
int MaxDistance(std::string_view word) {
  if (word.size() <= 3) return 1;
  if (word.size() <= 6) return 2;
  return 3;
}

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size();
  const size_t m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1, 0));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) && Lower(a[i - 2]) == Lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::string ClosestName(std::string_view word, const std::vector<std::string>& candidates) {
  std::string best;
  int best_distance = MaxDistance(word) + 1;
  for (const std::string& candidate : candidates) {
    if (candidate == word) continue;
    const int distance = EditDistance(word, candidate);
    // A typo keeps most of the word: never suggest a name that shares less than half of it.
    if (distance * 2 > static_cast<int>(std::max(word.size(), candidate.size()))) continue;
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  if (!best.empty() || word.size() < 3) return best;
  // No typo in sight: a name the word abbreviates ("desc" for "description").
  for (const std::string& candidate : candidates) {
    if (candidate.size() > word.size() && EditDistance(word, candidate.substr(0, word.size())) == 0) {
      return candidate;
    }
  }
  return best;
}

std::string DidYouMean(std::string_view word, const std::vector<std::string>& candidates) {
  const std::string closest = ClosestName(word, candidates);
  return closest.empty() ? "" : " (did you mean '" + closest + "'?)";
}

std::string JoinNames(const std::vector<std::string>& names) { return absl::StrJoin(names, ", "); }

std::string JoinOr(const std::vector<std::string>& names) {
  if (names.size() <= 1) return JoinNames(names);
  std::vector<std::string> head(names.begin(), names.end() - 1);
  return absl::StrCat(absl::StrJoin(head, ", "), " or ", names.back());
}

void ReportUnknownKeys(const SpecValue& map, const std::vector<std::string>& allowed, const std::string& node,
                       const std::string& prefix, const std::string& where, ProblemList& problems) {
  for (const auto& [key, field] : map.fields) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string suggestion = DidYouMean(key, allowed);
    const std::string hint = suggestion.empty() ? absl::StrCat("; expected ", JoinOr(allowed)) : suggestion;
    problems.Add(field.key_pos, node, absl::StrCat(prefix, "unknown key '", key, "'", where, hint));
  }
}

bool ExpectKind(const SpecValue& value, SpecValue::Kind kind, const std::string& node, const std::string& what,
                ProblemList& problems) {
  if (value.kind == kind) return true;
  problems.Add(value.pos, node, absl::StrCat(what, ", not ", Describe(value)));
  return false;
}

std::string Describe(const SpecValue& value) {
  switch (value.kind) {
    case SpecValue::Kind::kNull:
      return "null";
    case SpecValue::Kind::kBool:
      return absl::StrCat("a boolean (", value.bool_value ? "true" : "false", ")");
    case SpecValue::Kind::kInt:
      return absl::StrCat("an int (", value.int_value, ")");
    case SpecValue::Kind::kFloat:
      return absl::StrCat("a float (", value.float_value, ")");
    case SpecValue::Kind::kString: {
      std::string text = value.string_value.substr(0, 40);
      if (text.size() < value.string_value.size()) text += "...";
      return absl::StrCat("a string ('", text, "')");
    }
    case SpecValue::Kind::kList:
      return "a list";
    case SpecValue::Kind::kMap:
      return "a mapping";
  }
  return "a value";
}

std::string TypeNoun(FieldType type) {
  switch (type) {
    case FieldType::kString:
      return "a string";
    case FieldType::kInt:
      return "an int";
    case FieldType::kNumber:
      return "a number";
    case FieldType::kBool:
      return "a boolean";
    case FieldType::kList:
      return "a list";
    case FieldType::kMap:
      return "a mapping";
    case FieldType::kAny:
      break;
  }
  return "any value";
}

bool HasType(const SpecValue& value, FieldType type) {
  using Kind = SpecValue::Kind;
  switch (type) {
    case FieldType::kString:
      return value.kind == Kind::kString;
    case FieldType::kInt:
      return value.kind == Kind::kInt;
    case FieldType::kNumber:
      return value.kind == Kind::kInt || value.kind == Kind::kFloat;
    case FieldType::kBool:
      return value.kind == Kind::kBool;
    case FieldType::kList:
      return value.kind == Kind::kList;
    case FieldType::kMap:
      return value.kind == Kind::kMap;
    case FieldType::kAny:
      break;
  }
  return true;
}

}  // namespace catena::chains
