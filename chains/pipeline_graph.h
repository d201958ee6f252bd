// Graph algorithms for the pipeline compiler over node indices in file order: dependency cycles and a
// stable topological order. `dependencies[i]` lists the nodes node i waits for. Pure functions.
#pragma once

#include <vector>

namespace catena::chains {

// Cycles, each as the path [a, b, ..., a] where each node feeds the next (the next depends on it). Every
// node on a cycle appears in at least one reported path; paths start at their earliest node in file order.
std::vector<std::vector<int>> FindCycles(const std::vector<std::vector<int>>& dependencies);

// Every node, dependencies first; among nodes ready at the same time the earliest in the file goes first.
// Nodes on or behind a cycle are left out.
std::vector<int> TopologicalOrder(const std::vector<std::vector<int>>& dependencies);

}  // namespace catena::chains
