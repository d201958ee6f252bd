"""Self-checks of the reference forward passes: RoPE and attention properties, agreement with the naive
per-head implementations in explicit_models.py, GQA, tied output, quantized weights, greedy decoding, BERT
pooling, and the reference_model.py command line."""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

import numpy as np

import explicit_models
import gguf_read as gr
import gguf_write as gw
import model_ref as mr
import tiny_models as tm

HERE = os.path.dirname(os.path.abspath(__file__))


def nmse(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.mean((a - b) ** 2) / np.mean(b ** 2))


class ModelTest(unittest.TestCase):
    def setUp(self):
        self._dir = tempfile.TemporaryDirectory()
        self.addCleanup(self._dir.cleanup)
        self.count = 0

    def path(self):
        self.count += 1
        return os.path.join(self._dir.name, f"m{self.count}.gguf")

    def decoder(self, weights, **kwargs):
        path = self.path()
        tm.write_decoder(path, weights, **kwargs)
        return mr.load_model(path)


class RopeTest(unittest.TestCase):
    def setUp(self):
        self.x = np.random.default_rng(5).standard_normal((1, 3, 8))

    def test_position_zero_is_identity(self):
        for style in (mr.ROPE_NORMAL, mr.ROPE_NEOX):
            out = mr.apply_rope(self.x, mr.rope_angles([0], 8, 10000.0), style)
            np.testing.assert_array_equal(out, self.x)

    def test_rotation_preserves_norm_and_leaves_unrotated_dims(self):
        out = mr.apply_rope(self.x, mr.rope_angles([7], 4, 10000.0), mr.ROPE_NORMAL)  # n_rot 4 of 8
        np.testing.assert_allclose(np.linalg.norm(out, axis=-1), np.linalg.norm(self.x, axis=-1), rtol=1e-12)
        np.testing.assert_array_equal(out[..., 4:], self.x[..., 4:])
        self.assertGreater(np.abs(out[..., :4] - self.x[..., :4]).max(), 0.1)

    def test_dot_products_depend_only_on_relative_position(self):
        q, k = self.x[:, 0:1, :], self.x[:, 1:2, :]
        for style in (mr.ROPE_NORMAL, mr.ROPE_NEOX):
            def score(m, n):
                qm = mr.apply_rope(q, mr.rope_angles([m], 8, 100.0), style)
                kn = mr.apply_rope(k, mr.rope_angles([n], 8, 100.0), style)
                return float(np.sum(qm * kn))
            self.assertAlmostEqual(score(5, 2), score(13, 10), places=12)
            self.assertAlmostEqual(score(3, 3), float(np.sum(q * k)), places=12)
            self.assertNotAlmostEqual(score(5, 2), score(5, 3), places=3)

    def test_neox_is_normal_style_on_interleaved_dims(self):
        perm = np.array([0, 4, 1, 5, 2, 6, 3, 7])  # normal-style pair i = (2i, 2i+1) <- neox pair (i, i + 4)
        angles = mr.rope_angles([3, 9], 8, 10000.0)
        x = np.random.default_rng(6).standard_normal((2, 2, 8))
        neox = mr.apply_rope(x, angles, mr.ROPE_NEOX)
        normal = mr.apply_rope(x[..., perm], angles, mr.ROPE_NORMAL)
        np.testing.assert_allclose(normal, neox[..., perm], rtol=1e-13)

    def test_freq_factors_divide_each_frequency(self):
        factors = [1.0, 2.0, 8.0, 1.0]
        angles = mr.rope_angles([5], 8, 10000.0, factors)
        expected = [5 * 10000.0 ** (-2 * i / 8) / factors[i] for i in range(4)]
        np.testing.assert_allclose(angles[0], expected, rtol=1e-15)
        np.testing.assert_allclose(mr.rope_angles([5], 8, 500.0, freq_scale=0.25)[0],
                                   [0.25 * 5 * 500.0 ** (-i / 4) for i in range(4)], rtol=1e-15)


