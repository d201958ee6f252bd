// TempDir: a fresh directory under the system temp dir, removed with everything in it on destruction;
// ProcessTempDir: one removed when the test process exits (for directories that outlive a scope, such as a data
// dir reused across a server restart); and ReadFile, the test-side way to read a file back.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

namespace catena::testing {

class TempDir {
 public:
  explicit TempDir(const std::string& prefix) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            (prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to `name` (a relative path; parent folders are created) and returns the file's path.
  std::filesystem::path Write(const std::string& name, const std::string& content) const {
    const std::filesystem::path file = path_ / name;
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file, std::ios::binary) << content;
    return file;
  }

 private:
  std::filesystem::path path_;
};

// A fresh empty directory `<temp>/<prefix>-<pid>-<n>`, removed with its contents when the process exits normally.
inline std::filesystem::path ProcessTempDir(const std::string& prefix) {
  struct Registry {
    std::mutex mutex;
    std::vector<std::filesystem::path> paths;
    ~Registry() {
      std::error_code ignored;
      for (const auto& path : paths) std::filesystem::remove_all(path, ignored);
    }
  };
  static Registry registry;
  static std::atomic<int> counter{0};
  auto path = std::filesystem::temp_directory_path() /
              (prefix + "-" + std::to_string(::getpid()) + "-p" + std::to_string(counter++));
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  std::lock_guard<std::mutex> lock(registry.mutex);
  registry.paths.push_back(path);
  return path;
}

// The bytes of `path`; empty when it cannot be read.
inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace catena::testing
