#include "inference/gguf.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/support/temp_dir.h"

namespace catena::inference {
namespace {

using VT = GgufValueType;

// An independent little-endian encoder for hand-made (and deliberately broken) files.
struct Raw {
  std::string bytes;
  Raw& U8(uint8_t v) { return Put(v); }
  Raw& U32(uint32_t v) { return Put(v); }
  Raw& U64(uint64_t v) { return Put(v); }
  Raw& Str(std::string_view s) {
    U64(s.size());
    bytes.append(s);
    return *this;
  }
  Raw& Header(uint64_t tensors, uint64_t kvs, uint32_t version = 3) {
    bytes.append("GGUF");
    return U32(version).U64(tensors).U64(kvs);
  }
  Raw& Pad(size_t alignment) {
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, '\0');
    return *this;
  }
  Raw& TensorInfo(std::string_view name, std::vector<uint64_t> shape, uint32_t type, uint64_t offset) {
    Str(name).U32(static_cast<uint32_t>(shape.size()));
    for (uint64_t d : shape) U64(d);
    return U32(type).U64(offset);
  }
  template <typename T>
  Raw& Put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    bytes.append(b, sizeof(T));
    return *this;
  }
};

bool SameValue(const GgufValue& a, const GgufValue& b) {
  if (a.type != b.type || a.value.index() != b.value.index()) return false;
  if (const auto* array = std::get_if<GgufArray>(&a.value)) {
    const auto& other = std::get<GgufArray>(b.value);
    if (array->element_type != other.element_type || array->elements.size() != other.elements.size()) return false;
    for (size_t i = 0; i < array->elements.size(); ++i) {
      if (!SameValue(array->elements[i], other.elements[i])) return false;
    }
    return true;
  }
  if (const auto* text = std::get_if<std::string>(&a.value)) return *text == std::get<std::string>(b.value);
  if (const auto* flag = std::get_if<bool>(&a.value)) return *flag == std::get<bool>(b.value);
  if (const auto* number = std::get_if<double>(&a.value)) return *number == std::get<double>(b.value);
  if (const auto* i = std::get_if<int64_t>(&a.value)) return *i == std::get<int64_t>(b.value);
  return std::get<uint64_t>(a.value) == std::get<uint64_t>(b.value);
}

GgufValue Array(VT element_type, std::vector<GgufValue> elements) {
  return {VT::kArray, GgufArray{element_type, std::move(elements)}};
}

std::vector<std::pair<std::string, GgufValue>> EveryValueType() {
  return {
      {"t.u8", {VT::kUint8, uint64_t{200}}},
      {"t.i8", {VT::kInt8, int64_t{-128}}},
      {"t.u16", {VT::kUint16, uint64_t{65535}}},
      {"t.i16", {VT::kInt16, int64_t{-30000}}},
      {"t.u32", {VT::kUint32, uint64_t{4000000000u}}},
      {"t.i32", {VT::kInt32, int64_t{-2000000000}}},
      {"t.f32", {VT::kFloat32, 0.5}},
      {"t.bool", {VT::kBool, true}},
      {"t.str", {VT::kString, std::string("h\xc3\xa9llo\0world", 12)}},
      {"t.u64", {VT::kUint64, std::numeric_limits<uint64_t>::max()}},
      {"t.i64", {VT::kInt64, std::numeric_limits<int64_t>::min()}},
      {"t.f64", {VT::kFloat64, 1e300}},
      {"t.empty", Array(VT::kString, {})},
      {"t.strings", Array(VT::kString, {{VT::kString, std::string("a b")}, {VT::kString, std::string("")}})},
      {"t.bytes", Array(VT::kUint8, {{VT::kUint8, uint64_t{1}}, {VT::kUint8, uint64_t{255}}})},
      {"t.nested", Array(VT::kArray, {Array(VT::kInt32, {{VT::kInt32, int64_t{-1}}, {VT::kInt32, int64_t{7}}}),
                                      Array(VT::kBool, {{VT::kBool, false}})})},
      {"t.deep", Array(VT::kArray, {Array(VT::kArray, {Array(VT::kFloat64, {{VT::kFloat64, 2.25}})})})},
  };
}

