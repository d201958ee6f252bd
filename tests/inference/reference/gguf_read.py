"""Independent GGUF v3 reader for the numpy reference forward pass (see README.md in this folder).

read_gguf(path) parses the header, every metadata value (all 13 value types, nested arrays included) and the
tensor infos, memory-maps the file and dequantizes tensors on request. Supported tensor types: F32, F16, BF16,
Q8_0, Q4_0, Q4_K, Q6_K, decoded to float32 with the same float32 arithmetic ggml's reference dequantizers use.
A tensor comes back as a numpy array whose shape is ggml's shape reversed: a 2-D tensor with ggml shape
[ne0, ne1] (ne0 = the contiguous row length) is an array [ne1, ne0], so row r is ggml row r.
Any structural problem raises GgufError with the byte offset and the field.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
DEFAULT_ALIGNMENT = 32
MAX_DIMS = 4

# Metadata value type ids.
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR_FORMATS = {
    UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i", FLOAT32: "<f",
    BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d",
}
_NUMPY_ARRAY_TYPES = {
    UINT8: "<u1", INT8: "<i1", UINT16: "<u2", INT16: "<i2", UINT32: "<u4", INT32: "<i4", FLOAT32: "<f4",
    UINT64: "<u8", INT64: "<i8", FLOAT64: "<f8",
}

# ggml tensor type ids and (elements per block, bytes per block).
F32, F16, Q4_0, Q8_0, Q4_K, Q6_K, BF16 = 0, 1, 2, 8, 12, 14, 30
QK = 32
QK_K = 256
TYPE_BLOCKS = {
    F32: (1, 4), F16: (1, 2), BF16: (1, 2), Q4_0: (QK, 18), Q8_0: (QK, 34), Q4_K: (QK_K, 144),
    Q6_K: (QK_K, 210),
}
TYPE_NAMES = {F32: "f32", F16: "f16", BF16: "bf16", Q4_0: "q4_0", Q8_0: "q8_0", Q4_K: "q4_K", Q6_K: "q6_K"}


class GgufError(ValueError):
    """A malformed or unsupported GGUF file."""


class TensorInfo:
    """One tensor's header entry; `shape` is in ggml order (shape[0] = row length)."""

    def __init__(self, name, shape, ggml_type, offset):
        self.name = name
        self.shape = shape
        self.type = ggml_type
        self.offset = offset  # absolute byte offset in the file

    @property
    def n_elements(self):
        return int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1

    @property
    def n_bytes(self):
        block_elements, block_bytes = TYPE_BLOCKS[self.type]
        return self.n_elements // block_elements * block_bytes


class _Cursor:
    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n, what):
        if n < 0 or self.pos + n > len(self.data):
            raise GgufError(f"truncated file: {what} needs {n} bytes at offset {self.pos}, "
                            f"file has {len(self.data)}")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def scalar(self, fmt, what):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what):
        length = self.scalar("<Q", what + " length")
        raw = self.take(length, what)
        try:
            return bytes(raw).decode("utf-8")
        except UnicodeDecodeError as e:
            raise GgufError(f"{what} at offset {self.pos - length} is not UTF-8: {e}") from None

    def value(self, value_type, what, depth=0):
        if value_type in _SCALAR_FORMATS:
            return self.scalar(_SCALAR_FORMATS[value_type], what)
        if value_type == STRING:
            return self.string(what)
        if value_type != ARRAY:
            raise GgufError(f"{what}: unknown value type {value_type} at offset {self.pos - 4}")
        if depth > 8:
            raise GgufError(f"{what}: arrays nested deeper than 8 levels at offset {self.pos}")
        element_type = self.scalar("<I", what + " element type")
        count = self.scalar("<Q", what + " element count")
        if element_type in _NUMPY_ARRAY_TYPES:  # fast path for numeric arrays
            dtype = np.dtype(_NUMPY_ARRAY_TYPES[element_type])
            raw = self.take(count * dtype.itemsize, what)
            return np.frombuffer(raw, dtype=dtype).tolist()
        if element_type == BOOL:
            return [b != 0 for b in self.take(count, what)]
        if count > len(self.data):
            raise GgufError(f"{what}: array of {count} elements cannot fit in the file")
        return [self.value(element_type, f"{what}[{i}]", depth + 1) for i in range(count)]


