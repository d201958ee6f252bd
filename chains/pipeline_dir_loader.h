// PipelineDirectoryLoader: keeps a tenant's pipelines in step with a directory of pipeline files (*.yaml,
// *.yml, *.json; catenad's pipelines.dir, tenant "default"). Scan stores every new or changed file through
// StoredPipelines; a file with problems is logged with all of them and leaves the stored version as it was.
// Start polls file modification times on one background thread until the loader is destroyed. Thread-safe.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "chains/stored_pipelines.h"

namespace catena::chains {

class PipelineDirectoryLoader {
 public:
  // `pipelines` (not owned) outlives the loader.
  PipelineDirectoryLoader(StoredPipelines* pipelines, std::filesystem::path dir, std::string tenant);
  ~PipelineDirectoryLoader();  // stops polling
  PipelineDirectoryLoader(const PipelineDirectoryLoader&) = delete;
  PipelineDirectoryLoader& operator=(const PipelineDirectoryLoader&) = delete;

  struct ScanResult {
    int stored = 0;  // new or changed files stored
    int broken = 0;  // new or changed files with problems (logged)
  };
  // Looks at every pipeline file once; files unchanged since the last scan are skipped.
  ScanResult Scan();
  // Scans every `interval` on a background thread.
  void Start(absl::Duration interval);

 private:
  void Load(const std::filesystem::path& file, ScanResult& result);

  StoredPipelines* const pipelines_;
  const std::filesystem::path dir_;
  const std::string tenant_;
  std::mutex scan_mutex_;
  // Modification time and size of each file when last looked at.
  std::map<std::filesystem::path, std::pair<std::filesystem::file_time_type, uintmax_t>> seen_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace catena::chains
