"""Reference forward passes (float64 numpy, written for clarity, not speed) for GGUF models of the
architectures llama, qwen2 and bert, following llama.cpp's semantics for those GGUF files. See README.md.

load_model(path) -> Model; forward(model, tokens) -> logits [n_tokens, n_vocab] (decoders);
hidden_states(model, tokens) -> final normalized hidden states [n_tokens, n_embd];
embed(model, tokens, pooling=None) -> pooled, L2-normalized vector; greedy(model, tokens, n) -> new ids.
Weights are dequantized once to float32 (as ggml decodes them) and promoted to float64 for every product.
"""
import math

import numpy as np

from gguf_read import GgufError, read_gguf

ROPE_NORMAL = "normal"  # rotates adjacent pairs (x[2i], x[2i+1]); llama.cpp's LLAMA_ROPE_TYPE_NORM
ROPE_NEOX = "neox"  # rotates (x[i], x[i + n_rot/2]); llama.cpp's LLAMA_ROPE_TYPE_NEOX
ROPE_STYLES = {"llama": ROPE_NORMAL, "qwen2": ROPE_NEOX}
POOLING_NONE, POOLING_MEAN, POOLING_CLS, POOLING_LAST = 0, 1, 2, 3
GELU_TANH, GELU_ERF = "tanh", "erf"


class Model:
    """A loaded GGUF model: `arch`, `hp` (hyperparameters dict), `gguf`, and a float32 weight cache."""

    def __init__(self, gguf, arch, hp):
        self.gguf, self.arch, self.hp = gguf, arch, hp
        self._cache = {}

    def has(self, name):
        return self.gguf.has_tensor(name)

    def w(self, name):
        if name not in self._cache:
            self._cache[name] = self.gguf.tensor(name)
        return self._cache[name]

    def w_opt(self, name):
        return self.w(name) if self.has(name) else None


def load_model(path):
    gguf = read_gguf(path)
    arch = gguf.metadata.get("general.architecture")
    if arch in ROPE_STYLES:
        return Model(gguf, arch, _decoder_hparams(gguf, arch))
    if arch == "bert":
        return Model(gguf, arch, _bert_hparams(gguf))
    raise GgufError(f"{path}: unsupported general.architecture {arch!r} (llama, qwen2, bert)")


def _meta(gguf, key, default=None, kind=int):
    value = gguf.metadata.get(key, default)
    if value is None:
        raise GgufError(f"{gguf.path}: missing metadata key {key!r}")
    if isinstance(value, list):
        raise GgufError(f"{gguf.path}: metadata {key!r} is an array; per-layer values are not supported")
    return kind(value)


