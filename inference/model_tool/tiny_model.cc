#include "inference/model_tool/tiny_model.h"

#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/model_tool/vocab_import.h"

namespace catena::inference::model_tool {
namespace {

// llama.cpp's general.file_type for a model whose matrices are all of one type.
uint32_t FileType(GgmlType type) {
  switch (type) {
    case GgmlType::kF32: return 0;
    case GgmlType::kF16: return 1;
    case GgmlType::kQ4_0: return 2;
    case GgmlType::kQ8_0: return 7;
    case GgmlType::kQ4_K: return 14;  // Q4_K_S
    case GgmlType::kQ6_K: return 18;
    case GgmlType::kBF16: return 32;
  }
  return 0;
}

absl::Status Check(bool ok, std::string_view message) {
  return ok ? absl::OkStatus() : absl::InvalidArgumentError(std::string(message));
}

absl::Status Validate(const TinyModelOptions& o, int kv_heads) {
  CATENA_RETURN_IF_ERROR(Check(o.arch == "llama" || o.arch == "qwen2" || o.arch == "bert",
                               absl::StrCat("--arch must be llama, qwen2 or bert, not '", o.arch, "'")));
  CATENA_RETURN_IF_ERROR(Check(!o.vocab_path.empty(), "--vocab is required"));
  CATENA_RETURN_IF_ERROR(Check(o.layers >= 1 && o.layers <= 256, "--layers must be between 1 and 256"));
  CATENA_RETURN_IF_ERROR(Check(o.dim >= 2 && o.dim <= 16384, "--dim must be between 2 and 16384"));
  CATENA_RETURN_IF_ERROR(Check(o.ff >= 1 && o.ff <= 65536, "--ff must be between 1 and 65536"));
  CATENA_RETURN_IF_ERROR(Check(o.context >= 1 && o.context <= (1 << 20), "--context must be between 1 and 1048576"));
  CATENA_RETURN_IF_ERROR(Check(o.heads >= 1 && o.dim % o.heads == 0,
                               absl::StrCat("--heads ", o.heads, " must divide --dim ", o.dim)));
  CATENA_RETURN_IF_ERROR(Check(kv_heads >= 1 && o.heads % kv_heads == 0,
                               absl::StrCat("--kv-heads ", kv_heads, " must divide --heads ", o.heads)));
  CATENA_RETURN_IF_ERROR(Check(o.arch != "bert" || kv_heads == o.heads, "bert has no grouped attention: --kv-heads must equal --heads"));
  CATENA_RETURN_IF_ERROR(Check(o.arch == "bert" || (o.dim / o.heads) % 2 == 0,
                               absl::StrCat("head dimension ", o.dim / o.heads, " must be even for rope")));
  CATENA_RETURN_IF_ERROR(Check(o.pooling == "mean" || o.pooling == "cls", "--pooling must be mean or cls"));
  CATENA_RETURN_IF_ERROR(Check(o.arch != "bert" || !o.llama3_rope_scaling, "--llama3-rope-scaling needs llama or qwen2"));
  CATENA_RETURN_IF_ERROR(Check(o.arch != "bert" || !o.rope_theta, "--rope-theta needs llama or qwen2"));
  CATENA_RETURN_IF_ERROR(Check(!o.rope_theta || (std::isfinite(*o.rope_theta) && *o.rope_theta > 1),
                               "--rope-theta must be a finite number above 1"));
  return absl::OkStatus();
}

// Adds tensors in a fixed order, drawing every value from one generator, so the values do not depend on --type.
class TensorMaker {
 public:
  TensorMaker(GgufWriter& writer, GgmlType matrix_type, uint64_t seed)
      : writer_(writer), matrix_type_(matrix_type), source_(seed) {}

  // A [cols, rows] matrix with N(0, 1/cols) entries (cols = input dimension), stored as --type.
  absl::Status Matrix(const std::string& name, int64_t cols, int64_t rows) {
    return Add(name, {cols, rows}, matrix_type_, [&] { return source_.Next() / std::sqrt(static_cast<double>(cols)); });
  }
  absl::Status Norm(const std::string& name, int64_t n) {
    return Add(name, {n}, GgmlType::kF32, [&] { return 1.0 + 0.1 * source_.Next(); });
  }
  absl::Status Bias(const std::string& name, int64_t n) {
    return Add(name, {n}, GgmlType::kF32, [&] { return 0.02 * source_.Next(); });
  }
  absl::Status Values(const std::string& name, const std::vector<float>& values) {
    size_t i = 0;
    return Add(name, {static_cast<int64_t>(values.size())}, GgmlType::kF32, [&] { return values[i++]; });
  }

