#!/usr/bin/python3
"""Independent numpy reference for retrieval/kmeans.h (spherical k-means, k-means++ seeding, silhouette).

Usage: kmeans_reference.py INPUT_JSON  ->  prints a JSON object.
INPUT_JSON: {"rows": [[...], ...] (unit vectors), "k", "seed", "iterations"}.
Output: {"seeds": indices chosen by k-means++ (splitmix64 stream of `seed`, weights 1 - cos to the nearest
seed, first index whose running sum exceeds u * total), "assignments": after `iterations` Lloyd steps from
those seeds (assign by highest cosine, lowest index on ties; centroid = normalized mean of its members; an
empty cluster keeps its centroid), "inertia": sum of 1 - cos to the assigned centroid, "silhouette": mean
silhouette with cosine distance computed pairwise (singletons count 0)}.
"""
import json
import sys

import numpy as np

MASK = (1 << 64) - 1


class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        return z ^ (z >> 31)

    def uniform(self):
        return (self.next() >> 11) * 2.0 ** -53


def seeds(x, k, seed):
    n = len(x)
    rng = SplitMix64(seed)
    chosen = [int(rng.uniform() * n)]
    nearest = np.full(n, np.inf)
    while len(chosen) < k:
        nearest = np.minimum(nearest, np.maximum(0.0, 1.0 - x @ x[chosen[-1]]))
        total = nearest.sum()
        target = rng.uniform() * total
        above = np.nonzero(np.cumsum(nearest) > target)[0] if total > 0 else []
        pick = int(above[0]) if len(above) else next(i for i in range(n) if i not in chosen)
        chosen.append(pick)
    return chosen


def lloyd(x, centroids, iterations):
    for _ in range(iterations):
        assign = np.argmax(x @ centroids.T, axis=1)
        for c in range(len(centroids)):
            members = x[assign == c]
            if len(members):
                mean = members.sum(axis=0)
                centroids[c] = mean / np.linalg.norm(mean)
    assign = np.argmax(x @ centroids.T, axis=1)
    inertia = float(np.sum(1.0 - np.max(x @ centroids.T, axis=1)))
    return assign, inertia


def silhouette(x, assign, k):
    dist = 1.0 - x @ x.T
    total = 0.0
    for i in range(len(x)):
        own = assign == assign[i]
        if own.sum() < 2:
            continue
        a = (dist[i][own].sum() - dist[i][i]) / (own.sum() - 1)
        b = min(dist[i][assign == c].mean() for c in range(k) if c != assign[i] and (assign == c).any())
        total += (b - a) / max(a, b)
    return total / len(x)


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    x = np.array(spec["rows"], dtype=np.float64)
    chosen = seeds(x, spec["k"], spec["seed"])
    assign, inertia = lloyd(x, x[chosen].copy(), spec["iterations"])
    print(json.dumps({"seeds": chosen, "assignments": [int(a) for a in assign], "inertia": inertia,
                      "silhouette": silhouette(x, assign, spec["k"])}))


if __name__ == "__main__":
    main()
