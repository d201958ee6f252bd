// Test helpers: a fresh temporary folder and a tiny wink-format JSON (4 words, 3 dimensions) with values
// chosen by hand, so table and embedder tests need no downloaded assets.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

namespace catena::inference::testing {

// A new empty folder under the system temp folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("catena_inference_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Words in rank order: the (0), cat (1), dog (2), école (3). Each vector is [x, y, z, l2norm, rank].
inline constexpr char kTinyWinkJson[] = R"({"precision":8,"l2NormIndex":3,"wordIndex":4,"size":4,"dimensions":3,
"words":["the","cat","dog","école"],
"vectors":{"the":[1,0,0,1,0],"cat":[0,2,0,2,1],"dog":[0,1.5,0.5,1.58,2],"école":[-1,0,3.25,3.4,3]},
"unkVector":[0,0,0,0,-1]})";

inline void WriteFile(const std::filesystem::path& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
}

}  // namespace catena::inference::testing
