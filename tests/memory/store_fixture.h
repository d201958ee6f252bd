// Helpers of the memory tests: a store on a fresh temporary directory, message builders and a settable clock.
#pragma once

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "memory/memory_store.h"
#include "tests/support/temp_dir.h"

namespace catena::memory::testing {

inline std::filesystem::path FreshDir(const std::string& prefix) { return catena::testing::ProcessTempDir(prefix); }

// A clock tests move by hand; starts at a fixed, realistic time.
struct ManualClock {
  std::shared_ptr<std::atomic<int64_t>> now = std::make_shared<std::atomic<int64_t>>(1'790'000'000'000);
  Clock AsClock() const {
    return [now = now] { return now->load(); };
  }
  void Advance(int64_t ms) { *now += ms; }
};

inline std::unique_ptr<MemoryStore> OpenStore(MemoryStoreOptions options) {
  if (options.path.empty()) options.path = FreshDir("memory-test").string();
  auto store = MemoryStore::Open(std::move(options));
  REQUIRE(store.ok());
  return *std::move(store);
}

inline Message UserSays(std::string text) { return Message{.role = Role::kUser, .content = std::move(text)}; }
inline Message AssistantSays(std::string text) { return Message{.role = Role::kAssistant, .content = std::move(text)}; }

inline Session NewSession(std::string id, std::string user) {
  return Session{.id = std::move(id), .user_id = std::move(user)};
}

}  // namespace catena::memory::testing
