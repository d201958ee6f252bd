#!/usr/bin/python3
"""Independent numpy reference for WordVectorEmbedder (SIF-weighted average of GloVe vectors).

Usage: sif_reference.py WINK_JSON SENTENCES_JSON  ->  prints a JSON list of unit vectors, one per sentence.
Tokens: maximal runs of Unicode letters, marks and digits (unicodedata categories L*, M*, N*), lowercased
with str.lower(). Weight of a word of 0-based frequency rank r: a / (a + p), p = 1 / ((r + 1) * H_N), a = 1e-3.
Unknown words are skipped; the weighted sum is divided by the number of known words, then L2-normalized.
"""
import json
import sys
import unicodedata

import numpy as np

SIF_A = 1e-3


def tokens(text):
    words, current = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            words.append("".join(current).lower())
            current = []
    if current:
        words.append("".join(current).lower())
    return words


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        data = json.load(f)
    with open(sys.argv[2], encoding="utf-8") as f:
        sentences = json.load(f)
    dim = data["dimensions"]
    words = data["words"]
    vectors = data["vectors"]
    rank = {w: i for i, w in enumerate(words)}
    harmonic = np.sum(1.0 / np.arange(len(words), 0, -1, dtype=np.float64))
    out = []
    for sentence in sentences:
        total = np.zeros(dim, dtype=np.float64)
        known = 0
        for token in tokens(sentence):
            if token not in rank:
                continue
            p = 1.0 / ((rank[token] + 1) * harmonic)
            total += (SIF_A / (SIF_A + p)) * np.asarray(vectors[token][:dim], dtype=np.float64)
            known += 1
        if known:
            total /= known
        norm = np.linalg.norm(total)
        out.append((total / norm if norm > 0 else total).tolist())
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
