#include "chains/pipeline_dir_loader.h"

#include <fstream>
#include <iterator>
#include <vector>

#include "spdlog/spdlog.h"

namespace catena::chains {
namespace {

bool IsPipelineFile(const std::filesystem::path& path) {
  const std::string extension = path.extension().string();
  return extension == ".yaml" || extension == ".yml" || extension == ".json";
}

}  // namespace

PipelineDirectoryLoader::PipelineDirectoryLoader(StoredPipelines* pipelines, std::filesystem::path dir,
                                                 std::string tenant)
    : pipelines_(pipelines), dir_(std::move(dir)), tenant_(std::move(tenant)) {}

PipelineDirectoryLoader::~PipelineDirectoryLoader() {
  {
    std::lock_guard lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

PipelineDirectoryLoader::ScanResult PipelineDirectoryLoader::Scan() {
  std::lock_guard lock(scan_mutex_);
  ScanResult result;
  std::error_code error;
  std::vector<std::filesystem::path> files;
  for (std::filesystem::directory_iterator it(dir_, error), end; !error && it != end; it.increment(error)) {
    if (it->is_regular_file(error) && IsPipelineFile(it->path())) files.push_back(it->path());
  }
  if (error) {
    spdlog::warn("pipelines.dir {}: {}", dir_.string(), error.message());
    return result;
  }
  for (const std::filesystem::path& file : files) {
    std::error_code stat_error;
    const auto mtime = std::filesystem::last_write_time(file, stat_error);
    const uintmax_t size = std::filesystem::file_size(file, stat_error);
    if (stat_error) continue;  // removed meanwhile
    auto& seen = seen_[file];
    if (seen == std::make_pair(mtime, size)) continue;
    seen = {mtime, size};
    Load(file, result);
  }
  return result;
}

void PipelineDirectoryLoader::Load(const std::filesystem::path& file, ScanResult& result) {
  std::ifstream in(file, std::ios::binary);
  const std::string source((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<Problem> problems;
  auto compiled = pipelines_->Compile(source, file.filename().string(), &problems);
  if (!compiled.ok()) {
    ++result.broken;
    spdlog::error("pipeline file {} not loaded (the stored version stays): {}", file.string(),
                  std::string(compiled.status().message()));
    return;
  }
  auto stored = pipelines_->Put(tenant_, source, file.filename().string());
  if (!stored.ok()) {
    ++result.broken;
    spdlog::error("pipeline file {}: {}", file.string(), stored.status().ToString());
    return;
  }
  ++result.stored;
  spdlog::info("pipeline {} version {} loaded from {}", stored->name(), stored->version().substr(0, 12), file.string());
}

void PipelineDirectoryLoader::Start(absl::Duration interval) {
  const auto period = absl::ToChronoMilliseconds(std::max(interval, absl::Milliseconds(10)));
  thread_ = std::thread([this, period] {
    std::unique_lock lock(stop_mutex_);
    while (!stop_cv_.wait_for(lock, period, [this] { return stop_; })) {
      lock.unlock();
      Scan();
      lock.lock();
    }
  });
}

}  // namespace catena::chains