class AttentionTest(unittest.TestCase):
    def test_single_token_returns_its_value_per_kv_group(self):
        rng = np.random.default_rng(7)
        q, k, v = rng.standard_normal((1, 4, 3)), rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 2, 3))
        out = mr.attention(q, k, v, causal=True)
        np.testing.assert_allclose(out[0], v[0][[0, 0, 1, 1]], rtol=1e-15)

    def test_causal_mask_and_uniform_scores(self):
        v = np.arange(12, dtype=np.float64).reshape(3, 1, 4)
        zeros = np.zeros((3, 1, 4))
        causal = mr.attention(zeros, zeros, v, causal=True)
        np.testing.assert_allclose(causal[:, 0], [v[0, 0], v[:2, 0].mean(0), v[:, 0].mean(0)], rtol=1e-14)
        np.testing.assert_allclose(mr.attention(zeros, zeros, v, causal=False)[0, 0], v[:, 0].mean(0))

    def test_gelu_flavours(self):
        self.assertAlmostEqual(float(mr.gelu(np.array([1.0]), mr.GELU_ERF)[0]), 0.8413447460685429, places=14)
        self.assertAlmostEqual(float(mr.gelu(np.array([1.0]), mr.GELU_TANH)[0]), 0.8411919906082768, places=14)
        self.assertEqual(float(mr.gelu(np.array([0.0]))[0]), 0.0)


class DecoderTest(ModelTest):
    def check_against_explicit(self, weights, tokens, arch="llama", n_head=2, n_head_kv=2, **kwargs):
        model = self.decoder(weights, arch=arch, n_head=n_head, n_head_kv=n_head_kv, **kwargs)
        got = mr.forward(model, tokens)
        want = explicit_models.decoder_logits(weights, tokens, n_head, n_head_kv, 1e-5,
                                              base=kwargs.get("rope_base", 10000.0), neox=arch == "qwen2",
                                              n_rot=kwargs.get("n_rot"))
        self.assertEqual(got.shape, (len(tokens), weights["token_embd.weight"].shape[0]))
        self.assertLess(nmse(got, want), 1e-20)
        return got

    def test_llama_matches_the_per_head_loop(self):
        self.check_against_explicit(tm.decoder_weights(seed=1), [3, 1, 4, 1, 5])

    def test_llama_gqa_and_rope_freqs_match_the_per_head_loop(self):
        weights = tm.decoder_weights(seed=2, n_embd=16, n_head=4, n_head_kv=2, rope_freqs=[1.0, 4.0])
        self.check_against_explicit(weights, [0, 7, 2, 9], n_head=4, n_head_kv=2)

    def test_qwen2_biases_and_neox_rope_match_the_per_head_loop(self):
        weights = tm.decoder_weights(seed=3, biases=True, tied=True)
        self.check_against_explicit(weights, [2, 11, 6], arch="qwen2", rope_base=1e6)

    def test_partial_rope_matches_the_per_head_loop(self):
        self.check_against_explicit(tm.decoder_weights(seed=4, n_embd=16), [1, 2, 3], n_rot=4)

    def test_rope_style_follows_the_architecture(self):
        weights = tm.decoder_weights(seed=5)
        tokens = [4, 3, 2]
        llama = mr.forward(self.decoder(weights, arch="llama"), tokens)
        qwen = mr.forward(self.decoder(weights, arch="qwen2"), tokens)
        np.testing.assert_array_equal(llama[0], qwen[0])  # position 0 is not rotated
        self.assertGreater(np.abs(llama[2] - qwen[2]).max(), 1e-3)

    def test_gqa_equals_replicated_kv_heads(self):
        weights = tm.decoder_weights(seed=6, n_embd=16, n_head=4, n_head_kv=2, n_layer=1)
        full = dict(weights)
        for name in ("blk.0.attn_k.weight", "blk.0.attn_v.weight"):
            heads = weights[name].reshape(2, 4, 16)
            full[name] = np.repeat(heads, 2, axis=0).reshape(16, 16)  # query heads 0,1 -> kv 0; 2,3 -> kv 1
        tokens = [1, 5, 9, 2]
        gqa = mr.forward(self.decoder(weights, n_head=4, n_head_kv=2), tokens)
        mha = mr.forward(self.decoder(full, n_head=4, n_head_kv=4), tokens)
        np.testing.assert_allclose(gqa, mha, rtol=1e-12, atol=1e-12)

    def test_missing_output_ties_to_token_embeddings(self):
        weights = tm.decoder_weights(seed=7, tied=True)
        explicit = dict(weights, **{"output.weight": weights["token_embd.weight"]})
        tokens = [1, 2]
        np.testing.assert_array_equal(mr.forward(self.decoder(weights), tokens),
                                      mr.forward(self.decoder(explicit), tokens))

    def test_zero_layer_model_by_hand(self):
        weights = {"token_embd.weight": np.array([[3.0, 4.0], [0.0, 1.0]], dtype=np.float32),
                   "output_norm.weight": np.array([1.0, 2.0], dtype=np.float32),
                   "output.weight": np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], dtype=np.float32)}
        logits = mr.forward(self.decoder(weights, n_head=1, n_head_kv=1, eps=0.0), [0])
        rms = math.sqrt((9 + 16) / 2)
        np.testing.assert_allclose(logits[0], [3 / rms, 8 / rms, 11 / rms], rtol=1e-15)

    def test_logits_are_causal(self):
        model = self.decoder(tm.decoder_weights(seed=8))
        short, long = mr.forward(model, [3, 1, 4]), mr.forward(model, [3, 1, 4, 1, 5, 9])
        np.testing.assert_allclose(long[:3], short, rtol=1e-12, atol=1e-12)

    def test_quantized_weights_equal_their_dequantized_f32_copy(self):
        for ggml_type, n_embd in ((gr.Q8_0, 32), (gr.Q4_0, 32), (gr.Q4_K, 256), (gr.Q6_K, 256), (gr.F16, 8)):
            with self.subTest(gr.TYPE_NAMES[ggml_type]):
                weights = tm.decoder_weights(seed=9, n_embd=n_embd, n_ff=n_embd, n_layer=1, n_vocab=6)
                quantized = self.decoder(weights, ggml_type=ggml_type)
                decoded = {n: quantized.gguf.tensor(n) for n in weights}
                self.assertEqual(quantized.gguf.tensors["blk.0.ffn_up.weight"].type, ggml_type)
                tokens = [1, 0, 5]
                got = mr.forward(quantized, tokens)
                np.testing.assert_array_equal(got, mr.forward(self.decoder(decoded), tokens))
                error = nmse(got, mr.forward(self.decoder(weights), tokens))
                self.assertGreater(error, 0)
                self.assertLess(error, 0.05)

    def test_greedy_appends_the_argmax_of_the_last_position(self):
        model = self.decoder(tm.decoder_weights(seed=10))
        prompt = [1, 2]
        generated = mr.greedy(model, prompt, 6)
        sequence = list(prompt)
        for _ in range(6):
            logits = explicit_models.decoder_logits(model_weights(model), sequence, 2, 2, 1e-5)[-1]
            sequence.append(max(range(len(logits)), key=lambda i: (logits[i], -i)))
        self.assertEqual(generated, sequence[2:])
        self.assertEqual(mr.greedy(model, prompt, 6, stop_token=generated[1]), generated[:2])

    def test_bad_tokens_and_unsupported_settings_raise(self):
        model = self.decoder(tm.decoder_weights(seed=11))
        with self.assertRaisesRegex(ValueError, "token 12 at position 1"):
            mr.forward(model, [0, 12])
        with self.assertRaisesRegex(gr.GgufError, "rope scaling 'yarn'"):
            self.decoder(tm.decoder_weights(seed=11),
                         extra_metadata=[("llama.rope.scaling.type", gr.STRING, "yarn")])


