#!/usr/bin/python3
"""Command-line front end of the numpy reference forward pass, for C++ tests (run via subprocess).

Usage:
  reference_model.py MODEL.gguf --tokens 1,2,3 [--all-logits] [--logits-out PATH] [--greedy N [--stop-at-eos]]
                     [--embed] [--pooling none|mean|cls|last] [--gelu tanh|erf] [--json]

Prints exactly one JSON object on stdout (floats are Python float64 reprs, which round-trip exactly):
  {"architecture": "llama", "n_tokens": 3, "n_vocab": 32, "n_embd": 16,
   "logits_last": [...n_vocab floats...],           decoders, unless --all-logits or --logits-out
   "logits": [[...], ...],                          with --all-logits: one row per position
   "logits_file": PATH, "logits_shape": [n_tokens, n_vocab], "logits_dtype": "float64",
                                                    with --logits-out: all logits written there, raw
                                                    little-endian float64 row-major (or .npy if PATH ends so)
   "greedy": [ids...],                              with --greedy N: the N new ids (fewer with --stop-at-eos)
   "embedding": [...n_embd floats...],              with --embed (default for bert): pooled, L2-normalized
   "token_embeddings": [[...], ...]}                with --embed and pooling none: each row L2-normalized
On error: exit status 1, {"error": "message"} on stdout and the message on stderr. Usage errors: status 2.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import model_ref  # noqa: E402
from gguf_read import GgufError  # noqa: E402

POOLING_NAMES = {"none": model_ref.POOLING_NONE, "mean": model_ref.POOLING_MEAN, "cls": model_ref.POOLING_CLS,
                 "last": model_ref.POOLING_LAST}


def parse_tokens(text):
    try:
        tokens = [int(part) for part in text.split(",") if part.strip() != ""]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--tokens must be comma-separated integers, got {text!r}") from None
    if not tokens:
        raise argparse.ArgumentTypeError("--tokens needs at least one token id")
    return tokens


def build_parser():
    parser = argparse.ArgumentParser(description="numpy reference forward pass over a GGUF model")
    parser.add_argument("model")
    parser.add_argument("--tokens", type=parse_tokens, required=True, help="comma-separated token ids")
    parser.add_argument("--all-logits", action="store_true", help="print logits for every position")
    parser.add_argument("--logits-out", help="write all logits [n_tokens, n_vocab] as float64 to this file")
    parser.add_argument("--greedy", type=int, default=0, metavar="N", help="generate N tokens greedily")
    parser.add_argument("--stop-at-eos", action="store_true", help="stop greedy after tokenizer.ggml.eos_token_id")
    parser.add_argument("--embed", action="store_true", help="print the pooled, normalized embedding")
    parser.add_argument("--pooling", choices=sorted(POOLING_NAMES), help="override the model's pooling type")
    parser.add_argument("--gelu", choices=[model_ref.GELU_TANH, model_ref.GELU_ERF], default=model_ref.GELU_TANH)
    parser.add_argument("--json", action="store_true", help="accepted for clarity; JSON is always printed")
    return parser


def floats(array):
    values = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(values)):
        raise ValueError("the reference produced non-finite values")
    return values.tolist()


def write_logits(path, logits):
    if path.endswith(".npy"):
        np.save(path, logits.astype(np.float64))
    else:
        logits.astype("<f8").tofile(path)


def run(args):
    model = model_ref.load_model(args.model)
    result = {"architecture": model.arch, "n_tokens": len(args.tokens), "n_embd": model.hp["n_embd"]}
    decoder = model.arch != "bert"
    if decoder:
        logits = model_ref.forward(model, args.tokens)
        result["n_vocab"] = logits.shape[1]
        if args.logits_out:
            write_logits(args.logits_out, logits)
            floats(logits)
            result.update(logits_file=args.logits_out, logits_shape=list(logits.shape), logits_dtype="float64")
        elif args.all_logits:
            result["logits"] = floats(logits)
        else:
            result["logits_last"] = floats(logits[-1])
    elif args.all_logits or args.logits_out or args.greedy:
        raise ValueError("bert models have no logits; use --embed")
    if args.greedy:
        eos = model.gguf.metadata.get("tokenizer.ggml.eos_token_id") if args.stop_at_eos else None
        result["greedy"] = model_ref.greedy(model, args.tokens, args.greedy, eos)
    if args.embed or not decoder:
        pooling = POOLING_NAMES[args.pooling] if args.pooling else None
        vectors = model_ref.embed(model, args.tokens, pooling, args.gelu)
        result["token_embeddings" if vectors.ndim == 2 else "embedding"] = floats(vectors)
    return result


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.greedy < 0:
        build_parser().error("--greedy must be >= 0")
    try:
        result = run(args)
    except (GgufError, ValueError, OSError, KeyError) as e:
        message = f"reference_model: {e}"
        print(message, file=sys.stderr)
        print(json.dumps({"error": message}))
        return 1
    json.dump(result, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
