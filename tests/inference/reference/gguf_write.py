"""A small GGUF v3 writer and simple quantizers, used by the reference self-tests to build tiny models.

GgufWriter collects typed metadata and tensors and writes header, metadata, tensor infos and aligned data.
Tensors are given as numpy arrays in reference orientation ([ne1, ne0], ggml shape reversed) and encoded to
the requested type: F32/F16/BF16 by rounding, Q8_0/Q4_0/Q4_K/Q6_K by straightforward (not error-optimal)
quantizers, or as already-encoded raw blocks with add_raw_tensor. Not thread-safe; test-only.
"""
import struct

import numpy as np

import gguf_read as gr

_SCALAR_FORMATS = {
    gr.UINT8: "<B", gr.INT8: "<b", gr.UINT16: "<H", gr.INT16: "<h", gr.UINT32: "<I", gr.INT32: "<i",
    gr.FLOAT32: "<f", gr.BOOL: "<?", gr.UINT64: "<Q", gr.INT64: "<q", gr.FLOAT64: "<d",
}


def _string(text):
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def encode_value(value_type, value, element_type=None):
    """Bytes of one metadata value; arrays need element_type (a type id, or ('array', inner) for nesting)."""
    if value_type in _SCALAR_FORMATS:
        return struct.pack(_SCALAR_FORMATS[value_type], value)
    if value_type == gr.STRING:
        return _string(value)
    if value_type == gr.ARRAY:
        inner_type, inner_element = element_type, None
        if isinstance(element_type, tuple):
            inner_type, inner_element = gr.ARRAY, element_type[1]
        out = struct.pack("<IQ", inner_type, len(value))
        return out + b"".join(encode_value(inner_type, v, inner_element) for v in value)
    raise ValueError(f"unknown value type {value_type}")


def _fp16(values):
    return np.asarray(values, dtype=np.float32).astype("<f2")


def quantize_q8_0(values):
    blocks = np.asarray(values, dtype=np.float32).reshape(-1, gr.QK)
    amax = np.abs(blocks).max(axis=1)
    d = amax / 127.0
    inv = np.where(d > 0, 1.0 / np.where(d > 0, d, 1), 0)
    q = np.clip(np.rint(blocks * inv[:, None]), -127, 127).astype(np.int8)
    out = np.zeros((blocks.shape[0], 34), dtype=np.uint8)
    out[:, 0:2] = _fp16(d).reshape(-1, 1).view(np.uint8)
    out[:, 2:] = q.view(np.uint8)
    return out.tobytes()


def quantize_q4_0(values):
    blocks = np.asarray(values, dtype=np.float32).reshape(-1, gr.QK)
    extreme = blocks[np.arange(len(blocks)), np.abs(blocks).argmax(axis=1)]  # signed value of largest magnitude
    d = extreme / -8.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0)
    q = np.clip(np.floor(blocks * inv[:, None] + 8.5), 0, 15).astype(np.uint8)
    out = np.zeros((blocks.shape[0], 18), dtype=np.uint8)
    out[:, 0:2] = _fp16(d).reshape(-1, 1).view(np.uint8)
    out[:, 2:] = q[:, :16] | (q[:, 16:] << 4)
    return out.tobytes()


def pack_q4_k_scales(scales, mins):
    """The 12 scale bytes of one Q4_K block from 8 six-bit scales and 8 six-bit mins."""
    sc, mn = np.asarray(scales, dtype=np.uint8), np.asarray(mins, dtype=np.uint8)
    packed = np.zeros(12, dtype=np.uint8)
    packed[0:4] = (sc[0:4] & 63) | ((sc[4:8] >> 4) << 6)
    packed[4:8] = (mn[0:4] & 63) | ((mn[4:8] >> 4) << 6)
    packed[8:12] = (sc[4:8] & 0x0F) | ((mn[4:8] & 0x0F) << 4)
    return packed


def encode_q4_k_block(d, dmin, scales, mins, nibbles):
    """One Q4_K block from its fields; nibbles[i] (0..15) is the quant of element i (256 of them)."""
    q = np.asarray(nibbles, dtype=np.uint8).reshape(4, 2, 32)  # chunk c: sub-blocks 2c (low), 2c+1 (high)
    qs = (q[:, 0, :] | (q[:, 1, :] << 4)).reshape(-1)
    head = _fp16([d, dmin]).view(np.uint8)
    return np.concatenate([head, pack_q4_k_scales(scales, mins), qs]).astype(np.uint8).tobytes()


