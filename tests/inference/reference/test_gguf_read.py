"""Self-checks of the GGUF reader: metadata of every type, alignment, damaged files, and dequantization of
hand-built blocks of each supported type against values worked out from the ggml block layouts."""
import os
import struct
import tempfile
import unittest

import numpy as np

import gguf_read as gr
import gguf_write as gw


def f16_bytes(value):
    return np.array([value], dtype="<f2").tobytes()


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.dir = self._dir.name

    def tearDown(self):
        self._dir.cleanup()

    def write(self, writer_or_bytes, name="m.gguf"):
        path = os.path.join(self.dir, name)
        data = writer_or_bytes if isinstance(writer_or_bytes, bytes) else writer_or_bytes.to_bytes()
        with open(path, "wb") as f:
            f.write(data)
        return path


class MetadataTest(TempDirTest):
    def test_every_value_type_reads_back(self):
        w = gw.GgufWriter()
        w.add("u8", gr.UINT8, 250)
        w.add("i8", gr.INT8, -5)
        w.add("u16", gr.UINT16, 65000)
        w.add("i16", gr.INT16, -30000)
        w.add("u32", gr.UINT32, 4000000000)
        w.add("i32", gr.INT32, -2000000000)
        w.add("f32", gr.FLOAT32, 0.5)
        w.add("bool", gr.BOOL, True)
        w.add("str", gr.STRING, "héllo")
        w.add("u64", gr.UINT64, 2 ** 63 + 5)
        w.add("i64", gr.INT64, -(2 ** 62))
        w.add("f64", gr.FLOAT64, 0.1)
        w.add("strings", gr.ARRAY, ["a", "", "ü"], gr.STRING)
        w.add("ints", gr.ARRAY, [1, -2, 3], gr.INT32)
        w.add("bools", gr.ARRAY, [True, False], gr.BOOL)
        w.add("nested", gr.ARRAY, [[1, 2], [], [3]], ("array", gr.UINT8))
        w.add("empty", gr.ARRAY, [], gr.FLOAT32)
        f = gr.read_gguf(self.write(w))
        expected = {"u8": 250, "i8": -5, "u16": 65000, "i16": -30000, "u32": 4000000000, "i32": -2000000000,
                    "f32": 0.5, "bool": True, "str": "héllo", "u64": 2 ** 63 + 5, "i64": -(2 ** 62), "f64": 0.1,
                    "strings": ["a", "", "ü"], "ints": [1, -2, 3], "bools": [True, False],
                    "nested": [[1, 2], [], [3]], "empty": []}
        self.assertEqual(f.metadata, expected)
        self.assertEqual(list(f.metadata), list(expected))  # file order
        self.assertEqual(f.metadata_types["nested"], gr.ARRAY)
        self.assertEqual(f.version, 3)
        self.assertEqual(f.alignment, 32)

    def test_custom_alignment_places_tensor_data(self):
        w = gw.GgufWriter(alignment=64)
        w.add_tensor("a", np.arange(3, dtype=np.float32))  # 12 bytes, so "b" starts at relative offset 64
        w.add_tensor("b", np.arange(6, dtype=np.float32).reshape(2, 3))
        f = gr.read_gguf(self.write(w))
        self.assertEqual(f.alignment, 64)
        self.assertEqual(f.tensors["b"].offset % 64, 0)
        self.assertEqual(f.tensors["b"].offset - f.tensors["a"].offset, 64)
        self.assertEqual(f.tensors["b"].shape, [3, 2])
        np.testing.assert_array_equal(f.tensor("b"), [[0, 1, 2], [3, 4, 5]])

    def test_damaged_files_raise_clear_errors(self):
        w = gw.GgufWriter()
        w.add_string("general.architecture", "llama")
        w.add_tensor("t", np.ones((2, 32), dtype=np.float32))
        good = w.to_bytes()
        cases = {
            "bad magic": (b"GGUX" + good[4:], "bad magic"),
            "version 2": (good[:4] + struct.pack("<I", 2) + good[8:], "version 2"),
            "truncated header": (good[:30], "truncated"),
            "truncated data": (good[:-8], "past the end"),
        }
        for label, (data, message) in cases.items():
            with self.subTest(label), self.assertRaisesRegex(gr.GgufError, message):
                gr.read_gguf(self.write(data, label.replace(" ", "_")))

    def test_bad_alignment_and_unknown_types_are_rejected(self):
        w = gw.GgufWriter()
        w.add("general.alignment", gr.UINT32, 24)
        with self.assertRaisesRegex(gr.GgufError, "power of two"):
            gr.read_gguf(self.write(w, "a.gguf"))
        w = gw.GgufWriter()
        w.add_raw_tensor("q5", [32], 6, b"\0" * 22)  # Q5_0 is not supported
        with self.assertRaisesRegex(gr.GgufError, "unsupported ggml type 6"):
            gr.read_gguf(self.write(w, "b.gguf"))
        w = gw.GgufWriter()
        w.add_raw_tensor("q8", [16], gr.Q8_0, b"\0" * 34)
        with self.assertRaisesRegex(gr.GgufError, "not a multiple"):
            gr.read_gguf(self.write(w, "c.gguf"))

    def test_tensor_orientation_is_ggml_shape_reversed(self):
        w = gw.GgufWriter()
        w.add_raw_tensor("m", [4, 2], gr.F32, np.arange(8, dtype="<f4").tobytes())
        f = gr.read_gguf(self.write(w))
        np.testing.assert_array_equal(f.tensor("m"), [[0, 1, 2, 3], [4, 5, 6, 7]])


