#!/usr/bin/python3
"""Independent reference for HashingEmbedder's feature hashing (see inference/README.md).

Usage: hashing_reference.py DIMENSION SENTENCES_JSON  ->  prints a JSON list of vectors, one per sentence.
Words: runs of Unicode letters/marks/digits, str.lower(). Features: word (weight 1.0, FNV-1a-64 from the FNV
offset basis), bigram of adjacent word hashes (0.5), character n-grams of "<word>" for n = 3..5 code points
(0.25, FNV-1a-64 from a fixed seed, xor n). Every hash goes through the murmur3 64-bit finalizer. Equal
features are merged with sublinear tf (w * (1 + ln tf)), added to bucket h % dim with sign from bit 63, and
the vector is L2-normalized.
"""
import json
import math
import sys
import unicodedata

import numpy as np

MASK = (1 << 64) - 1
FNV_OFFSET = 0xCBF29CE484222325
BIGRAM_SEED = 0x9E3779B97F4A7C15
CHAR_SEED = 0xC2B2AE3D27D4EB4F


def fnv1a(data, seed):
    h = seed
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & MASK
    return h


def fmix64(h):
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    h ^= h >> 33
    return h


def words(text):
    out, current = [], []
    for ch in text + " ":
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            out.append("".join(current).lower())
            current = []
    return out


def features(text):
    feats, previous = [], None
    for word in words(text):
        h = fmix64(fnv1a(word.encode(), FNV_OFFSET))
        feats.append((h, 1.0))
        if previous is not None:
            feats.append((fmix64((previous * 31 + h + BIGRAM_SEED) & MASK), 0.5))
        previous = h
        padded = "<" + word + ">"
        for start in range(len(padded)):
            for n in range(3, 6):
                if start + n <= len(padded):
                    gram = padded[start:start + n].encode()
                    feats.append((fmix64(fnv1a(gram, CHAR_SEED) ^ n), 0.25))
    return feats


def embed(text, dim):
    merged = {}
    for h, w in features(text):
        count, _ = merged.get(h, (0, w))
        merged[h] = (count + 1, w)
    vector = np.zeros(dim, dtype=np.float64)
    for h, (count, w) in merged.items():
        value = w * (1.0 + math.log(count))
        vector[h % dim] += -value if h >> 63 else value
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def main():
    dim = int(sys.argv[1])
    with open(sys.argv[2], encoding="utf-8") as f:
        sentences = json.load(f)
    json.dump([embed(s, dim).tolist() for s in sentences], sys.stdout)


if __name__ == "__main__":
    main()