def _decoder_hparams(gguf, arch):
    n_embd = _meta(gguf, f"{arch}.embedding_length")
    n_head = _meta(gguf, f"{arch}.attention.head_count")
    head_dim = _meta(gguf, f"{arch}.attention.key_length", n_embd // n_head)
    hp = {
        "n_embd": n_embd, "n_layer": _meta(gguf, f"{arch}.block_count"), "n_head": n_head,
        "n_head_kv": _meta(gguf, f"{arch}.attention.head_count_kv", n_head), "head_dim": head_dim,
        "eps": _meta(gguf, f"{arch}.attention.layer_norm_rms_epsilon", 1e-5, float),
        "rope_base": _meta(gguf, f"{arch}.rope.freq_base", 10000.0, float),
        "n_rot": _meta(gguf, f"{arch}.rope.dimension_count", head_dim),
        "rope_style": ROPE_STYLES[arch], "freq_scale": 1.0,
        "pooling": _meta(gguf, f"{arch}.pooling_type", POOLING_LAST),
    }
    if _meta(gguf, f"{arch}.attention.value_length", head_dim) != head_dim:
        raise GgufError(f"{gguf.path}: value_length != key_length is not supported")
    if hp["n_head"] % hp["n_head_kv"] or hp["n_rot"] > head_dim or hp["n_rot"] % 2:
        raise GgufError(f"{gguf.path}: inconsistent head counts / rope dimension: {hp}")
    scaling = gguf.metadata.get(f"{arch}.rope.scaling.type", "none")
    if scaling == "linear":
        hp["freq_scale"] = 1.0 / _meta(gguf, f"{arch}.rope.scaling.factor", kind=float)
    elif scaling != "none":
        raise GgufError(f"{gguf.path}: rope scaling {scaling!r} is not supported (none, linear)")
    return hp


def _bert_hparams(gguf):
    return {
        "n_embd": _meta(gguf, "bert.embedding_length"), "n_layer": _meta(gguf, "bert.block_count"),
        "n_head": _meta(gguf, "bert.attention.head_count"),
        "eps": _meta(gguf, "bert.attention.layer_norm_epsilon", 1e-12, float),
        "pooling": _meta(gguf, "bert.pooling_type", POOLING_MEAN),
        "causal": _meta(gguf, "bert.attention.causal", False, bool),
    }


# ---- building blocks -------------------------------------------------------------------------------------

def linear(x, weight, bias=None):
    """x [n, in] times a ggml weight [out, in] (row j holds output j's coefficients), plus bias."""
    y = x @ np.asarray(weight, dtype=np.float64).T
    return y if bias is None else y + bias


def rms_norm(x, weight, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * weight


def layer_norm(x, weight, bias, eps):
    centered = x - x.mean(axis=-1, keepdims=True)
    return centered / np.sqrt(np.mean(centered * centered, axis=-1, keepdims=True) + eps) * weight + bias


def silu(x):
    return x / (1.0 + np.exp(-x))


def gelu(x, flavour=GELU_TANH):
    """GELU; "tanh" is the approximation ggml_gelu computes (llama.cpp's BERT graph), "erf" the exact one
    (Hugging Face's BERT "gelu")."""
    if flavour == GELU_ERF:
        return 0.5 * x * (1.0 + np.vectorize(math.erf)(x / math.sqrt(2.0)))
    if flavour != GELU_TANH:
        raise ValueError(f"unknown GELU flavour {flavour!r} (tanh, erf)")
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def rope_angles(positions, n_rot, base, freq_factors=None, freq_scale=1.0):
    """Angles [n_pos, n_rot/2]: position * freq_scale * base^(-2i/n_rot) / freq_factors[i]."""
    inv_freq = base ** (-np.arange(0, n_rot, 2, dtype=np.float64) / n_rot)
    if freq_factors is not None:
        inv_freq = inv_freq / np.asarray(freq_factors, dtype=np.float64)
    return np.outer(np.asarray(positions, dtype=np.float64), inv_freq * freq_scale)


def apply_rope(x, angles, style):
    """Rotates the first n_rot = 2 * angles.shape[1] dims of x [n_pos, heads, head_dim]."""
    n_pairs = angles.shape[1]
    cos, sin = np.cos(angles)[:, None, :], np.sin(angles)[:, None, :]
    out = np.array(x, dtype=np.float64)
    if style == ROPE_NORMAL:
        a, b = x[..., 0:2 * n_pairs:2], x[..., 1:2 * n_pairs:2]
        out[..., 0:2 * n_pairs:2] = a * cos - b * sin
        out[..., 1:2 * n_pairs:2] = a * sin + b * cos
    elif style == ROPE_NEOX:
        a, b = x[..., :n_pairs], x[..., n_pairs:2 * n_pairs]
        out[..., :n_pairs] = a * cos - b * sin
        out[..., n_pairs:2 * n_pairs] = a * sin + b * cos
    else:
        raise ValueError(f"unknown rope style {style!r}")
    return out


def attention(q, k, v, causal):
    """Softmax attention, q [n, H, d], k/v [n, H_kv, d]; query head h reads kv head h // (H / H_kv)."""
    n, n_head, head_dim = q.shape
    group = n_head // k.shape[1]
    out = np.zeros_like(q)
    mask = np.triu(np.full((n, n), -np.inf), k=1) if causal else np.zeros((n, n))
    for h in range(n_head):
        scores = q[:, h, :] @ k[:, h // group, :].T / math.sqrt(head_dim) + mask
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        out[:, h, :] = (scores / scores.sum(axis=1, keepdims=True)) @ v[:, h // group, :]
    return out


# ---- decoders (llama, qwen2) ----------------------------------------------------------------------------

def _check_tokens(model, tokens):
    n_vocab = model.gguf.tensors["token_embd.weight"].shape[1]
    if len(tokens) == 0:
        raise ValueError("empty token sequence")
    for i, t in enumerate(tokens):
        if not 0 <= t < n_vocab:
            raise ValueError(f"token {t} at position {i} is outside the vocabulary [0, {n_vocab})")


def _decoder_layer(model, i, x, angles):
    hp, p = model.hp, f"blk.{i}."
    n = x.shape[0]
    h = rms_norm(x, model.w(p + "attn_norm.weight"), hp["eps"])
    q = linear(h, model.w(p + "attn_q.weight"), model.w_opt(p + "attn_q.bias"))
    k = linear(h, model.w(p + "attn_k.weight"), model.w_opt(p + "attn_k.bias"))
    v = linear(h, model.w(p + "attn_v.weight"), model.w_opt(p + "attn_v.bias"))
    q = apply_rope(q.reshape(n, hp["n_head"], hp["head_dim"]), angles, hp["rope_style"])
    k = apply_rope(k.reshape(n, hp["n_head_kv"], hp["head_dim"]), angles, hp["rope_style"])
    v = v.reshape(n, hp["n_head_kv"], hp["head_dim"])
    a = attention(q, k, v, causal=True).reshape(n, hp["n_head"] * hp["head_dim"])
    x = x + linear(a, model.w(p + "attn_output.weight"), model.w_opt(p + "attn_output.bias"))
    h = rms_norm(x, model.w(p + "ffn_norm.weight"), hp["eps"])
    gate = silu(linear(h, model.w(p + "ffn_gate.weight")))
    return x + linear(gate * linear(h, model.w(p + "ffn_up.weight")), model.w(p + "ffn_down.weight"))


def _decoder_hidden(model, tokens):
    hp = model.hp
    x = model.w("token_embd.weight")[np.asarray(tokens)].astype(np.float64)
    angles = rope_angles(np.arange(len(tokens)), hp["n_rot"], hp["rope_base"],
                         model.w_opt("rope_freqs.weight"), hp["freq_scale"])
    for i in range(hp["n_layer"]):
        x = _decoder_layer(model, i, x, angles)
    return rms_norm(x, model.w("output_norm.weight"), hp["eps"])


def output_weight(model):
    """output.weight, or token_embd.weight when the file has no output head (tied embeddings)."""
    return model.w("output.weight") if model.has("output.weight") else model.w("token_embd.weight")


def forward(model, tokens):
    """Logits [n_tokens, n_vocab] (float64) for every position of `tokens`."""
    if model.arch == "bert":
        raise ValueError("bert models have no language-model head; use embed()")
    _check_tokens(model, tokens)
    return linear(_decoder_hidden(model, tokens), output_weight(model))


def greedy(model, tokens, n_new, stop_token=None):
    """Appends argmax (lowest id on ties) n_new times, recomputing the whole sequence each step; stops after
    emitting stop_token when given. Returns the new ids only."""
    sequence, new = list(tokens), []
    for _ in range(n_new):
        next_id = int(np.argmax(forward(model, sequence)[-1]))
        sequence.append(next_id)
        new.append(next_id)
        if next_id == stop_token:
            break
    return new


# ---- bert -----------------------------------------------------------------------------------------------

def _bert_layer(model, i, x, gelu_flavour):
    hp, p = model.hp, f"blk.{i}."
    n, n_head = x.shape[0], hp["n_head"]
    head_dim = hp["n_embd"] // n_head
    q = linear(x, model.w(p + "attn_q.weight"), model.w(p + "attn_q.bias")).reshape(n, n_head, head_dim)
    k = linear(x, model.w(p + "attn_k.weight"), model.w(p + "attn_k.bias")).reshape(n, n_head, head_dim)
    v = linear(x, model.w(p + "attn_v.weight"), model.w(p + "attn_v.bias")).reshape(n, n_head, head_dim)
    a = attention(q, k, v, causal=hp["causal"]).reshape(n, hp["n_embd"])
    x = x + linear(a, model.w(p + "attn_output.weight"), model.w(p + "attn_output.bias"))
    x = layer_norm(x, model.w(p + "attn_output_norm.weight"), model.w(p + "attn_output_norm.bias"), hp["eps"])
    h = gelu(linear(x, model.w(p + "ffn_up.weight"), model.w(p + "ffn_up.bias")), gelu_flavour)
    x = x + linear(h, model.w(p + "ffn_down.weight"), model.w(p + "ffn_down.bias"))
    return layer_norm(x, model.w(p + "layer_output_norm.weight"), model.w(p + "layer_output_norm.bias"),
                      hp["eps"])


def _bert_hidden(model, tokens, gelu_flavour):
    n = len(tokens)
    positions = model.w("position_embd.weight")
    if n > positions.shape[0]:
        raise ValueError(f"{n} tokens exceed the {positions.shape[0]} positions of position_embd.weight")
    x = model.w("token_embd.weight")[np.asarray(tokens)].astype(np.float64) + positions[:n]
    if model.has("token_types.weight"):
        x = x + model.w("token_types.weight")[0]  # every token has type 0
    x = layer_norm(x, model.w("token_embd_norm.weight"), model.w("token_embd_norm.bias"), model.hp["eps"])
    for i in range(model.hp["n_layer"]):
        x = _bert_layer(model, i, x, gelu_flavour)
    return x


def hidden_states(model, tokens, gelu_flavour=GELU_TANH):
    """Final hidden states [n_tokens, n_embd]: after output_norm (decoders) or the last layer (bert)."""
    _check_tokens(model, tokens)
    if model.arch == "bert":
        return _bert_hidden(model, tokens, gelu_flavour)
    return _decoder_hidden(model, tokens)


def pool(hidden, pooling):
    """Mean / CLS (first token) / last-token pooling, then L2 normalization; NONE normalizes each row."""
    if pooling == POOLING_NONE:
        return hidden / np.linalg.norm(hidden, axis=1, keepdims=True)
    pooled = {POOLING_MEAN: lambda: hidden.mean(axis=0), POOLING_CLS: lambda: hidden[0],
              POOLING_LAST: lambda: hidden[-1]}.get(pooling)
    if pooled is None:
        raise ValueError(f"unsupported pooling type {pooling} (0 none, 1 mean, 2 cls, 3 last)")
    vector = pooled()
    return vector / np.linalg.norm(vector)


def embed(model, tokens, pooling=None, gelu_flavour=GELU_TANH):
    """Pooled (model's pooling_type unless overridden) and L2-normalized embedding of `tokens`."""
    hidden = hidden_states(model, tokens, gelu_flavour)
    return pool(hidden, model.hp["pooling"] if pooling is None else pooling)
