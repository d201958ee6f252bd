// Problems found in a pipeline file: each names the file, the 1-based line and column, the node (when one is
// concerned) and what is wrong. The parser, the validator and every node type's Compile append to one
// ProblemList so that all problems of a file are reported at once. Plain data; not synchronized.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace catena::chains {

// A position in a pipeline file; 0 when unknown.
struct SourcePos {
  int line = 0;
  int column = 0;
};

struct Problem {
  std::string file;
  int line = 0;
  int column = 0;
  std::string node;  // empty when the problem is not tied to a node
  std::string message;
};

// "file:line:column: node 'id': message" (position and node parts left out when unknown).
std::string FormatProblem(const Problem& problem);

class ProblemList {
 public:
  explicit ProblemList(std::string file) : file_(std::move(file)) {}

  // Appends a problem at `pos`, tied to `node` when not empty.
  void Add(SourcePos pos, std::string node, std::string message);

  bool empty() const { return problems_.empty(); }
  const std::string& file() const { return file_; }
  // In the order they were added; Sorted() orders them by position (stable).
  const std::vector<Problem>& problems() const { return problems_; }
  std::vector<Problem> Sorted() const;
  // OK when empty; otherwise INVALID_ARGUMENT whose message is every problem, sorted, one per line.
  absl::Status ToStatus() const;

 private:
  std::string file_;
  std::vector<Problem> problems_;
};

}  // namespace catena::chains