class GgufFile:
    """A parsed GGUF file: `version`, `metadata` (key -> python value, in file order), `metadata_types`
    (key -> value type id), `alignment`, `tensors` (name -> TensorInfo, in file order)."""

    def __init__(self, path):
        self.path = path
        self.data = np.memmap(path, dtype=np.uint8, mode="r")
        cursor = _Cursor(self.data)
        magic = bytes(cursor.take(4, "magic"))
        if magic != GGUF_MAGIC:
            raise GgufError(f"{path}: bad magic {magic!r} at offset 0, expected b'GGUF'")
        self.version = cursor.scalar("<I", "version")
        if self.version != 3:
            raise GgufError(f"{path}: unsupported GGUF version {self.version} at offset 4 (only 3)")
        n_tensors = cursor.scalar("<Q", "tensor count")
        n_kv = cursor.scalar("<Q", "metadata count")
        if n_tensors > len(self.data) or n_kv > len(self.data):
            raise GgufError(f"{path}: absurd counts (tensors {n_tensors}, metadata {n_kv})")
        self.metadata, self.metadata_types = {}, {}
        for i in range(n_kv):
            key = cursor.string(f"metadata[{i}] key")
            value_type = cursor.scalar("<I", f"metadata {key!r} type")
            if key in self.metadata:
                raise GgufError(f"{path}: duplicate metadata key {key!r}")
            self.metadata[key] = cursor.value(value_type, f"metadata {key!r}")
            self.metadata_types[key] = value_type
        self.alignment = self._alignment()
        infos = [self._tensor_info(cursor, i) for i in range(n_tensors)]
        data_start = -(-cursor.pos // self.alignment) * self.alignment
        self.tensors = {}
        for name, shape, ggml_type, rel in infos:
            if name in self.tensors:
                raise GgufError(f"{path}: duplicate tensor name {name!r}")
            if rel % self.alignment:
                raise GgufError(f"{path}: tensor {name!r} offset {rel} is not a multiple of {self.alignment}")
            info = TensorInfo(name, shape, ggml_type, data_start + rel)
            if info.offset + info.n_bytes > len(self.data):
                raise GgufError(f"{path}: tensor {name!r} data [{info.offset}, {info.offset + info.n_bytes}) "
                                f"runs past the end of the file ({len(self.data)} bytes)")
            self.tensors[name] = info

    def _alignment(self):
        if "general.alignment" not in self.metadata:
            return DEFAULT_ALIGNMENT
        alignment = self.metadata["general.alignment"]
        if self.metadata_types["general.alignment"] != UINT32 or alignment <= 0 or alignment & (alignment - 1):
            raise GgufError(f"{self.path}: general.alignment must be a uint32 power of two, got {alignment!r}")
        return alignment

    def _tensor_info(self, cursor, index):
        name = cursor.string(f"tensor[{index}] name")
        n_dims = cursor.scalar("<I", f"tensor {name!r} n_dims")
        if not 1 <= n_dims <= MAX_DIMS:
            raise GgufError(f"{self.path}: tensor {name!r} has {n_dims} dimensions (1..{MAX_DIMS} allowed)")
        shape = [cursor.scalar("<Q", f"tensor {name!r} dim") for _ in range(n_dims)]
        ggml_type = cursor.scalar("<I", f"tensor {name!r} type")
        if ggml_type not in TYPE_BLOCKS:
            raise GgufError(f"{self.path}: tensor {name!r} has unsupported ggml type {ggml_type}")
        if shape[0] % TYPE_BLOCKS[ggml_type][0]:
            raise GgufError(f"{self.path}: tensor {name!r} row length {shape[0]} is not a multiple of "
                            f"the {TYPE_NAMES[ggml_type]} block size {TYPE_BLOCKS[ggml_type][0]}")
        rel = cursor.scalar("<Q", f"tensor {name!r} offset")
        return name, shape, ggml_type, rel

    def has_tensor(self, name):
        return name in self.tensors

    def raw(self, name):
        """The tensor's bytes (a read-only uint8 view into the mapping)."""
        info = self._info(name)
        return self.data[info.offset:info.offset + info.n_bytes]

    def tensor(self, name):
        """The tensor dequantized to float32, shaped as ggml's shape reversed."""
        info = self._info(name)
        values = dequantize(self.raw(name), info.type, info.n_elements)
        return values.reshape(list(reversed(info.shape)))

    def _info(self, name):
        if name not in self.tensors:
            raise GgufError(f"{self.path}: no tensor named {name!r}")
        return self.tensors[name]


def read_gguf(path):
    return GgufFile(path)


def dequantize(raw, ggml_type, n_elements):
    """Decodes `raw` (uint8 array) of `ggml_type` into a flat float32 array of n_elements values."""
    raw = np.asarray(raw, dtype=np.uint8)
    if ggml_type == F32:
        return raw.view("<f4").astype(np.float32)
    if ggml_type == F16:
        return raw.view("<f2").astype(np.float32)
    if ggml_type == BF16:
        return (raw.view("<u2").astype(np.uint32) << 16).view(np.float32)
    decoder = {Q8_0: _q8_0, Q4_0: _q4_0, Q4_K: _q4_k, Q6_K: _q6_k}.get(ggml_type)
    if decoder is None:
        raise GgufError(f"unsupported ggml type {ggml_type}")
    block_elements, block_bytes = TYPE_BLOCKS[ggml_type]
    blocks = raw.reshape(n_elements // block_elements, block_bytes)
    return decoder(blocks).reshape(-1)


def _half(blocks, start):
    """The little-endian f16 at byte `start` of every block, as a float32 column."""
    return blocks[:, start:start + 2].copy().view("<f2").astype(np.float32)


def _q8_0(blocks):
    d = _half(blocks, 0)
    q = blocks[:, 2:34].view(np.int8).astype(np.float32)
    return q * d


def _q4_0(blocks):
    d = _half(blocks, 0)
    qs = blocks[:, 2:18]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)  # elements 0..15, then 16..31
    return (q - np.float32(8)) * d


def _q4_k_scales(packed):
    """6-bit scales and mins of the 8 sub-blocks from the 12 packed bytes: [n, 8] each."""
    low, mid, high = packed[:, 0:4], packed[:, 4:8], packed[:, 8:12]
    scales = np.concatenate([low & 63, (high & 0x0F) | ((low >> 6) << 4)], axis=1)
    mins = np.concatenate([mid & 63, (high >> 4) | ((mid >> 6) << 4)], axis=1)
    return scales.astype(np.float32), mins.astype(np.float32)


def _q4_k(blocks):
    d, dmin = _half(blocks, 0), _half(blocks, 2)
    scales, mins = _q4_k_scales(blocks[:, 4:16])
    qs = blocks[:, 16:144].reshape(-1, 4, 32)  # 4 chunks of 32 bytes, each covering 64 elements
    q = np.stack([qs & 0x0F, qs >> 4], axis=2).reshape(-1, 8, 32).astype(np.float32)  # sub-block 2c, 2c+1
    d_sub = (d * scales)[:, :, None]
    m_sub = (dmin * mins)[:, :, None]
    return d_sub * q - m_sub


def _q6_k(blocks):
    ql = blocks[:, 0:128].reshape(-1, 2, 2, 32)  # [half, first/second 32 bytes, l]
    qh = blocks[:, 128:192].reshape(-1, 2, 1, 32)
    scales = blocks[:, 192:208].view(np.int8).astype(np.float32).reshape(-1, 2, 8)
    d = _half(blocks, 208)
    low = np.concatenate([ql & 0x0F, ql >> 4], axis=2)  # quarter 0..3 of each half: ql0 lo, ql32 lo, ql0 hi, ql32 hi
    shifts = np.array([0, 2, 4, 6], dtype=np.uint8).reshape(1, 1, 4, 1)
    high = (qh >> shifts) & 3
    q = (low | (high << 4)).astype(np.float32) - np.float32(32)  # [n, half, quarter, l]
    scale_index = (np.arange(4)[:, None] * 2 + np.arange(32)[None, :] // 16)  # [quarter, l]
    sc = scales[:, :, scale_index]  # [n, half, quarter, l]
    return (d[:, :, None, None] * sc) * q
