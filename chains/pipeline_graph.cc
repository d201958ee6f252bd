#include "chains/pipeline_graph.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <queue>

namespace catena::chains {
namespace {

std::vector<std::vector<int>> Dependents(const std::vector<std::vector<int>>& dependencies) {
  std::vector<std::vector<int>> dependents(dependencies.size());
  for (size_t node = 0; node < dependencies.size(); ++node) {
    for (int dependency : dependencies[node]) dependents[dependency].push_back(static_cast<int>(node));
  }
  for (auto& list : dependents) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
  }
  return dependents;
}

// Shortest path start -> ... -> start along `dependents` through `allowed` nodes; empty when none.
std::vector<int> ShortestCycle(int start, const std::vector<std::vector<int>>& dependents,
                               const std::vector<bool>& allowed) {
  std::vector<int> parent(dependents.size(), -2);
  std::deque<int> queue{start};
  while (!queue.empty()) {
    const int node = queue.front();
    queue.pop_front();
    for (int next : dependents[node]) {
      if (!allowed[next]) continue;
      if (next == start) {
        std::vector<int> path{start};
        for (int step = node; step != start; step = parent[step]) path.push_back(step);
        path.push_back(start);
        std::reverse(path.begin() + 1, path.end() - 1);
        return path;
      }
      if (parent[next] != -2) continue;
      parent[next] = node;
      queue.push_back(next);
    }
  }
  return {};
}

}  // namespace

std::vector<int> TopologicalOrder(const std::vector<std::vector<int>>& dependencies) {
  const std::vector<std::vector<int>> dependents = Dependents(dependencies);
  std::vector<int> waiting(dependencies.size(), 0);
  std::priority_queue<int, std::vector<int>, std::greater<>> ready;
  for (size_t node = 0; node < dependencies.size(); ++node) {
    std::vector<int> unique = dependencies[node];
    std::sort(unique.begin(), unique.end());
    waiting[node] = static_cast<int>(std::unique(unique.begin(), unique.end()) - unique.begin());
    if (waiting[node] == 0) ready.push(static_cast<int>(node));
  }
  std::vector<int> order;
  while (!ready.empty()) {
    const int node = ready.top();
    ready.pop();
    order.push_back(node);
    for (int next : dependents[node]) {
      if (--waiting[next] == 0) ready.push(next);
    }
  }
  return order;
}

std::vector<std::vector<int>> FindCycles(const std::vector<std::vector<int>>& dependencies) {
  // Nodes Kahn's algorithm cannot order are on a cycle or behind one.
  std::vector<bool> stuck(dependencies.size(), true);
  for (int node : TopologicalOrder(dependencies)) stuck[node] = false;
  const std::vector<std::vector<int>> dependents = Dependents(dependencies);
  std::vector<bool> reported(dependencies.size(), false);
  std::vector<std::vector<int>> cycles;
  for (size_t node = 0; node < dependencies.size(); ++node) {
    if (!stuck[node] || reported[node]) continue;
    std::vector<int> cycle = ShortestCycle(static_cast<int>(node), dependents, stuck);
    if (cycle.empty()) continue;
    for (int member : cycle) reported[member] = true;
    cycles.push_back(std::move(cycle));
  }
  return cycles;
}

}  // namespace catena::chains
