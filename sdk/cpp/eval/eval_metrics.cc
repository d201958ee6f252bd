#include "eval/eval_metrics.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace catena::eval {
namespace {

bool IsTokenByte(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80; }

// `text` with every "[digits]" removed.
std::string WithoutCitations(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') {
      size_t j = i + 1;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9') ++j;
      if (j > i + 1 && j < text.size() && text[j] == ']') {
        i = j;
        continue;
      }
    }
    out.push_back(text[i]);
  }
  return out;
}

std::map<std::vector<std::string>, int> NgramCounts(const std::vector<std::string>& tokens, size_t n) {
  std::map<std::vector<std::string>, int> counts;
  for (size_t i = 0; i + n <= tokens.size(); ++i) ++counts[{tokens.begin() + i, tokens.begin() + i + n}];
  return counts;
}

size_t LcsLength(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<size_t> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

double F1(double precision, double recall) {
  return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
}

// The distinct documents of `ranked`, in rank order.
std::vector<std::string> DistinctDocuments(const std::vector<std::string>& ranked) {
  std::vector<std::string> documents;
  std::set<std::string> seen;
  for (const std::string& id : ranked) {
    std::string document = DocumentOf(id);
    if (seen.insert(document).second) documents.push_back(std::move(document));
  }
  return documents;
}

}  // namespace

std::vector<std::string> AnswerTokens(std::string_view text) {
  const std::string clean = WithoutCitations(text);
  std::vector<std::string> tokens;
  std::string current;
  auto flush = [&] {
    if (!current.empty() && current != "a" && current != "an" && current != "the") tokens.push_back(current);
    current.clear();
  };
  for (char raw : clean) {
    const unsigned char c = static_cast<unsigned char>(raw >= 'A' && raw <= 'Z' ? raw - 'A' + 'a' : raw);
    if (IsTokenByte(c)) {
      current.push_back(static_cast<char>(c));
    } else {
      flush();
    }
  }
  flush();
  return tokens;
}

double ExactMatch(std::string_view prediction, std::string_view reference) {
  return AnswerTokens(prediction) == AnswerTokens(reference) ? 1 : 0;
}

double TokenF1(std::string_view prediction, std::string_view reference) {
  const std::vector<std::string> predicted = AnswerTokens(prediction);
  const std::vector<std::string> expected = AnswerTokens(reference);
  if (predicted.empty() || expected.empty()) return predicted.empty() && expected.empty() ? 1 : 0;
  std::map<std::string, int> remaining;
  for (const std::string& token : expected) ++remaining[token];
  int overlap = 0;
  for (const std::string& token : predicted) {
    if (auto it = remaining.find(token); it != remaining.end() && it->second > 0) {
      --it->second;
      ++overlap;
    }
  }
  return F1(static_cast<double>(overlap) / predicted.size(), static_cast<double>(overlap) / expected.size());
}

double RougeL(std::string_view prediction, std::string_view reference) {
  const std::vector<std::string> predicted = AnswerTokens(prediction);
  const std::vector<std::string> expected = AnswerTokens(reference);
  if (predicted.empty() || expected.empty()) return predicted.empty() && expected.empty() ? 1 : 0;
  const double lcs = static_cast<double>(LcsLength(predicted, expected));
  return F1(lcs / predicted.size(), lcs / expected.size());
}

double SentenceBleu(std::string_view prediction, std::string_view reference) {
  const std::vector<std::string> predicted = AnswerTokens(prediction);
  const std::vector<std::string> expected = AnswerTokens(reference);
  if (predicted.empty() || expected.empty()) return 0;
  double log_sum = 0;
  for (size_t n = 1; n <= 4; ++n) {
    const auto candidate = NgramCounts(predicted, n);
    const auto ref = NgramCounts(expected, n);
    double matched = 0;
    double total = 0;
    for (const auto& [gram, count] : candidate) {
      total += count;
      if (auto it = ref.find(gram); it != ref.end()) matched += std::min(count, it->second);
    }
    if (n == 1 && matched == 0) return 0;
    const double precision = n == 1 ? matched / total : (matched + 1) / (total + 1);
    log_sum += std::log(precision) / 4;
  }
  const double c = static_cast<double>(predicted.size());
  const double r = static_cast<double>(expected.size());
  const double brevity = c >= r ? 1 : std::exp(1 - r / c);
  return brevity * std::exp(log_sum);
}

std::vector<int> Citations(std::string_view text) {
  std::vector<int> citations;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '[') continue;
    size_t j = i + 1;
    int number = 0;
    while (j < text.size() && text[j] >= '0' && text[j] <= '9' && j - i <= 6) number = number * 10 + (text[j++] - '0');
    if (j > i + 1 && j < text.size() && text[j] == ']' && number > 0) citations.push_back(number);
  }
  return citations;
}

std::string DocumentOf(std::string_view retrieved_id) {
  const size_t hash = retrieved_id.rfind('#');
  return std::string(hash == std::string_view::npos ? retrieved_id : retrieved_id.substr(0, hash));
}

double RecallAtK(const std::vector<std::string>& ranked, const std::set<std::string>& relevant, int k) {
  if (relevant.empty()) return 0;
  const std::vector<std::string> documents = DistinctDocuments(ranked);
  size_t found = 0;
  for (size_t i = 0; i < documents.size() && i < static_cast<size_t>(std::max(k, 0)); ++i) {
    found += relevant.contains(documents[i]) ? 1 : 0;
  }
  return static_cast<double>(found) / relevant.size();
}

double ReciprocalRank(const std::vector<std::string>& ranked, const std::set<std::string>& relevant) {
  const std::vector<std::string> documents = DistinctDocuments(ranked);
  for (size_t i = 0; i < documents.size(); ++i) {
    if (relevant.contains(documents[i])) return 1.0 / static_cast<double>(i + 1);
  }
  return 0;
}

double NdcgAtK(const std::vector<std::string>& ranked, const std::set<std::string>& relevant, int k) {
  if (relevant.empty() || k <= 0) return 0;
  const std::vector<std::string> documents = DistinctDocuments(ranked);
  double dcg = 0;
  for (size_t i = 0; i < documents.size() && i < static_cast<size_t>(k); ++i) {
    if (relevant.contains(documents[i])) dcg += 1 / std::log2(static_cast<double>(i) + 2);
  }
  double ideal = 0;
  for (size_t i = 0; i < relevant.size() && i < static_cast<size_t>(k); ++i) {
    ideal += 1 / std::log2(static_cast<double>(i) + 2);
  }
  return dcg / ideal;
}

}  // namespace catena::eval