TEST_CASE("every metadata value type survives a write and read in file order", "[unit]") {
  GgufWriter writer;
  const auto values = EveryValueType();
  for (const auto& [key, value] : values) writer.Set(key, value);
  auto bytes = writer.Serialize();
  REQUIRE(bytes.ok());
  auto file = GgufFile::FromBytes(*bytes);
  REQUIRE(file.ok());
  CHECK((*file)->version() == 3);
  CHECK((*file)->alignment() == 32);
  REQUIRE((*file)->metadata().keys().size() == values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    INFO(values[i].first);
    CHECK((*file)->metadata().keys()[i] == values[i].first);
    const GgufValue* read = (*file)->metadata().Find(values[i].first);
    REQUIRE(read != nullptr);
    CHECK(SameValue(*read, values[i].second));
  }
  CHECK(bytes->size() % 32 == 0);
}

TEST_CASE("typed getters convert fitting integers and name the key on mismatch", "[unit]") {
  GgufWriter writer;
  for (const auto& [key, value] : EveryValueType()) writer.Set(key, value);
  writer.SetInt32Array("ids", {3, -4});
  writer.SetFloat32Array("scores", {0.25f, -1.0f});
  auto file = GgufFile::FromBytes(*writer.Serialize());
  REQUIRE(file.ok());
  const GgufMetadata& m = (*file)->metadata();
  CHECK(*m.GetUint32("t.u8") == 200);
  CHECK(*m.GetInt64("t.i16") == -30000);
  CHECK(*m.GetFloat32("t.f32") == 0.5f);
  CHECK(*m.GetBool("t.bool"));
  CHECK(m.GetString("t.str")->size() == 12);
  CHECK(*m.GetStringArray("t.strings") == std::vector<std::string>{"a b", ""});
  CHECK(*m.GetInt32Array("t.bytes") == std::vector<int32_t>{1, 255});
  CHECK(*m.GetInt32Array("ids") == std::vector<int32_t>{3, -4});
  CHECK(*m.GetFloat32Array("scores") == std::vector<float>{0.25f, -1.0f});
  CHECK(m.GetUint32("t.i8").status().code() == absl::StatusCode::kInvalidArgument);  // -128 does not fit
  CHECK(m.GetInt64("t.u64").status().code() == absl::StatusCode::kInvalidArgument);
  auto wrong = m.GetString("t.u32");
  CHECK(wrong.status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(wrong.status().message().find("'t.u32' is uint32") != std::string_view::npos);
  CHECK(m.GetStringArray("t.bytes").status().code() == absl::StatusCode::kInvalidArgument);
  CHECK(m.GetBool("absent").status().code() == absl::StatusCode::kNotFound);
}

std::vector<std::byte> Pattern(size_t n, int seed) {
  std::vector<std::byte> data(n);
  for (size_t i = 0; i < n; ++i) data[i] = static_cast<std::byte>((i * 31 + seed) & 0xff);
  return data;
}

TEST_CASE("tensors of every type read back aligned with their shape and bytes", "[unit]") {
  catena::testing::TempDir dir("gguf-tensors");
  for (uint32_t alignment : {32u, 64u}) {
    GgufWriter writer;
    writer.SetString("general.architecture", "llama");
    if (alignment != 32) writer.SetUint32("general.alignment", alignment);
    const GgmlType types[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                              GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K};
    for (int i = 0; i < 7; ++i) {
      const int64_t row = TraitsOf(types[i]).block_elements == 256 ? 512 : 96;
      const std::vector<int64_t> shape = i % 2 == 0 ? std::vector<int64_t>{row, 3} : std::vector<int64_t>{row, 2, 1, 2};
      const int64_t rows = i % 2 == 0 ? 3 : 4;
      const size_t bytes = static_cast<size_t>(*RowBytes(types[i], row) * rows);
      REQUIRE(writer.AddTensor("t" + std::to_string(i), types[i], shape, Pattern(bytes, i)).ok());
    }
    const std::string path = (dir.path() / ("model" + std::to_string(alignment) + ".gguf")).string();
    REQUIRE(writer.WriteFile(path).ok());
    auto file = GgufFile::Open(path);
    REQUIRE(file.ok());
    CHECK((*file)->alignment() == alignment);
    REQUIRE((*file)->tensors().size() == 7);
    for (int i = 0; i < 7; ++i) {
      const GgufTensor* tensor = (*file)->FindTensor("t" + std::to_string(i));
      REQUIRE(tensor != nullptr);
      CHECK(tensor->type == types[i]);
      CHECK(tensor->rows() == (i % 2 == 0 ? 3 : 4));
      CHECK(reinterpret_cast<uintptr_t>(tensor->data) % alignment == 0);
      const std::vector<std::byte> expected = Pattern(tensor->size_bytes, i);
      CHECK(std::memcmp(tensor->data, expected.data(), expected.size()) == 0);
      CHECK(static_cast<int64_t>(tensor->size_bytes) == *RowBytes(types[i], tensor->shape[0]) * tensor->rows());
    }
    CHECK((*file)->FindTensor("missing") == nullptr);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
      CHECK(entry.path().string().find(".tmp.") == std::string::npos);
    }
  }
}

