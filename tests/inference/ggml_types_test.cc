#include "inference/ggml_types.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

std::vector<float> Gaussian(size_t n, uint64_t seed, float scale = 1.0f) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> values(n);
  for (float& v : values) v = normal(rng);
  return values;
}

std::vector<float> RoundTrip(GgmlType type, const std::vector<float>& values) {
  std::vector<std::byte> bytes(*RowBytes(type, static_cast<int64_t>(values.size())));
  REQUIRE(QuantizeRow(type, values, bytes).ok());
  std::vector<float> decoded(values.size());
  REQUIRE(DequantizeRow(type, bytes.data(), decoded).ok());
  return decoded;
}

double RelativeRms(const std::vector<float>& want, const std::vector<float>& got) {
  double error = 0, norm = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    error += (want[i] - got[i]) * (want[i] - got[i]);
    norm += want[i] * want[i];
  }
  return std::sqrt(error / norm);
}

TEST_CASE("type traits match ggml's block sizes and ids", "[unit]") {
  CHECK(TraitsOf(GgmlType::kQ4_0).block_bytes == 18);
  CHECK(TraitsOf(GgmlType::kQ8_0).block_bytes == 34);
  CHECK(TraitsOf(GgmlType::kQ4_K).block_bytes == 144);
  CHECK(TraitsOf(GgmlType::kQ6_K).block_bytes == 210);
  CHECK(TraitsOf(GgmlType::kQ6_K).block_elements == 256);
  CHECK(TraitsOf(GgmlType::kBF16).name == "bf16");
  CHECK(TraitsOf(uint32_t{12})->name == "q4_K");
  auto unknown = TraitsOf(uint32_t{3});
  CHECK(unknown.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(unknown.status().message().find("type id 3") != std::string_view::npos);
}

TEST_CASE("type names parse in either case and unknown names are errors", "[unit]") {
  CHECK(*ParseGgmlType("q4_k") == GgmlType::kQ4_K);
  CHECK(*ParseGgmlType("q4_K") == GgmlType::kQ4_K);
  CHECK(*ParseGgmlType("Q6_K") == GgmlType::kQ6_K);
  CHECK(*ParseGgmlType("bf16") == GgmlType::kBF16);
  CHECK(*ParseGgmlType("f32") == GgmlType::kF32);
  CHECK(ParseGgmlType("q5_1").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("row bytes count whole blocks and reject partial ones", "[unit]") {
  CHECK(*RowBytes(GgmlType::kF32, 10) == 40);
  CHECK(*RowBytes(GgmlType::kQ8_0, 64) == 68);
  CHECK(*RowBytes(GgmlType::kQ4_K, 512) == 288);
  CHECK(RowBytes(GgmlType::kQ4_0, 48).status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(RowBytes(GgmlType::kQ6_K, 128).status().message().find("256") != std::string_view::npos);
  CHECK(RowBytes(GgmlType::kF32, int64_t{1} << 62).status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("half conversion rounds to nearest even and keeps inf, nan and subnormals", "[unit]") {
  CHECK(FloatToHalf(1.0f) == 0x3c00);
  CHECK(FloatToHalf(-2.0f) == 0xc000);
  CHECK(FloatToHalf(-0.0f) == 0x8000);
  CHECK(FloatToHalf(65504.0f) == 0x7bff);
  CHECK(FloatToHalf(65519.0f) == 0x7bff);
  CHECK(FloatToHalf(65520.0f) == 0x7c00);  // halfway to the next binade rounds to infinity
  CHECK(FloatToHalf(1e10f) == 0x7c00);
  CHECK(FloatToHalf(-INFINITY) == 0xfc00);
  CHECK(FloatToHalf(0x1p-14f) == 0x0400);
  CHECK(FloatToHalf(0x1p-24f) == 0x0001);
  CHECK(FloatToHalf(0x1p-25f) == 0x0000);          // tie, rounds to even zero
  CHECK(FloatToHalf(0x1.8p-25f) == 0x0001);
  CHECK(FloatToHalf(0x1.8p-24f) == 0x0002);        // 1.5 ulp: tie to even
  CHECK(FloatToHalf(1.0f + 0x1p-11f) == 0x3c00);   // tie to even
  CHECK(FloatToHalf(1.0f + 0x1.8p-11f) == 0x3c01);
  CHECK(FloatToHalf(1.0f + 0x3p-11f) == 0x3c02);   // tie to even, upward
  const uint16_t nan = FloatToHalf(NAN);
  CHECK((nan & 0x7c00) == 0x7c00);
  CHECK((nan & 0x03ff) != 0);
  CHECK(HalfToFloat(0x0001) == 0x1p-24f);
  CHECK(HalfToFloat(0x83ff) == -0x3ffp-24f);
  CHECK(HalfToFloat(0x7bff) == 65504.0f);
  CHECK(std::isinf(HalfToFloat(0x7c00)));
  CHECK(std::isnan(HalfToFloat(0x7e01)));
}

TEST_CASE("every finite half survives a round trip through float", "[unit]") {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = HalfToFloat(static_cast<uint16_t>(h));
    const int exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
    if (exponent == 31) continue;
    const float expected = (exponent == 0 ? std::ldexp(static_cast<float>(mantissa), -24)
                                          : std::ldexp(1.0f + mantissa / 1024.0f, exponent - 15)) *
                           ((h & 0x8000) != 0 ? -1.0f : 1.0f);
    REQUIRE(f == expected);
    REQUIRE(FloatToHalf(f) == h);
  }
}

TEST_CASE("float to half picks the nearest half", "[unit]") {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-26.0f, 16.0f);
  for (int i = 0; i < 20000; ++i) {
    const float f = std::exp2(exponent(rng)) * (i % 2 == 0 ? 1.0f : -1.0f);
    if (std::fabs(f) >= 65504.0f) continue;
    const uint16_t h = FloatToHalf(f);
    const float error = std::fabs(HalfToFloat(h) - f);
    REQUIRE(error <= std::fabs(HalfToFloat(static_cast<uint16_t>(h + 1)) - f));
    if ((h & 0x7fff) != 0) REQUIRE(error <= std::fabs(HalfToFloat(static_cast<uint16_t>(h - 1)) - f));
  }
}

TEST_CASE("bfloat16 conversion rounds to nearest even and quiets nan", "[unit]") {
  auto from_bits = [](uint32_t u) { float f; std::memcpy(&f, &u, 4); return f; };
  CHECK(FloatToBf16(1.0f) == 0x3f80);
  CHECK(FloatToBf16(from_bits(0x3f808000)) == 0x3f80);  // tie, even stays
  CHECK(FloatToBf16(from_bits(0x3f818000)) == 0x3f82);  // tie, odd rounds up
  CHECK(FloatToBf16(from_bits(0x3f808001)) == 0x3f81);
  CHECK(FloatToBf16(INFINITY) == 0x7f80);
  CHECK(FloatToBf16(from_bits(0x7f800001)) == 0x7fc0);  // signalling nan with a low payload stays nan
  CHECK(Bf16ToFloat(0xc040) == -3.0f);
  CHECK(std::isnan(Bf16ToFloat(FloatToBf16(NAN))));
}

TEST_CASE("quantized round trips stay within each type's error bound", "[unit]") {
  const std::vector<float> values = Gaussian(256 * 64, 11);
  CHECK(RoundTrip(GgmlType::kF32, values) == values);
  CHECK(RelativeRms(values, RoundTrip(GgmlType::kF16, values)) < 1e-3);
  CHECK(RelativeRms(values, RoundTrip(GgmlType::kBF16, values)) < 5e-3);
  const double q8 = RelativeRms(values, RoundTrip(GgmlType::kQ8_0, values));
  const double q6 = RelativeRms(values, RoundTrip(GgmlType::kQ6_K, values));
  const double q4k = RelativeRms(values, RoundTrip(GgmlType::kQ4_K, values));
  const double q4 = RelativeRms(values, RoundTrip(GgmlType::kQ4_0, values));
  INFO("relative rms: q8_0 " << q8 << " q6_K " << q6 << " q4_K " << q4k << " q4_0 " << q4);
  CHECK(q8 < 0.01);
  CHECK(q6 < 0.02);
  CHECK(q4k < 0.075);  // 16 levels over the ~4-sigma range of 32 gaussian samples: ~7.7% without search
  CHECK(q4 < 0.10);
  CHECK(q8 < q6);   // more bits, less error
  CHECK(q6 < q4k);
  CHECK(q4k < q4);  // the K-quant's search beats the plain max-abs scale
}

TEST_CASE("quantizers keep offsets, tiny scales and zero blocks", "[unit]") {
  std::vector<float> values = Gaussian(256, 3, 0.01f);
  for (float& v : values) v += 5.0f;  // all positive: Q4_K needs its min, Q4_0 its signed scale
  CHECK(RelativeRms(values, RoundTrip(GgmlType::kQ4_K, values)) < 0.01);
  CHECK(RelativeRms(values, RoundTrip(GgmlType::kQ8_0, values)) < 0.01);
  const std::vector<float> zeros(256, 0.0f);
  for (GgmlType type : {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    CHECK(RoundTrip(type, zeros) == zeros);
  }
}

TEST_CASE("quantize and dequantize reject bad sizes and non-finite values", "[unit]") {
  std::vector<float> values(48, 1.0f);
  std::vector<std::byte> out(64);
  CHECK(QuantizeRow(GgmlType::kQ8_0, values, out).code() == absl::StatusCode::kInvalidArgument);
  values.resize(32);
  CHECK(QuantizeRow(GgmlType::kQ8_0, values, out).code() == absl::StatusCode::kInvalidArgument);  // 64 != 34
  out.resize(34);
  values[5] = NAN;
  auto nan = QuantizeRow(GgmlType::kQ8_0, values, out);
  CHECK(nan.code() == absl::StatusCode::kInvalidArgument);
  CHECK(nan.message().find("value 5") != std::string_view::npos);
  std::vector<float> decoded(40);
  CHECK(DequantizeRow(GgmlType::kQ8_0, out.data(), decoded).code() == absl::StatusCode::kInvalidArgument);
}

template <typename Block>
std::vector<float> DecodeBlock(GgmlType type, const Block& block) {
  std::vector<float> out(TraitsOf(type).block_elements);
  REQUIRE(DequantizeRow(type, reinterpret_cast<const std::byte*>(&block), out).ok());
  return out;
}

TEST_CASE("hand-built q8_0 and q4_0 blocks decode exactly", "[unit]") {
  BlockQ8_0 q8{};
  q8.d = 0x3800;  // 0.5
  for (int i = 0; i < 32; ++i) q8.qs[i] = static_cast<int8_t>(i * 8 - 128);
  const std::vector<float> q8_values = DecodeBlock(GgmlType::kQ8_0, q8);
  for (int i = 0; i < 32; ++i) CHECK(q8_values[i] == 0.5f * (i * 8 - 128));

  BlockQ4_0 q4{};
  q4.d = 0xc000;  // -2
  for (int i = 0; i < 16; ++i) q4.qs[i] = static_cast<uint8_t>(i | ((15 - i) << 4));
  const std::vector<float> q4_values = DecodeBlock(GgmlType::kQ4_0, q4);
  for (int i = 0; i < 16; ++i) {
    CHECK(q4_values[i] == -2.0f * (i - 8));
    CHECK(q4_values[i + 16] == -2.0f * (15 - i - 8));
  }
}

TEST_CASE("hand-built q4_K block decodes its packed 6-bit scales and mins exactly", "[unit]") {
  int scale[8], min[8];
  for (int j = 0; j < 8; ++j) {
    scale[j] = 10 + 7 * j;  // up to 59: sub-blocks 4..7 need the high bits
    min[j] = 63 - 5 * j;
  }
  BlockQ4_K block{};
  block.d = 0x3c00;     // 1
  block.dmin = 0x3800;  // 0.5
  for (int j = 0; j < 4; ++j) {
    // bytes 0..3: scale j plus the top 2 bits of scale j+4; bytes 4..7 the same for mins;
    // bytes 8..11: low 4 bits of scale j+4 and of min j+4.
    block.scales[j] = static_cast<uint8_t>(scale[j] | ((scale[j + 4] >> 4) << 6));
    block.scales[j + 4] = static_cast<uint8_t>(min[j] | ((min[j + 4] >> 4) << 6));
    block.scales[j + 8] = static_cast<uint8_t>((scale[j + 4] & 0xF) | ((min[j + 4] & 0xF) << 4));
  }
  auto nibble = [](int e) { return (e * 5 + 3) % 16; };
  for (int chunk = 0; chunk < 4; ++chunk) {
    for (int l = 0; l < 32; ++l) {
      block.qs[32 * chunk + l] = static_cast<uint8_t>(nibble(64 * chunk + l) | (nibble(64 * chunk + 32 + l) << 4));
    }
  }
  const std::vector<float> values = DecodeBlock(GgmlType::kQ4_K, block);
  for (int e = 0; e < 256; ++e) {
    INFO("element " << e);
    CHECK(values[e] == static_cast<float>(scale[e / 32]) * nibble(e) - 0.5f * static_cast<float>(min[e / 32]));
  }
}

TEST_CASE("hand-built q6_K block decodes its split 6-bit quants exactly", "[unit]") {
  BlockQ6_K block{};
  block.d = 0x3400;  // 0.25
  for (int j = 0; j < 16; ++j) block.scales[j] = static_cast<int8_t>(j * 9 - 70);
  auto quant = [](int e) { return (e * 37 + 11) % 64; };
  for (int half = 0; half < 2; ++half) {
    for (int l = 0; l < 32; ++l) {
      const int base = 128 * half + l;  // values base, base+32, base+64, base+96 share ql/qh bytes
      const int q0 = quant(base), q1 = quant(base + 32), q2 = quant(base + 64), q3 = quant(base + 96);
      block.ql[64 * half + l] = static_cast<uint8_t>((q0 & 0xF) | ((q2 & 0xF) << 4));
      block.ql[64 * half + 32 + l] = static_cast<uint8_t>((q1 & 0xF) | ((q3 & 0xF) << 4));
      block.qh[32 * half + l] = static_cast<uint8_t>((q0 >> 4) | ((q1 >> 4) << 2) | ((q2 >> 4) << 4) | ((q3 >> 4) << 6));
    }
  }
  const std::vector<float> values = DecodeBlock(GgmlType::kQ6_K, block);
  for (int e = 0; e < 256; ++e) {
    INFO("element " << e);
    CHECK(values[e] == 0.25f * static_cast<float>(block.scales[e / 16]) * static_cast<float>(quant(e) - 32));
  }
}

// Random blocks (half-float fields set to finite values) for the golden comparison.
std::vector<std::byte> RandomBlocks(GgmlType type, int blocks, uint64_t seed) {
  const GgmlTypeTraits traits = TraitsOf(type);
  std::mt19937_64 rng(seed);
  std::vector<std::byte> bytes(traits.block_bytes * blocks);
  for (std::byte& b : bytes) b = static_cast<std::byte>(rng() & 0xff);
  std::uniform_real_distribution<float> scale(-0.1f, 0.1f);
  auto set_half = [&](size_t at) { const uint16_t h = FloatToHalf(scale(rng)); std::memcpy(&bytes[at], &h, 2); };
  for (int b = 0; b < blocks; ++b) {
    const size_t start = static_cast<size_t>(b) * traits.block_bytes;
    if (type == GgmlType::kQ8_0 || type == GgmlType::kQ4_0) set_half(start);
    if (type == GgmlType::kQ4_K) set_half(start), set_half(start + 2);
    if (type == GgmlType::kQ6_K) set_half(start + 208);
  }
  if (type == GgmlType::kF16 || type == GgmlType::kBF16) {
    for (size_t i = 0; i < bytes.size(); i += 2) {
      const uint16_t h = type == GgmlType::kF16 ? FloatToHalf(scale(rng)) : FloatToBf16(scale(rng));
      std::memcpy(&bytes[i], &h, 2);
    }
  }
  return bytes;
}

TEST_CASE("dequantization matches the independent numpy decoder", "[unit][reference]") {
  catena::testing::TempDir dir("ggml-golden");
  for (GgmlType type : {GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K,
                        GgmlType::kQ6_K}) {
    const std::string name(TraitsOf(type).name);
    INFO("type " << name);
    const int blocks = type == GgmlType::kF16 || type == GgmlType::kBF16 ? 512 : 24;
    const std::vector<std::byte> bytes = RandomBlocks(type, blocks, 1000 + static_cast<uint64_t>(type));
    const auto input = dir.path() / (name + ".bin"), output = dir.path() / (name + ".f32");
    std::ofstream(input, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const auto result = catena::testing::RunToCompletion(
        {"/usr/bin/python3", CATENA_SOURCE_DIR "/tests/inference/ggml_dequant_reference.py", name, input.string(),
         output.string()},
        std::chrono::seconds(60));
    REQUIRE(result.exit_code == 0);
    std::vector<float> ours(static_cast<size_t>(blocks * TraitsOf(type).block_elements));
    REQUIRE(DequantizeRow(type, bytes.data(), ours).ok());
    std::vector<float> theirs(ours.size());
    std::ifstream in(output, std::ios::binary);
    in.read(reinterpret_cast<char*>(theirs.data()), static_cast<std::streamsize>(theirs.size() * 4));
    REQUIRE(in.gcount() == static_cast<std::streamsize>(theirs.size() * 4));
    int mismatches = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      if (std::fabs(ours[i] - theirs[i]) > 1e-6f * std::max(1.0f, std::fabs(theirs[i]))) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
}

}  // namespace
}  // namespace catena::inference
