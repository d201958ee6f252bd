// Llama models with a synthetic WordPiece vocabulary, generated in-process by the model tool, for tests that
// must run where the npm vocabularies are absent (the GPU machine): the CUDA conformance tests and their CPU
// self-check in backend_selection_test.cc. Test code only.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>

#include "inference/model_tool/tiny_model.h"

namespace catena::inference::testing {

// A vocab.txt of the BERT special tokens and `size` - 5 plain words, written to `dir`.
inline std::filesystem::path WriteSyntheticVocab(const std::filesystem::path& dir, int size) {
  const std::filesystem::path path = dir / "vocab.txt";
  std::ofstream out(path);
  out << "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";
  for (int i = 5; i < size; ++i) out << "word" << i << "\n";
  return path;
}

// A small llama (dim 256, ff 512 so that every block type fits, head_dim 64, GQA 4:2) of `type`, at dir/name.gguf.
inline std::filesystem::path MakeSyntheticLlama(const std::filesystem::path& dir, const std::string& name,
                                                GgmlType type, int layers = 2) {
  model_tool::TinyModelOptions options;
  options.arch = "llama";
  options.vocab_path = WriteSyntheticVocab(dir, 1000).string();
  options.type = type;
  options.layers = layers;
  options.dim = 256;
  options.heads = 4;
  options.kv_heads = 2;
  options.ff = 512;
  options.context = 256;
  options.seed = 5;
  auto writer = model_tool::BuildTinyModel(options);
  REQUIRE(writer.ok());
  const std::filesystem::path path = dir / (name + ".gguf");
  REQUIRE(writer->WriteFile(path.string()).ok());
  return path;
}

}  // namespace catena::inference::testing