 private:
  template <typename Draw>
  absl::Status Add(const std::string& name, std::vector<int64_t> shape, GgmlType type, Draw draw) {
    int64_t count = 1;
    for (int64_t d : shape) count *= d;
    std::vector<float> values(static_cast<size_t>(count));
    for (float& v : values) v = static_cast<float>(draw());
    absl::StatusOr<int64_t> row_bytes = RowBytes(type, shape[0]);
    if (!row_bytes.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("tensor ", name, ": row length ", shape[0], " is not a multiple of the ",
                                                     std::string(TraitsOf(type).name), " block size ",
                                                     TraitsOf(type).block_elements, "; choose another --type or size"));
    }
    const int64_t rows = count / shape[0];
    std::vector<std::byte> data(static_cast<size_t>(*row_bytes * rows));
    for (int64_t r = 0; r < rows; ++r) {
      CATENA_RETURN_IF_ERROR(QuantizeRow(type, std::span<const float>(values).subspan(r * shape[0], shape[0]),
                                         std::span<std::byte>(data).subspan(r * *row_bytes, *row_bytes)));
    }
    return writer_.AddTensor(name, type, std::move(shape), std::move(data));
  }

  GgufWriter& writer_;
  GgmlType matrix_type_;
  GaussianSource source_;
};

void AddHyperParameters(const TinyModelOptions& o, int kv_heads, uint32_t vocab_size, GgufWriter& w) {
  const std::string& a = o.arch;
  w.SetString("general.architecture", a);
  w.SetString("general.name", o.name.empty() ? "catena-tiny-" + a : o.name);
  w.SetUint32("general.alignment", 32);
  w.SetUint32("general.file_type", FileType(o.type));
  w.SetUint32(a + ".context_length", o.context);
  w.SetUint32(a + ".embedding_length", o.dim);
  w.SetUint32(a + ".block_count", o.layers);
  w.SetUint32(a + ".feed_forward_length", o.ff);
  w.SetUint32(a + ".attention.head_count", o.heads);
  w.SetUint32(a + ".attention.head_count_kv", kv_heads);
  w.SetUint32(a + ".vocab_size", vocab_size);
  if (a == "bert") {
    w.SetFloat32(a + ".attention.layer_norm_epsilon", 1e-12f);
    w.SetBool(a + ".attention.causal", false);
    w.SetUint32(a + ".pooling_type", o.pooling == "cls" ? 2 : 1);
    return;
  }
  w.SetFloat32(a + ".rope.freq_base", o.rope_theta.value_or(a == "qwen2" ? 1e6f : 10000.0f));
  w.SetUint32(a + ".rope.dimension_count", o.dim / o.heads);
  w.SetFloat32(a + ".attention.layer_norm_rms_epsilon", a == "qwen2" ? 1e-6f : 1e-5f);
}

absl::Status AddDecoderTensors(const TinyModelOptions& o, int kv_heads, int64_t vocab, TensorMaker& t) {
  const int64_t head_dim = o.dim / o.heads, kv_dim = head_dim * kv_heads;
  CATENA_RETURN_IF_ERROR(t.Matrix("token_embd.weight", o.dim, vocab));
  if (o.llama3_rope_scaling) {
    CATENA_RETURN_IF_ERROR(t.Values("rope_freqs.weight", Llama3RopeFactors(static_cast<int>(head_dim),
                                                                           o.rope_theta.value_or(o.arch == "qwen2" ? 1e6f : 1e4f))));
  }
  for (int i = 0; i < o.layers; ++i) {
    const std::string b = absl::StrCat("blk.", i, ".");
    CATENA_RETURN_IF_ERROR(t.Norm(b + "attn_norm.weight", o.dim));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "attn_q.weight", o.dim, o.dim));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "attn_k.weight", o.dim, kv_dim));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "attn_v.weight", o.dim, kv_dim));
    if (o.arch == "qwen2") {
      CATENA_RETURN_IF_ERROR(t.Bias(b + "attn_q.bias", o.dim));
      CATENA_RETURN_IF_ERROR(t.Bias(b + "attn_k.bias", kv_dim));
      CATENA_RETURN_IF_ERROR(t.Bias(b + "attn_v.bias", kv_dim));
    }
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "attn_output.weight", o.dim, o.dim));
    CATENA_RETURN_IF_ERROR(t.Norm(b + "ffn_norm.weight", o.dim));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "ffn_gate.weight", o.dim, o.ff));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "ffn_up.weight", o.dim, o.ff));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "ffn_down.weight", o.ff, o.dim));
  }
  CATENA_RETURN_IF_ERROR(t.Norm("output_norm.weight", o.dim));
  if (!o.tied_output) CATENA_RETURN_IF_ERROR(t.Matrix("output.weight", o.dim, vocab));
  return absl::OkStatus();
}