def model_weights(model):
    return {name: model.gguf.tensor(name) for name in model.gguf.tensors}


class BertTest(ModelTest):
    def bert(self, weights, **kwargs):
        path = self.path()
        tm.write_bert(path, weights, **kwargs)
        return mr.load_model(path)

    def test_hidden_states_match_the_per_head_loop(self):
        weights = tm.bert_weights(seed=1)
        model = self.bert(weights, eps=1e-12)
        tokens = [2, 7, 1, 9]
        for flavour, exact in ((mr.GELU_TANH, False), (mr.GELU_ERF, True)):
            with self.subTest(flavour):
                got = mr.hidden_states(model, tokens, flavour)
                want = explicit_models.bert_hidden(weights, tokens, 2, 1e-12, exact_gelu=exact)
                self.assertLess(nmse(got, want), 1e-20)
        tanh, erf = mr.hidden_states(model, tokens, mr.GELU_TANH), mr.hidden_states(model, tokens, mr.GELU_ERF)
        self.assertGreater(np.abs(tanh - erf).max(), 1e-7)

    def test_pooling_and_normalization(self):
        model = self.bert(tm.bert_weights(seed=2), pooling=mr.POOLING_MEAN)
        tokens = [1, 4, 4, 8]
        hidden = mr.hidden_states(model, tokens)
        mean = mr.embed(model, tokens)
        np.testing.assert_allclose(mean, hidden.mean(0) / np.linalg.norm(hidden.mean(0)), rtol=1e-14)
        self.assertAlmostEqual(float(np.linalg.norm(mean)), 1.0, places=14)
        cls = mr.embed(model, tokens, pooling=mr.POOLING_CLS)
        np.testing.assert_allclose(cls, hidden[0] / np.linalg.norm(hidden[0]), rtol=1e-14)
        per_token = mr.embed(model, tokens, pooling=mr.POOLING_NONE)
        np.testing.assert_allclose(np.linalg.norm(per_token, axis=1), 1.0, rtol=1e-14)
        cls_model = self.bert(tm.bert_weights(seed=2), pooling=mr.POOLING_CLS)
        np.testing.assert_array_equal(mr.embed(cls_model, tokens), cls)

    def test_attention_is_bidirectional(self):
        model = self.bert(tm.bert_weights(seed=3))
        a, b = mr.hidden_states(model, [1, 2, 3]), mr.hidden_states(model, [1, 2, 4])
        self.assertGreater(np.abs(a[0] - b[0]).max(), 1e-4)

    def test_too_many_positions_raise(self):
        model = self.bert(tm.bert_weights(seed=4, n_pos=3))
        with self.assertRaisesRegex(ValueError, "4 tokens exceed the 3 positions"):
            mr.embed(model, [1, 2, 3, 4])


