// AuditLog (audit_log.h): O_APPEND writes made durable by group commit (one fdatasync and one head replacement,
// write + fsync + rename, for every record written since the last), and verification that names the first bad
// record.
#include "guardrails/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/sha256.h"

namespace catena::guardrails {
namespace {

using Json = nlohmann::json;

std::string LogPath(const std::string& dir) { return dir + "/audit.jsonl"; }
std::string HeadPath(const std::string& dir) { return dir + "/audit.head"; }

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(std::string(what), " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("cannot write", path);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The log's last line with its line end, read from the end of the file (the log is never read whole at start);
// "" for an empty file. A last line without a line end comes back as it is.
absl::StatusOr<std::string> ReadLastLine(int fd, const std::string& path) {
  const off_t size = ::lseek(fd, 0, SEEK_END);
  if (size < 0) return Errno("cannot seek", path);
  std::string tail;
  off_t begin = size;
  constexpr off_t kChunk = 4096;
  // Until the tail holds a line end before its last byte (the end of the line before the last), or the start.
  while (begin > 0 && (tail.size() < 2 || tail.rfind('\n', tail.size() - 2) == std::string::npos)) {
    const off_t step = std::min(kChunk, begin);
    begin -= step;
    std::string chunk(static_cast<size_t>(step), '\0');
    if (::pread(fd, chunk.data(), chunk.size(), begin) != step) return Errno("cannot read", path);
    tail.insert(0, chunk);
  }
  const size_t start = tail.size() < 2 ? std::string::npos : tail.rfind('\n', tail.size() - 2);
  return start == std::string::npos ? tail : tail.substr(start + 1);
}

// Checks line `index` against the chain so far; sets *hash to its hash. "" when fine, else the problem.
std::string CheckLine(const std::string& line, int64_t index, const std::string& prev, std::string* hash,
                      std::string* run_id) {
  const Json entry = Json::parse(line, nullptr, false);
  if (entry.is_discarded() || !entry.is_object()) return "the line is not valid JSON (edited or cut short)";
  if (entry.contains("record") && entry["record"].is_object() && entry["record"].contains("run_id") &&
      entry["record"]["run_id"].is_string()) {
    *run_id = entry["record"]["run_id"].get<std::string>();
  }
  if (!entry.contains("index") || !entry["index"].is_number_integer() || !entry.contains("prev") ||
      !entry["prev"].is_string() || !entry.contains("hash") || !entry["hash"].is_string() ||
      !entry.contains("record") || !entry["record"].is_object()) {
    return "the line lacks index, prev, hash or record";
  }
  if (entry["index"].get<int64_t>() != index) {
    return absl::StrCat("index field says ", entry["index"].get<int64_t>(), " (records reordered or removed)");
  }
  if (entry["prev"].get<std::string>() != prev) return "prev does not match the previous record's hash";
  *hash = AuditChainHash(prev, CanonicalAuditJson(entry["record"]));
  if (entry["hash"].get<std::string>() != *hash) return "hash does not match the record's content (edited)";
  return "";
}

}  // namespace

std::string CanonicalAuditJson(const nlohmann::json& record) {
  return Json(record).dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string AuditChainHash(std::string_view prev, std::string_view canonical_record) {
  return Sha256Hex(absl::StrCat(absl::string_view(prev.data(), prev.size()), "\n",
                                absl::string_view(canonical_record.data(), canonical_record.size())));
}

AuditLog::AuditLog(std::string dir, int fd, bool sync, int64_t count, std::string last_hash)
    : dir_(std::move(dir)),
      fd_(fd),
      sync_(sync),
      count_(count),
      last_hash_(std::move(last_hash)),
      durable_count_(count) {}

AuditLog::~AuditLog() { ::close(fd_); }

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& dir, bool sync) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return absl::InternalError(absl::StrCat("cannot create ", dir, ": ", error.message()));
  const std::string path = LogPath(dir);
  const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("cannot open", path);
  absl::StatusOr<std::string> line = ReadLastLine(fd, path);
  if (!line.ok()) {
    ::close(fd);
    return line.status();
  }
  int64_t count = 0;
  std::string last = kAuditGenesisHash;
  if (!line->empty()) {
    const Json entry = Json::parse(*line, nullptr, false);
    if (line->back() != '\n' || entry.is_discarded() || !entry.contains("index") || !entry.contains("hash")) {
      ::close(fd);
      return absl::DataLossError(absl::StrCat(path, ": the last line is not a complete audit record; run "
                                              "`catena audit verify` and restore the log from a backup"));
    }
    count = entry["index"].get<int64_t>() + 1;
    last = entry["hash"].get<std::string>();
  }
  return std::unique_ptr<AuditLog>(new AuditLog(dir, fd, sync, count, std::move(last)));
}

absl::Status AuditLog::WriteHead(int64_t count, const std::string& hash) {
  const std::string tmp = HeadPath(dir_) + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Errno("cannot open", tmp);
  absl::Status written = WriteAll(fd, Json{{"count", count}, {"hash", hash}}.dump() + "\n", tmp);
  if (written.ok() && sync_ && ::fsync(fd) != 0) written = Errno("cannot sync", tmp);
  ::close(fd);
  if (!written.ok()) return written;
  if (::rename(tmp.c_str(), HeadPath(dir_).c_str()) != 0) return Errno("cannot replace", HeadPath(dir_));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> AuditLog::Append(const nlohmann::json& record) {
  if (!record.is_object() || !record.contains("run_id") || !record["run_id"].is_string()) {
    return absl::InvalidArgumentError("an audit record must be a JSON object with a string run_id");
  }
  const std::string canonical = CanonicalAuditJson(record);
  std::unique_lock lock(mutex_);
  const std::string hash = AuditChainHash(last_hash_, canonical);
  const Json entry = {{"index", count_}, {"prev", last_hash_}, {"hash", hash}, {"record", record}};
  const std::string line = entry.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  if (absl::Status s = WriteAll(fd_, line, LogPath(dir_)); !s.ok()) return s;
  last_hash_ = hash;
  const int64_t index = count_++;
  if (absl::Status s = WaitDurable(lock, count_); !s.ok()) return s;
  return index;
}

absl::Status AuditLog::WaitDurable(std::unique_lock<std::mutex>& lock, int64_t count) {
  while (durable_count_ < count) {
    if (syncing_) {
      synced_.wait(lock);
      continue;
    }
    syncing_ = true;
    const int64_t batch_count = count_;
    const std::string batch_hash = last_hash_;
    ++sync_calls_;
    lock.unlock();
    absl::Status status = absl::OkStatus();
    if (sync_ && ::fdatasync(fd_) != 0) status = Errno("cannot sync", LogPath(dir_));
    if (status.ok()) status = WriteHead(batch_count, batch_hash);
    lock.lock();
    syncing_ = false;
    if (status.ok()) durable_count_ = std::max(durable_count_, batch_count);
    synced_.notify_all();
    if (!status.ok()) return status;  // waiters retry the sync themselves
  }
  return absl::OkStatus();
}

int64_t AuditLog::size() const {
  std::lock_guard lock(mutex_);
  return count_;
}

int64_t AuditLog::sync_count() const {
  std::lock_guard lock(mutex_);
  return sync_calls_;
}

absl::StatusOr<AuditVerifyResult> VerifyAuditLog(const std::string& dir) {
  absl::StatusOr<std::string> text = ReadFile(LogPath(dir));
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("no audit log in ", dir));
  absl::StatusOr<std::string> head_text = ReadFile(HeadPath(dir));
  const Json head = head_text.ok() ? Json::parse(*head_text, nullptr, false) : Json();
  const bool has_head = head.is_object() && head.contains("count") && head["count"].is_number_integer() &&
                        head.contains("hash") && head["hash"].is_string();
  const int64_t head_count = has_head ? head["count"].get<int64_t>() : -1;
  std::string hash_at_head = head_count == 0 ? kAuditGenesisHash : "";
  AuditVerifyResult result;
  std::string prev = kAuditGenesisHash;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    const bool complete = end != std::string::npos;
    const std::string line = text->substr(pos, complete ? end - pos : std::string::npos);
    std::string hash;
    std::string run_id;
    std::string problem = CheckLine(line, result.records, prev, &hash, &run_id);
    if (problem.empty() && !complete) problem = "the last line has no line end (cut short)";
    if (!problem.empty()) return AuditVerifyResult{false, result.records, result.records, run_id, problem};
    prev = hash;
    ++result.records;
    if (result.records == head_count) hash_at_head = hash;
    pos = end + 1;
  }
  if (!has_head) {
    if (result.records == 0) return result;
    return AuditVerifyResult{false, result.records, result.records, "", "audit.head is missing or unreadable"};
  }
  // The head names the last record of the last group commit; records after it were written since.
  if (head_count > result.records || head["hash"] != hash_at_head) {
    return AuditVerifyResult{false, result.records, std::min(result.records, head_count), "",
                             absl::StrCat("the log ends after ", result.records, " records but audit.head records ",
                                          head_count, " ending in another hash (records removed at the end, or "
                                          "rewritten)")};
  }
  return result;
}

absl::StatusOr<std::vector<nlohmann::json>> FindAuditRecords(const std::string& dir, std::string_view run_id) {
  absl::StatusOr<std::string> text = ReadFile(LogPath(dir));
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("no audit log in ", dir));
  std::vector<nlohmann::json> out;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    const Json entry = Json::parse(line, nullptr, false);
    if (entry.is_discarded() || !entry.contains("record") || !entry["record"].is_object()) continue;
    if (entry["record"].value("run_id", "") != run_id) continue;
    out.push_back({{"index", entry["index"]}, {"hash", entry["hash"]}, {"record", entry["record"]}});
  }
  if (out.empty()) return absl::NotFoundError(absl::StrCat("no audit record of run '", std::string(run_id), "'"));
  return out;
}

}  // namespace catena::guardrails
