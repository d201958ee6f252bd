#!/usr/bin/env python3
"""Independent numpy decoder of ggml weight blocks, used as a golden reference by ggml_types_test.

Usage: ggml_dequant_reference.py TYPE IN.bin OUT.bin
Reads IN.bin as a whole number of TYPE blocks (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K) and writes the decoded
values as little-endian float32 to OUT.bin. Written from the block layout descriptions, vectorized per field.
"""
import sys

import numpy as np

F32 = np.float32


def decode_q8_0(raw):
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "i1", 32)]))
    return (blocks["qs"].astype(F32) * blocks["d"].astype(F32)[:, None]).reshape(-1)


def decode_q4_0(raw):
    blocks = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", 16)]))
    qs = blocks["qs"].astype(np.int32)
    q = np.concatenate([qs & 0xF, qs >> 4], axis=1) - 8
    return (q.astype(F32) * blocks["d"].astype(F32)[:, None]).reshape(-1)


def q4k_scales_mins(packed):
    packed = packed.astype(np.int32)
    low, mid, high = packed[:, 0:4], packed[:, 4:8], packed[:, 8:12]
    scales = np.concatenate([low & 63, (high & 0xF) | ((low >> 6) << 4)], axis=1)
    mins = np.concatenate([mid & 63, (high >> 4) | ((mid >> 6) << 4)], axis=1)
    return scales, mins


def decode_q4_k(raw):
    layout = np.dtype([("d", "<f2"), ("dmin", "<f2"), ("scales", "u1", 12), ("qs", "u1", 128)])
    blocks = np.frombuffer(raw, dtype=layout)
    scales, mins = q4k_scales_mins(blocks["scales"])
    qs = blocks["qs"].astype(np.int32).reshape(-1, 4, 32)
    # chunk c of 64 values: sub-block 2c from the low nibbles, 2c + 1 from the high nibbles
    q = np.stack([qs & 0xF, qs >> 4], axis=2).reshape(-1, 8, 32)
    step = (blocks["d"].astype(F32)[:, None] * scales.astype(F32))[:, :, None]
    offset = (blocks["dmin"].astype(F32)[:, None] * mins.astype(F32))[:, :, None]
    return (step * q.astype(F32) - offset).reshape(-1)


def decode_q6_k(raw):
    layout = np.dtype([("ql", "u1", 128), ("qh", "u1", 64), ("scales", "i1", 16), ("d", "<f2")])
    blocks = np.frombuffer(raw, dtype=layout)
    n = len(blocks)
    out = np.zeros((n, 256), dtype=np.int32)
    for half in range(2):
        ql = blocks["ql"][:, 64 * half:64 * half + 64].astype(np.int32)
        qh = blocks["qh"][:, 32 * half:32 * half + 32].astype(np.int32)
        first, second = ql[:, :32], ql[:, 32:]
        parts = [first & 0xF, second & 0xF, first >> 4, second >> 4]
        for k in range(4):
            out[:, 128 * half + 32 * k:128 * half + 32 * k + 32] = parts[k] | (((qh >> (2 * k)) & 3) << 4)
    scale = np.repeat(blocks["scales"].astype(F32), 16, axis=1)
    step = blocks["d"].astype(F32)[:, None] * scale
    return (step * (out - 32).astype(F32)).reshape(-1)


def decode(kind, raw):
    if kind == "f32":
        return np.frombuffer(raw, dtype="<f4")
    if kind == "f16":
        return np.frombuffer(raw, dtype="<f2").astype(F32)
    if kind == "bf16":
        return (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(F32)
    decoders = {"q8_0": decode_q8_0, "q4_0": decode_q4_0, "q4_K": decode_q4_k, "q6_K": decode_q6_k}
    return decoders[kind](raw)


def main():
    kind, source, target = sys.argv[1:4]
    with open(source, "rb") as f:
        raw = f.read()
    values = np.asarray(decode(kind, raw), dtype="<f4")
    with open(target, "wb") as f:
        f.write(values.tobytes())


if __name__ == "__main__":
    main()