class CommandLineTest(ModelTest):
    def cli(self, *args, expect_rc=0):
        result = subprocess.run([sys.executable, os.path.join(HERE, "reference_model.py"), *args],
                                capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, expect_rc, result.stderr)
        return json.loads(result.stdout)

    def test_logits_greedy_and_files(self):
        path = self.path()
        tm.write_decoder(path, tm.decoder_weights(seed=12))
        model = mr.load_model(path)
        tokens = [5, 3, 8]
        logits = mr.forward(model, tokens)
        out = self.cli(path, "--tokens", "5,3,8", "--greedy", "4", "--json")
        self.assertEqual(out["architecture"], "llama")
        self.assertEqual((out["n_tokens"], out["n_vocab"], out["n_embd"]), (3, 12, 8))
        self.assertEqual(out["logits_last"], logits[-1].tolist())  # exact float64 round trip
        self.assertEqual(out["greedy"], mr.greedy(model, tokens, 4))
        self.assertEqual(self.cli(path, "--tokens", "5,3,8", "--all-logits")["logits"], logits.tolist())
        raw = os.path.join(self._dir.name, "logits.f64")
        out = self.cli(path, "--tokens", "5,3,8", "--logits-out", raw)
        self.assertEqual((out["logits_shape"], out["logits_dtype"], out["logits_file"]), ([3, 12], "float64", raw))
        self.assertNotIn("logits_last", out)
        np.testing.assert_array_equal(np.fromfile(raw, dtype="<f8").reshape(3, 12), logits)
        npy = os.path.join(self._dir.name, "logits.npy")
        self.cli(path, "--tokens", "5,3,8", "--logits-out", npy)
        np.testing.assert_array_equal(np.load(npy), logits)

    def test_bert_embedding_and_errors(self):
        path = self.path()
        tm.write_bert(path, tm.bert_weights(seed=13), pooling=mr.POOLING_CLS)
        model = mr.load_model(path)
        out = self.cli(path, "--tokens", "1,2", "--gelu", "erf")
        self.assertEqual(out["embedding"], mr.embed(model, [1, 2], gelu_flavour=mr.GELU_ERF).tolist())
        out = self.cli(path, "--tokens", "1,2", "--embed", "--pooling", "none")
        self.assertEqual(out["token_embeddings"], mr.embed(model, [1, 2], mr.POOLING_NONE).tolist())
        err = self.cli(path, "--tokens", "1,99", expect_rc=1)
        self.assertIn("token 99 at position 1", err["error"])
        self.assertIn("no logits", self.cli(path, "--tokens", "1", "--greedy", "2", expect_rc=1)["error"])
        self.assertIn("bad magic", self.cli(__file__, "--tokens", "1", expect_rc=1)["error"])


if __name__ == "__main__":
    unittest.main()