def quantize_q4_k(values):
    out = []
    for block in np.asarray(values, dtype=np.float32).reshape(-1, gr.QK_K):
        sub = block.reshape(8, 32).astype(np.float64)
        lo = np.minimum(sub.min(axis=1), 0.0)
        step = (sub.max(axis=1) - lo) / 15.0
        d = max(step.max() / 63.0, 1e-30)
        dmin = max((-lo).max() / 63.0, 1e-30)
        d, dmin = (float(v) for v in _fp16([d, dmin]).astype(np.float64))
        d, dmin = (v if v > 0 else 1e-7 for v in (d, dmin))
        scales = np.clip(np.rint(step / d), 0, 63)
        mins = np.clip(np.rint(-lo / dmin), 0, 63)
        eff_d, eff_m = d * scales, dmin * mins
        safe = np.where(eff_d > 0, eff_d, 1)
        q = np.where(eff_d[:, None] > 0, np.rint((sub + eff_m[:, None]) / safe[:, None]), 0)
        out.append(encode_q4_k_block(d, dmin, scales, mins, np.clip(q, 0, 15).reshape(-1)))
    return b"".join(out)


def encode_q6_k_block(d, scales, quants):
    """One Q6_K block; quants[i] (0..63, i.e. value + 32) of element i, scales: 16 int8."""
    q = np.asarray(quants, dtype=np.uint8).reshape(2, 4, 32)  # [half, quarter, l]
    ql = np.concatenate([(q[:, 0] & 0x0F) | ((q[:, 2] & 0x0F) << 4),
                         (q[:, 1] & 0x0F) | ((q[:, 3] & 0x0F) << 4)], axis=1)  # [half, 64]
    qh = (q[:, 0] >> 4) | ((q[:, 1] >> 4) << 2) | ((q[:, 2] >> 4) << 4) | ((q[:, 3] >> 4) << 6)
    sc = np.asarray(scales, dtype=np.int8).view(np.uint8)
    return np.concatenate([ql.reshape(-1), qh.reshape(-1), sc, _fp16([d]).view(np.uint8)]).tobytes()


def quantize_q6_k(values):
    out = []
    for block in np.asarray(values, dtype=np.float32).reshape(-1, gr.QK_K):
        sub = block.reshape(16, 16).astype(np.float64)
        step = np.abs(sub).max(axis=1) / 31.0
        d = float(_fp16([max(step.max() / 127.0, 1e-30)]).astype(np.float64)[0]) or 1e-7
        scales = np.clip(np.rint(step / d), 0, 127)
        eff = d * scales
        q = np.where(eff[:, None] > 0, np.rint(sub / np.where(eff > 0, eff, 1)[:, None]), 0)
        out.append(encode_q6_k_block(d, scales.astype(np.int8), (np.clip(q, -32, 31) + 32).reshape(-1)))
    return b"".join(out)


def encode_tensor(values, ggml_type):
    """Bytes of `values` (any shape, row-major) encoded as ggml_type."""
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    if ggml_type == gr.F32:
        return flat.astype("<f4").tobytes()
    if ggml_type == gr.F16:
        return flat.astype("<f2").tobytes()
    if ggml_type == gr.BF16:
        bits = flat.view(np.uint32).astype(np.uint64)
        rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
        return rounded.astype("<u2").tobytes()
    encoders = {gr.Q8_0: quantize_q8_0, gr.Q4_0: quantize_q4_0, gr.Q4_K: quantize_q4_k, gr.Q6_K: quantize_q6_k}
    return encoders[ggml_type](flat)


class GgufWriter:
    def __init__(self, alignment=None):
        self.metadata = []  # (key, type, value, element_type)
        self.tensors = []  # (name, ggml shape, type, bytes)
        self.alignment = alignment or gr.DEFAULT_ALIGNMENT
        if alignment is not None:
            self.add("general.alignment", gr.UINT32, alignment)

    def add(self, key, value_type, value, element_type=None):
        self.metadata.append((key, value_type, value, element_type))

    def add_string(self, key, value):
        self.add(key, gr.STRING, value)

    def add_u32(self, key, value):
        self.add(key, gr.UINT32, value)

    def add_f32(self, key, value):
        self.add(key, gr.FLOAT32, value)

    def add_tensor(self, name, values, ggml_type=gr.F32):
        values = np.asarray(values, dtype=np.float32)
        self.add_raw_tensor(name, list(reversed(values.shape)), ggml_type, encode_tensor(values, ggml_type))

    def add_raw_tensor(self, name, ggml_shape, ggml_type, data):
        self.tensors.append((name, list(ggml_shape), ggml_type, bytes(data)))

    def to_bytes(self):
        out = bytearray(b"GGUF" + struct.pack("<IQQ", 3, len(self.tensors), len(self.metadata)))
        for key, value_type, value, element_type in self.metadata:
            out += _string(key) + struct.pack("<I", value_type) + encode_value(value_type, value, element_type)
        offset, blobs = 0, []
        for name, shape, ggml_type, data in self.tensors:
            out += _string(name) + struct.pack("<I", len(shape)) + struct.pack(f"<{len(shape)}Q", *shape)
            out += struct.pack("<IQ", ggml_type, offset)
            padded = data + b"\0" * (-len(data) % self.alignment)
            blobs.append(padded)
            offset += len(padded)
        out += b"\0" * (-len(out) % self.alignment)
        return bytes(out) + b"".join(blobs)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())