TEST_CASE("the writer rejects bad tensors and bad alignment", "[unit]") {
  GgufWriter writer;
  REQUIRE(writer.AddTensor("a", GgmlType::kF32, {4}, Pattern(16, 0)).ok());
  CHECK(writer.AddTensor("a", GgmlType::kF32, {4}, Pattern(16, 0)).message().find("duplicate") != std::string_view::npos);
  CHECK(writer.AddTensor("b", GgmlType::kF32, {4}, Pattern(12, 0)).code() == absl::StatusCode::kInvalidArgument);
  auto partial = writer.AddTensor("c", GgmlType::kQ8_0, {48, 2}, Pattern(0, 0));
  CHECK(partial.code() == absl::StatusCode::kInvalidArgument);
  CHECK(partial.message().find("'c'") != std::string_view::npos);
  CHECK(writer.AddTensor("d", GgmlType::kF32, {1, 1, 1, 1, 1}, Pattern(4, 0)).code() == absl::StatusCode::kInvalidArgument);
  CHECK(writer.AddTensor("e", GgmlType::kF32, {4, 0}, {}).code() == absl::StatusCode::kInvalidArgument);
  CHECK(writer.AddTensor("", GgmlType::kF32, {1}, Pattern(4, 0)).code() == absl::StatusCode::kInvalidArgument);
  writer.SetUint32("general.alignment", 48);
  CHECK(writer.Serialize().status().code() == absl::StatusCode::kInvalidArgument);
  writer.SetUint32("general.alignment", 16);
  CHECK(writer.Serialize().ok());
  writer.Set("bad", GgufValue{VT::kUint8, uint64_t{300}});
  CHECK(writer.Serialize().status().message().find("'bad'") != std::string_view::npos);
}

// Hand-made files: one uint32 key then one f32 tensor of 8 values, 32-aligned.
std::string ValidRaw() {
  Raw raw;
  raw.Header(1, 1).Str("general.alignment").U32(4).U32(32);
  raw.TensorInfo("w", {8}, 0, 0).Pad(32);
  raw.bytes.append(32, '\x01');
  return raw.bytes;
}

void ExpectError(const std::string& bytes, absl::StatusCode code, const std::string& fragment) {
  auto file = GgufFile::FromBytes(bytes, "bad.gguf");
  REQUIRE_FALSE(file.ok());
  INFO(file.status().message());
  CHECK(file.status().code() == code);
  CHECK(file.status().message().find(fragment) != std::string_view::npos);
  CHECK(file.status().message().find("bad.gguf: byte ") == 0);
}

TEST_CASE("a hand-made file reads and version 2 is accepted", "[unit]") {
  auto file = GgufFile::FromBytes(ValidRaw());
  REQUIRE(file.ok());
  REQUIRE((*file)->tensors().size() == 1);
  CHECK((*file)->tensors()[0].shape == std::vector<int64_t>{8});
  std::string v2 = ValidRaw();
  v2[4] = 2;
  CHECK(GgufFile::FromBytes(v2).ok());
}

