"""Deliberately naive pure-Python (lists and loops, one token and one head at a time) implementations of the
llama/qwen2 and bert forward passes, written from the model descriptions independently of model_ref's
vectorized numpy code. The self-tests require both to agree."""
import math


def _vec(weights, name):
    return [float(v) for v in weights[name]]


def _matvec(weights, name, x, bias_name=None):
    rows = weights[name].tolist()
    out = [sum(r[c] * x[c] for c in range(len(x))) for r in rows]
    if bias_name is not None and bias_name in weights:
        out = [o + b for o, b in zip(out, _vec(weights, bias_name))]
    return out


def _rms_norm(x, weight, eps):
    scale = 1.0 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    return [v * scale * w for v, w in zip(x, weight)]


def _layer_norm(x, weight, bias, eps):
    mean = sum(x) / len(x)
    var = sum((v - mean) ** 2 for v in x) / len(x)
    return [(v - mean) / math.sqrt(var + eps) * w + b for v, w, b in zip(x, weight, bias)]


def _rotate(head, pos, n_rot, base, neox, factors):
    out = list(head)
    for i in range(n_rot // 2):
        theta = pos * base ** (-2.0 * i / n_rot) / (factors[i] if factors else 1.0)
        a_index, b_index = (i, i + n_rot // 2) if neox else (2 * i, 2 * i + 1)
        a, b = head[a_index], head[b_index]
        out[a_index] = a * math.cos(theta) - b * math.sin(theta)
        out[b_index] = a * math.sin(theta) + b * math.cos(theta)
    return out


def _attend(q_heads, k_heads, v_heads, t, visible, n_head, n_head_kv):
    """Output of token t: for each query head, softmax over visible tokens s of q.k_s / sqrt(d)."""
    out = []
    for h in range(n_head):
        kv = h * n_head_kv // n_head
        q = q_heads[t][h]
        scores = [sum(a * b for a, b in zip(q, k_heads[s][kv])) / math.sqrt(len(q)) for s in visible]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        head_out = [0.0] * len(q)
        for w, s in zip(weights, visible):
            for d in range(len(q)):
                head_out[d] += w / total * v_heads[s][kv][d]
        out.extend(head_out)
    return out


def _split(vector, n_heads):
    d = len(vector) // n_heads
    return [vector[h * d:(h + 1) * d] for h in range(n_heads)]


def decoder_logits(weights, tokens, n_head, n_head_kv, eps, base=10000.0, neox=False, n_rot=None):
    """Logits per position of a llama (neox=False) or qwen2 (neox=True) decoder."""
    n_layer = len({k.split(".")[1] for k in weights if k.startswith("blk.")})
    factors = _vec(weights, "rope_freqs.weight") if "rope_freqs.weight" in weights else None
    xs = [list(map(float, weights["token_embd.weight"][t])) for t in tokens]
    for i in range(n_layer):
        p = f"blk.{i}."
        q_heads, k_heads, v_heads = [], [], []
        for pos, x in enumerate(xs):
            h = _rms_norm(x, _vec(weights, p + "attn_norm.weight"), eps)
            q = _split(_matvec(weights, p + "attn_q.weight", h, p + "attn_q.bias"), n_head)
            k = _split(_matvec(weights, p + "attn_k.weight", h, p + "attn_k.bias"), n_head_kv)
            rot = n_rot or len(q[0])
            q_heads.append([_rotate(head, pos, rot, base, neox, factors) for head in q])
            k_heads.append([_rotate(head, pos, rot, base, neox, factors) for head in k])
            v_heads.append(_split(_matvec(weights, p + "attn_v.weight", h, p + "attn_v.bias"), n_head_kv))
        new_xs = []
        for t, x in enumerate(xs):
            a = _attend(q_heads, k_heads, v_heads, t, range(t + 1), n_head, n_head_kv)
            x = [u + v for u, v in zip(x, _matvec(weights, p + "attn_output.weight", a))]
            h = _rms_norm(x, _vec(weights, p + "ffn_norm.weight"), eps)
            gate = _matvec(weights, p + "ffn_gate.weight", h)
            up = _matvec(weights, p + "ffn_up.weight", h)
            act = [g / (1.0 + math.exp(-g)) * u for g, u in zip(gate, up)]
            new_xs.append([u + v for u, v in zip(x, _matvec(weights, p + "ffn_down.weight", act))])
        xs = new_xs
    head = "output.weight" if "output.weight" in weights else "token_embd.weight"
    return [_matvec(weights, head, _rms_norm(x, _vec(weights, "output_norm.weight"), eps)) for x in xs]


def bert_hidden(weights, tokens, n_head, eps, exact_gelu=False):
    """Final hidden states of a bert encoder (token type 0 for every token)."""
    n_layer = len({k.split(".")[1] for k in weights if k.startswith("blk.")})
    n_embd = weights["token_embd.weight"].shape[1]
    types = weights["token_types.weight"][0].tolist() if "token_types.weight" in weights else [0.0] * n_embd
    xs = []
    for pos, t in enumerate(tokens):
        x = [a + b + c for a, b, c in zip(weights["token_embd.weight"][t].tolist(),
                                          weights["position_embd.weight"][pos].tolist(), types)]
        xs.append(_layer_norm(x, _vec(weights, "token_embd_norm.weight"), _vec(weights, "token_embd_norm.bias"),
                              eps))
    for i in range(n_layer):
        p = f"blk.{i}."
        q = [_split(_matvec(weights, p + "attn_q.weight", x, p + "attn_q.bias"), n_head) for x in xs]
        k = [_split(_matvec(weights, p + "attn_k.weight", x, p + "attn_k.bias"), n_head) for x in xs]
        v = [_split(_matvec(weights, p + "attn_v.weight", x, p + "attn_v.bias"), n_head) for x in xs]
        new_xs = []
        for t, x in enumerate(xs):
            a = _attend(q, k, v, t, range(len(xs)), n_head, n_head)
            x = [u + w for u, w in zip(x, _matvec(weights, p + "attn_output.weight", a, p + "attn_output.bias"))]
            x = _layer_norm(x, _vec(weights, p + "attn_output_norm.weight"),
                            _vec(weights, p + "attn_output_norm.bias"), eps)
            up = _matvec(weights, p + "ffn_up.weight", x, p + "ffn_up.bias")
            if exact_gelu:
                act = [0.5 * u * (1.0 + math.erf(u / math.sqrt(2.0))) for u in up]
            else:
                act = [0.5 * u * (1.0 + math.tanh(math.sqrt(2.0 / math.pi) * (u + 0.044715 * u ** 3))) for u in up]
            x = [u + w for u, w in zip(x, _matvec(weights, p + "ffn_down.weight", act, p + "ffn_down.bias"))]
            new_xs.append(_layer_norm(x, _vec(weights, p + "layer_output_norm.weight"),
                                      _vec(weights, p + "layer_output_norm.bias"), eps))
        xs = new_xs
    return xs
