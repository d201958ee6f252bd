#include "chains/problems.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace catena::chains {

std::string FormatProblem(const Problem& problem) {
  std::string out = problem.file;
  if (problem.line > 0) absl::StrAppend(&out, ":", problem.line, ":", problem.column);
  absl::StrAppend(&out, ": ");
  if (!problem.node.empty()) absl::StrAppend(&out, "node '", problem.node, "': ");
  absl::StrAppend(&out, problem.message);
  return out;
}

void ProblemList::Add(SourcePos pos, std::string node, std::string message) {
  problems_.push_back(Problem{file_, pos.line, pos.column, std::move(node), std::move(message)});
}

std::vector<Problem> ProblemList::Sorted() const {
  std::vector<Problem> sorted = problems_;
  std::stable_sort(sorted.begin(), sorted.end(), [](const Problem& a, const Problem& b) {
    return std::tie(a.line, a.column) < std::tie(b.line, b.column);
  });
  return sorted;
}

absl::Status ProblemList::ToStatus() const {
  if (problems_.empty()) return absl::OkStatus();
  std::string message;
  for (const Problem& problem : Sorted()) {
    if (!message.empty()) message += "\n";
    message += FormatProblem(problem);
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace catena::chains
