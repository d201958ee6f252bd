#!/usr/bin/python3
"""Independent reference for ROUGE-L F1 and smoothed sentence BLEU-4 (written from the definitions in
docs/eval.md, not from the C++ code): prints the values eval_metrics_test.cc pins for its cases."""
import math
import re
from collections import Counter

def tokens(text):
    text = re.sub(r"\[\d+\]", "", text).lower()
    return [t for t in re.split(r"[^a-z0-9\x80-\U0010ffff]+", text) if t and t not in ("a", "an", "the")]

def lcs(a, b):
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            table[i + 1][j + 1] = table[i][j] + 1 if x == y else max(table[i][j + 1], table[i + 1][j])
    return table[len(a)][len(b)]

def rouge_l(pred, ref):
    p, r = tokens(pred), tokens(ref)
    if not p or not r:
        return 1.0 if not p and not r else 0.0
    m = lcs(p, r)
    if m == 0:
        return 0.0
    prec, rec = m / len(p), m / len(r)
    return 2 * prec * rec / (prec + rec)

def bleu(pred, ref):
    p, r = tokens(pred), tokens(ref)
    if not p or not r:
        return 0.0
    logs = 0.0
    for n in range(1, 5):
        cand = Counter(tuple(p[i:i + n]) for i in range(len(p) - n + 1))
        refs = Counter(tuple(r[i:i + n]) for i in range(len(r) - n + 1))
        matched = sum(min(c, refs[g]) for g, c in cand.items())
        total = sum(cand.values())
        if n == 1:
            if matched == 0:
                return 0.0
            prec = matched / total
        else:
            prec = (matched + 1) / (total + 1)
        logs += math.log(prec) / 4
    bp = 1.0 if len(p) >= len(r) else math.exp(1 - len(r) / len(p))
    return bp * math.exp(logs)

CASES = [
    ("the cat sat on the mat", "the cat is on the mat"),
    ("cat on mat", "the cat is on the mat"),
    ("Block it at once in the app under Cards, then Block card [2].",
     "Block it at once in the Northwind app under Cards, then Block card, or call +33 1 84 60 20 24."),
    ("50 EUR per transaction [1].", "50 EUR per transaction."),
    ("Le plafond est de 5 000 EUR par jour [3].", "5 000 EUR par jour, relevable jusqu'à 20 000 EUR."),
]

if __name__ == "__main__":
    for pred, ref in CASES:
        print(f"{rouge_l(pred, ref):.6f} {bleu(pred, ref):.6f}  | {pred} | {ref}")
