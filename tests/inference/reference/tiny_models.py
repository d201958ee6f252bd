"""Builders of tiny random GGUF models (llama, qwen2, bert) for the reference self-tests.

Each builder returns the weights it wrote as a dict name -> float32 numpy array (reference orientation,
[out, in] for matrices) so tests can recompute the model independently.
"""
import numpy as np

import gguf_read as gr
import gguf_write as gw


def _random(rng, shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def decoder_weights(seed=0, n_vocab=12, n_embd=8, n_head=2, n_head_kv=2, n_layer=2, n_ff=16,
                    biases=False, tied=False, rope_freqs=None):
    """Random weights of a llama-style decoder; head_dim = n_embd / n_head."""
    rng = np.random.default_rng(seed)
    head_dim = n_embd // n_head
    w = {"token_embd.weight": _random(rng, (n_vocab, n_embd), 1.0),
         "output_norm.weight": (1.0 + _random(rng, n_embd, 0.1))}
    if not tied:
        w["output.weight"] = _random(rng, (n_vocab, n_embd))
    if rope_freqs is not None:
        w["rope_freqs.weight"] = np.asarray(rope_freqs, dtype=np.float32)
    for i in range(n_layer):
        p = f"blk.{i}."
        w[p + "attn_norm.weight"] = 1.0 + _random(rng, n_embd, 0.1)
        w[p + "attn_q.weight"] = _random(rng, (n_head * head_dim, n_embd))
        w[p + "attn_k.weight"] = _random(rng, (n_head_kv * head_dim, n_embd))
        w[p + "attn_v.weight"] = _random(rng, (n_head_kv * head_dim, n_embd))
        w[p + "attn_output.weight"] = _random(rng, (n_embd, n_head * head_dim))
        w[p + "ffn_norm.weight"] = 1.0 + _random(rng, n_embd, 0.1)
        w[p + "ffn_gate.weight"] = _random(rng, (n_ff, n_embd))
        w[p + "ffn_up.weight"] = _random(rng, (n_ff, n_embd))
        w[p + "ffn_down.weight"] = _random(rng, (n_embd, n_ff))
        if biases:
            for name, rows in (("attn_q", n_head), ("attn_k", n_head_kv), ("attn_v", n_head_kv)):
                w[p + name + ".bias"] = _random(rng, rows * head_dim)
    return w


def write_decoder(path, weights, arch="llama", n_head=2, n_head_kv=2, eps=1e-5, rope_base=10000.0,
                  n_rot=None, ggml_type=gr.F32, extra_metadata=()):
    n_embd = weights["token_embd.weight"].shape[1]
    n_layer = len({k.split(".")[1] for k in weights if k.startswith("blk.")})
    w = gw.GgufWriter()
    w.add_string("general.architecture", arch)
    w.add_u32(f"{arch}.embedding_length", n_embd)
    w.add_u32(f"{arch}.block_count", n_layer)
    w.add_u32(f"{arch}.feed_forward_length", weights["blk.0.ffn_up.weight"].shape[0] if n_layer else 0)
    w.add_u32(f"{arch}.attention.head_count", n_head)
    w.add_u32(f"{arch}.attention.head_count_kv", n_head_kv)
    w.add_f32(f"{arch}.attention.layer_norm_rms_epsilon", eps)
    w.add_f32(f"{arch}.rope.freq_base", rope_base)
    if n_rot is not None:
        w.add_u32(f"{arch}.rope.dimension_count", n_rot)
    for key, value_type, value in extra_metadata:
        w.add(key, value_type, value)
    for name, values in weights.items():
        matrix = values.ndim == 2 and values.shape[1] % gr.TYPE_BLOCKS[ggml_type][0] == 0
        w.add_tensor(name, values, ggml_type if matrix else gr.F32)
    w.write(path)


def bert_weights(seed=0, n_vocab=10, n_embd=8, n_layer=2, n_ff=16, n_pos=16, token_types=True):
    rng = np.random.default_rng(seed)
    w = {"token_embd.weight": _random(rng, (n_vocab, n_embd), 1.0),
         "position_embd.weight": _random(rng, (n_pos, n_embd), 0.3),
         "token_embd_norm.weight": 1.0 + _random(rng, n_embd, 0.1),
         "token_embd_norm.bias": _random(rng, n_embd, 0.1)}
    if token_types:
        w["token_types.weight"] = _random(rng, (2, n_embd), 0.3)
    for i in range(n_layer):
        p = f"blk.{i}."
        for name, shape in (("attn_q", (n_embd, n_embd)), ("attn_k", (n_embd, n_embd)),
                            ("attn_v", (n_embd, n_embd)), ("attn_output", (n_embd, n_embd)),
                            ("ffn_up", (n_ff, n_embd)), ("ffn_down", (n_embd, n_ff))):
            w[p + name + ".weight"] = _random(rng, shape)
            w[p + name + ".bias"] = _random(rng, shape[0], 0.1)
        for name in ("attn_output_norm", "layer_output_norm"):
            w[p + name + ".weight"] = 1.0 + _random(rng, n_embd, 0.1)
            w[p + name + ".bias"] = _random(rng, n_embd, 0.1)
    return w


def write_bert(path, weights, n_head=2, eps=1e-12, pooling=1):
    n_embd = weights["token_embd.weight"].shape[1]
    w = gw.GgufWriter()
    w.add_string("general.architecture", "bert")
    w.add_u32("bert.embedding_length", n_embd)
    w.add_u32("bert.block_count", len({k.split(".")[1] for k in weights if k.startswith("blk.")}))
    w.add_u32("bert.attention.head_count", n_head)
    w.add_f32("bert.attention.layer_norm_epsilon", eps)
    w.add_u32("bert.pooling_type", pooling)
    w.add("bert.attention.causal", gr.BOOL, False)
    for name, values in weights.items():
        w.add_tensor(name, values)
    w.write(path)