TEST_CASE("header damage is named: magic, version, truncation and impossible counts", "[unit]") {
  std::string bytes = ValidRaw();
  bytes[0] = 'X';
  ExpectError(bytes, absl::StatusCode::kInvalidArgument, "header.magic");
  bytes = ValidRaw();
  bytes[4] = 1;
  ExpectError(bytes, absl::StatusCode::kInvalidArgument, "header.version");
  ExpectError(ValidRaw().substr(0, 10), absl::StatusCode::kDataLoss, "truncated");
  ExpectError("GG", absl::StatusCode::kDataLoss, "header.magic");
  ExpectError(Raw().Header(0, uint64_t{1} << 60).bytes, absl::StatusCode::kDataLoss, "metadata_kv_count");
  ExpectError(Raw().Header(uint64_t{1} << 40, 0).bytes, absl::StatusCode::kDataLoss, "tensor_count");
  auto empty = GgufFile::FromBytes("");
  CHECK(empty.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("metadata damage is named: lengths, types, nesting, duplicates, alignment", "[unit]") {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  const auto kLoss = absl::StatusCode::kDataLoss;
  ExpectError(Raw().Header(0, 1).U64(uint64_t{1} << 50).bytes + std::string(8, 'a'), kLoss, "metadata[0].key");
  ExpectError(Raw().Header(0, 1).Str("k").U32(13).U64(0).bytes, kInvalid, "unknown value type 13");
  ExpectError(Raw().Header(0, 1).Str("k").U32(9).U32(99).U64(0).bytes, kInvalid, "unknown array element type 99");
  ExpectError(Raw().Header(0, 1).Str("k").U32(9).U32(4).U64(1000).U32(1).bytes, kLoss, "cannot fit");
  ExpectError(Raw().Header(0, 1).Str("k").U32(8).U64(100).bytes + "abc", kLoss, "string length 100");
  ExpectError(Raw().Header(0, 1).Str("k").U32(7).U8(2).bytes, kInvalid, "bool byte");
  ExpectError(Raw().Header(0, 2).Str("k").U32(0).U8(1).Str("k").U32(0).U8(2).bytes, kInvalid, "duplicate key 'k'");
  Raw deep;
  deep.Header(0, 1).Str("k").U32(9);
  for (int i = 0; i < 5; ++i) deep.U32(9).U64(1);
  deep.U32(0).U64(0);
  ExpectError(deep.bytes, kInvalid, "nested deeper");
  ExpectError(Raw().Header(0, 1).Str("general.alignment").U32(4).U32(48).bytes, kInvalid, "general.alignment");
  ExpectError(Raw().Header(0, 1).Str("general.alignment").U32(4).U32(0).bytes, kInvalid, "power of two");
  ExpectError(Raw().Header(0, 1).Str("general.alignment").U32(8).Str("32").bytes, kInvalid, "unsigned integer");
}

std::string OneTensor(std::vector<uint64_t> shape, uint32_t type, uint64_t offset, size_t data_bytes = 64) {
  Raw raw;
  raw.Header(1, 0).TensorInfo("w", std::move(shape), type, offset).Pad(32);
  raw.bytes.append(data_bytes, '\0');
  return raw.bytes;
}

TEST_CASE("tensor info damage is named: dims, types, blocks, offsets, bounds, duplicates", "[unit]") {
  const auto kInvalid = absl::StatusCode::kInvalidArgument;
  CHECK(GgufFile::FromBytes(OneTensor({16}, 0, 0)).ok());
  ExpectError(OneTensor({1, 1, 1, 1, 1}, 0, 0), kInvalid, "n_dims");
  ExpectError(OneTensor({}, 0, 0), kInvalid, "n_dims");
  ExpectError(OneTensor({4, 0}, 0, 0), kInvalid, "shape[1]");
  ExpectError(OneTensor({uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0), kInvalid, "overflows");
  ExpectError(OneTensor({48}, 8, 0), kInvalid, "not a multiple of the q8_0 block size 32");
  ExpectError(OneTensor({16}, 3, 0), kInvalid, "type id 3");
  ExpectError(OneTensor({16}, 0, 8), kInvalid, "not a multiple of the alignment 32");
  ExpectError(OneTensor({16}, 0, 0, 63), absl::StatusCode::kDataLoss, "outside the");
  ExpectError(OneTensor({16}, 0, uint64_t{1} << 62), absl::StatusCode::kDataLoss, "outside the");
  Raw twice;
  twice.Header(2, 0).TensorInfo("w", {8}, 0, 0).TensorInfo("w", {8}, 0, 32).Pad(32);
  twice.bytes.append(64, '\0');
  ExpectError(twice.bytes, kInvalid, "duplicate tensor name 'w'");
  Raw overlap;
  overlap.Header(2, 0).TensorInfo("a", {16}, 0, 0).TensorInfo("b", {8}, 0, 32).Pad(32);
  overlap.bytes.append(64, '\0');
  ExpectError(overlap.bytes, kInvalid, "overlaps");
  Raw long_name;
  long_name.Header(1, 0).TensorInfo(std::string(300, 'n'), {8}, 0, 0).Pad(32);
  long_name.bytes.append(32, '\0');
  ExpectError(long_name.bytes, kInvalid, "tensor[0].name");
}

TEST_CASE("opening a missing or empty path is a clear error", "[unit]") {
  catena::testing::TempDir dir("gguf-open");
  auto missing = GgufFile::Open((dir.path() / "none.gguf").string());
  CHECK(missing.status().code() == absl::StatusCode::kNotFound);
  CHECK(missing.status().message().find("none.gguf") != std::string_view::npos);
  const std::string empty = (dir.path() / "empty.gguf").string();
  { std::ofstream touch(empty); }
  CHECK(GgufFile::Open(empty).status().code() == absl::StatusCode::kDataLoss);
}

std::string MutationSeed() {
  GgufWriter writer;
  for (const auto& [key, value] : EveryValueType()) writer.Set(key, value);
  writer.SetStringArray("tokens", {"<s>", "a", "bc", "\xe2\x96\x81x"});
  REQUIRE(writer.AddTensor("f", GgmlType::kF32, {8, 2}, Pattern(64, 1)).ok());
  REQUIRE(writer.AddTensor("q", GgmlType::kQ8_0, {32}, Pattern(34, 2)).ok());
  REQUIRE(writer.AddTensor("k", GgmlType::kQ4_K, {256}, Pattern(144, 3)).ok());
  return *writer.Serialize();
}

TEST_CASE("thousands of random byte flips and truncations never crash the reader", "[unit]") {
  const std::string seed = MutationSeed();
  REQUIRE(GgufFile::FromBytes(seed).ok());
  std::mt19937_64 rng(20261127);
  int accepted = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string bytes = seed;
    const int kind = round % 4;
    if (kind == 0) {
      bytes.resize(rng() % bytes.size());
    } else if (kind == 1) {
      for (int flips = 1 + rng() % 4; flips > 0; --flips) bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
    } else if (kind == 2) {
      const size_t at = rng() % (bytes.size() - 8);
      const uint64_t huge = rng() % 2 == 0 ? ~uint64_t{0} - (rng() % 64) : (uint64_t{1} << (rng() % 64));
      std::memcpy(&bytes[at], &huge, 8);
    } else {
      const size_t at = rng() % bytes.size();
      bytes[at] = static_cast<char>(rng() & 0xff);
      bytes.resize(bytes.size() - rng() % 40);
    }
    auto file = GgufFile::FromBytes(bytes);
    if (file.ok()) {
      ++accepted;
      uint64_t total = 0;
      for (const GgufTensor& tensor : (*file)->tensors()) total += tensor.size_bytes;
      REQUIRE(total <= bytes.size());
    } else {
      const auto code = file.status().code();
      REQUIRE((code == absl::StatusCode::kInvalidArgument || code == absl::StatusCode::kDataLoss));
    }
  }
  CHECK(accepted > 0);      // flips inside tensor data or string bodies keep the file valid
  CHECK(accepted < 4000);
}

}  // namespace
}  // namespace catena::inference