absl::Status AddBertTensors(const TinyModelOptions& o, int64_t vocab, TensorMaker& t) {
  CATENA_RETURN_IF_ERROR(t.Matrix("token_embd.weight", o.dim, vocab));
  CATENA_RETURN_IF_ERROR(t.Matrix("token_types.weight", o.dim, 2));
  CATENA_RETURN_IF_ERROR(t.Matrix("position_embd.weight", o.dim, o.context));
  CATENA_RETURN_IF_ERROR(t.Norm("token_embd_norm.weight", o.dim));
  CATENA_RETURN_IF_ERROR(t.Bias("token_embd_norm.bias", o.dim));
  for (int i = 0; i < o.layers; ++i) {
    const std::string b = absl::StrCat("blk.", i, ".");
    for (const char* part : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      CATENA_RETURN_IF_ERROR(t.Matrix(b + part + ".weight", o.dim, o.dim));
      CATENA_RETURN_IF_ERROR(t.Bias(b + part + ".bias", o.dim));
    }
    CATENA_RETURN_IF_ERROR(t.Norm(b + "attn_output_norm.weight", o.dim));
    CATENA_RETURN_IF_ERROR(t.Bias(b + "attn_output_norm.bias", o.dim));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "ffn_up.weight", o.dim, o.ff));
    CATENA_RETURN_IF_ERROR(t.Bias(b + "ffn_up.bias", o.ff));
    CATENA_RETURN_IF_ERROR(t.Matrix(b + "ffn_down.weight", o.ff, o.dim));
    CATENA_RETURN_IF_ERROR(t.Bias(b + "ffn_down.bias", o.dim));
    CATENA_RETURN_IF_ERROR(t.Norm(b + "layer_output_norm.weight", o.dim));
    CATENA_RETURN_IF_ERROR(t.Bias(b + "layer_output_norm.bias", o.dim));
  }
  return absl::OkStatus();
}

// An upper bound on the parameter count, checked before any weight is drawn.
absl::Status CheckSize(const TinyModelOptions& o, int64_t vocab) {
  const int64_t max_parameters = int64_t{o.max_million_parameters} * 1000000;
  const int64_t d = o.dim, f = o.ff;
  const int64_t total = 2 * vocab * d + o.layers * (4 * d * d + 3 * d * f + 8 * d) + (int64_t{o.context} + 4) * d;
  if (total <= max_parameters) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("a model of this size would have about ", total,
                                                 " parameters; make-tiny is limited to ", max_parameters,
                                                 " (raise it with --max-mparams)"));
}

}  // namespace

double GaussianSource::Uniform() {
  return static_cast<double>((engine_() >> 11) + 1) * 0x1p-53;  // 53 random bits, never 0
}

double GaussianSource::Next() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  const double radius = std::sqrt(-2.0 * std::log(Uniform()));
  const double angle = 2.0 * std::numbers::pi * Uniform();
  spare_ = radius * std::sin(angle);
  has_spare_ = true;
  return radius * std::cos(angle);
}

std::vector<float> Llama3RopeFactors(int head_dim, float theta) {
  constexpr double kFactor = 8, kLowFreqFactor = 1, kHighFreqFactor = 4, kOriginalContext = 8192;
  const double low_freq_wavelen = kOriginalContext / kLowFreqFactor;
  const double high_freq_wavelen = kOriginalContext / kHighFreqFactor;
  std::vector<float> factors;
  for (int i = 0; i < head_dim / 2; ++i) {
    const double freq = 1.0 / std::pow(static_cast<double>(theta), 2.0 * i / head_dim);
    const double wavelen = 2.0 * std::numbers::pi / freq;
    double factor = 1.0;
    if (wavelen > low_freq_wavelen) {
      factor = kFactor;
    } else if (wavelen >= high_freq_wavelen) {
      const double smooth = (kOriginalContext / wavelen - kLowFreqFactor) / (kHighFreqFactor - kLowFreqFactor);
      factor = 1.0 / ((1.0 - smooth) / kFactor + smooth);
    }
    factors.push_back(static_cast<float>(factor));
  }
  return factors;
}

absl::StatusOr<GgufWriter> BuildTinyModel(const TinyModelOptions& options) {
  const int kv_heads = options.kv_heads.value_or(options.arch == "bert" ? options.heads : 2);
  CATENA_RETURN_IF_ERROR(Validate(options, kv_heads));
  CATENA_ASSIGN_OR_RETURN(const ImportedVocab vocab, ImportVocabulary(options.vocab_path));
  CATENA_RETURN_IF_ERROR(CheckSize(options, static_cast<int64_t>(vocab.tokens.size())));
  GgufWriter writer;
  AddHyperParameters(options, kv_heads, static_cast<uint32_t>(vocab.tokens.size()), writer);
  AddVocabularyMetadata(vocab, writer);
  TensorMaker maker(writer, options.type, options.seed);
  const int64_t vocab_size = static_cast<int64_t>(vocab.tokens.size());
  if (options.arch == "bert") {
    CATENA_RETURN_IF_ERROR(AddBertTensors(options, vocab_size, maker));
  } else {
    CATENA_RETURN_IF_ERROR(AddDecoderTensors(options, kv_heads, vocab_size, maker));
  }
  return writer;
}

}  // namespace catena::inference::model_tool