class DequantizeTest(unittest.TestCase):
    def decode(self, ggml_type, data, n):
        return gr.dequantize(np.frombuffer(data, dtype=np.uint8), ggml_type, n)

    def test_float_types(self):
        self.assertEqual(self.decode(gr.F16, f16_bytes(-2.5) + f16_bytes(65504), 2).tolist(), [-2.5, 65504])
        bf16 = struct.pack("<HH", 0x3FC0, 0xC040)  # 1.5, -3.0
        self.assertEqual(self.decode(gr.BF16, bf16, 2).tolist(), [1.5, -3.0])

    def test_q8_0_block(self):
        qs = np.arange(-16, 16, dtype=np.int8)
        values = self.decode(gr.Q8_0, f16_bytes(0.25) + qs.tobytes(), 32)
        np.testing.assert_array_equal(values, np.arange(-16, 16) * 0.25)

    def test_q4_0_block_low_nibbles_first(self):
        qs = bytes((i % 16) | ((15 - i % 16) << 4) for i in range(16))
        values = self.decode(gr.Q4_0, f16_bytes(0.5) + qs, 32)
        expected = [(i - 8) * 0.5 for i in range(16)] + [(15 - i - 8) * 0.5 for i in range(16)]
        self.assertEqual(values.tolist(), expected)

    def test_q4_k_hand_built_block(self):
        scales = bytearray(12)
        scales[0] = 0b01000011  # sub-block 0 scale 3; top bits 01 are scale 4's bits 4..5
        scales[4] = 0b10000001  # sub-block 0 min 1; top bits 10 are min 4's bits 4..5
        scales[8] = 0x25  # scale 4 low bits 5, min 4 low bits 2  -> scale 4 = 21, min 4 = 34
        qs = bytearray(128)
        qs[0] = 0x9 | (0x4 << 4)  # element 0 (sub-block 0) = 9, element 32 (sub-block 1) = 4
        qs[64] = 0x7 | (0xF << 4)  # element 128 (sub-block 4) = 7, element 160 (sub-block 5) = 15
        block = f16_bytes(0.25) + f16_bytes(0.125) + bytes(scales) + bytes(qs)
        values = self.decode(gr.Q4_K, block, 256)
        self.assertEqual(values[0], 0.25 * 3 * 9 - 0.125 * 1)
        self.assertEqual(values[32], 0.0)  # sub-block 1 has scale 0 and min 0
        self.assertEqual(values[128], 0.25 * 21 * 7 - 0.125 * 34)
        self.assertEqual(values[1], -0.125)  # quant 0 in sub-block 0: only the min remains
        self.assertEqual(values[160], 0.0)

    def test_q4_k_fields_round_trip_through_packing(self):
        rng = np.random.default_rng(1)
        sc, mn = rng.integers(0, 64, 8), rng.integers(0, 64, 8)
        nibbles = rng.integers(0, 16, 256)
        block = gw.encode_q4_k_block(0.5, 0.25, sc, mn, nibbles)
        values = self.decode(gr.Q4_K, block, 256)
        expected = [0.5 * sc[i // 32] * nibbles[i] - 0.25 * mn[i // 32] for i in range(256)]
        np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)

    def test_q6_k_hand_built_block(self):
        ql, qh = bytearray(128), bytearray(64)
        scales = bytearray(16)
        ql[72] = 0xA0  # element 200 = half 1, quarter 2, l 8: high nibble of ql[64 + 8] -> 10
        qh[40] = 0b00110000  # bits 4..5 of qh[32 + 8] -> 3, so q = 10 + 48 = 58
        scales[12] = 0xFD  # int8 -3 for sub-block 12 (elements 192..207)
        ql[0] = 0x05  # element 0: low nibble of ql[0], high bits 0 -> 5
        scales[0] = 2
        values = self.decode(gr.Q6_K, bytes(ql) + bytes(qh) + bytes(scales) + f16_bytes(0.5), 256)
        self.assertEqual(values[200], 0.5 * -3 * (58 - 32))
        self.assertEqual(values[0], 0.5 * 2 * (5 - 32))
        self.assertEqual(values[1], 0.5 * 2 * -32)
        self.assertEqual(values[16], 0.0)  # sub-block 1 has scale 0

    def test_q6_k_fields_round_trip_through_packing(self):
        rng = np.random.default_rng(2)
        sc = rng.integers(-128, 128, 16).astype(np.int8)
        quants = rng.integers(0, 64, 256)
        values = self.decode(gr.Q6_K, gw.encode_q6_k_block(0.125, sc, quants), 256)
        expected = [0.125 * float(sc[i // 16]) * (quants[i] - 32) for i in range(256)]
        np.testing.assert_allclose(values, expected, rtol=1e-6, atol=1e-6)

    def test_quantizers_stay_within_their_step(self):
        rng = np.random.default_rng(3)
        x = rng.standard_normal(512).astype(np.float32)
        bounds = {gr.Q8_0: 0.02, gr.Q4_0: 0.25, gr.Q4_K: 0.25, gr.Q6_K: 0.06, gr.F16: 2e-3, gr.BF16: 2e-2}
        for ggml_type, bound in bounds.items():
            with self.subTest(gr.TYPE_NAMES[ggml_type]):
                y = self.decode(ggml_type, gw.encode_tensor(x, ggml_type), 512)
                self.assertLess(np.abs(y - x).max(), bound)
                self.assertGreater(np.abs(y - x).max(), 0)


if __name__ == "__main__":
    unittest.main()
