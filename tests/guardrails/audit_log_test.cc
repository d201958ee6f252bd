// The hash-chained audit log: chaining and reopening, records of one run, and tampering: an edited byte,
// swapped records, a deleted record, a cut tail and removed last records are each reported at the first bad
// record with its run id.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <thread>

#include "guardrails/audit_log.h"
#include "tests/support/temp_dir.h"

namespace catena::guardrails {
namespace {

using Json = nlohmann::json;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

// A log of runs run-0 .. run-4 in `dir`.
void WriteFive(const std::string& dir) {
  auto log = AuditLog::Open(dir, /*sync=*/false);
  REQUIRE(log.ok());
  for (int i = 0; i < 5; ++i) {
    auto index = (*log)->Append({{"run_id", "run-" + std::to_string(i)}, {"outputs", {{"answer", "a" + std::to_string(i)}}}});
    REQUIRE(index.ok());
    CHECK(*index == i);
  }
}

TEST_CASE("an intact audit log verifies and reopening continues the chain", "[unit]") {
  catena::testing::TempDir dir("audit");
  const std::string d = dir.path().string();
  WriteFive(d);
  {
    auto log = AuditLog::Open(d, false);
    REQUIRE(log.ok());
    CHECK((*log)->size() == 5);
    REQUIRE((*log)->Append({{"run_id", "run-5"}}).ok());
  }
  auto result = VerifyAuditLog(d);
  REQUIRE(result.ok());
  CHECK(result->ok);
  CHECK(result->records == 6);
  const std::vector<std::string> lines = Lines(Read(d + "/audit.jsonl"));
  const Json first = Json::parse(lines[0]);
  CHECK(first["prev"] == kAuditGenesisHash);
  CHECK(first["hash"] == AuditChainHash(kAuditGenesisHash, R"({"outputs":{"answer":"a0"},"run_id":"run-0"})"));
  CHECK(Json::parse(lines[1])["prev"] == first["hash"]);
  auto records = FindAuditRecords(d, "run-3");
  REQUIRE(records.ok());
  REQUIRE(records->size() == 1);
  CHECK((*records)[0]["record"]["outputs"]["answer"] == "a3");
  CHECK(FindAuditRecords(d, "run-9").status().code() == absl::StatusCode::kNotFound);
  CHECK_FALSE(AuditLog::Open(d, false).value()->Append({{"no_run_id", 1}}).ok());
}

AuditVerifyResult Tampered(const std::function<std::string(std::vector<std::string>)>& edit) {
  catena::testing::TempDir dir("audit-tamper");
  const std::string d = dir.path().string();
  WriteFive(d);
  Write(d + "/audit.jsonl", edit(Lines(Read(d + "/audit.jsonl"))));
  auto result = VerifyAuditLog(d);
  REQUIRE(result.ok());
  return *result;
}

TEST_CASE("an edited byte is reported at its record", "[unit]") {
  AuditVerifyResult r = Tampered([](std::vector<std::string> lines) {
    lines[2].replace(lines[2].find("\"a2\""), 4, "\"b2\"");
    return Join(lines);
  });
  CHECK_FALSE(r.ok);
  CHECK(r.first_bad == 2);
  CHECK(r.run_id == "run-2");
  CHECK(r.problem == "hash does not match the record's content (edited)");
}

TEST_CASE("swapped records are reported at the first moved one", "[unit]") {
  AuditVerifyResult r = Tampered([](std::vector<std::string> lines) {
    std::swap(lines[1], lines[3]);
    return Join(lines);
  });
  CHECK((!r.ok && r.first_bad == 1 && r.run_id == "run-3"));
  CHECK(r.problem == "index field says 3 (records reordered or removed)");
}

TEST_CASE("a deleted record is reported at the record after the gap", "[unit]") {
  AuditVerifyResult r = Tampered([](std::vector<std::string> lines) {
    lines.erase(lines.begin() + 2);
    return Join(lines);
  });
  CHECK((!r.ok && r.first_bad == 2 && r.run_id == "run-3"));
}

TEST_CASE("a deleted record with indexes rewritten still breaks the chain", "[unit]") {
  AuditVerifyResult r = Tampered([](std::vector<std::string> lines) {
    lines.erase(lines.begin() + 1);
    for (size_t i = 0; i < lines.size(); ++i) {
      Json entry = Json::parse(lines[i]);
      entry["index"] = i;
      lines[i] = entry.dump();
    }
    return Join(lines);
  });
  CHECK((!r.ok && r.first_bad == 1 && r.run_id == "run-2"));
  CHECK(r.problem == "prev does not match the previous record's hash");
}

TEST_CASE("a cut tail is reported, and so are whole records removed from the end", "[unit]") {
  AuditVerifyResult cut = Tampered([](std::vector<std::string> lines) {
    std::string text = Join(lines);
    return text.substr(0, text.size() - 20);
  });
  CHECK((!cut.ok && cut.first_bad == 4 && cut.records == 4));
  AuditVerifyResult removed = Tampered([](std::vector<std::string> lines) {
    lines.pop_back();
    return Join(lines);
  });
  CHECK((!removed.ok && removed.first_bad == 4));
  CHECK_THAT(removed.problem, Catch::Contains("audit.head records 5"));
}

TEST_CASE("records written after the last head update verify; a head naming no record does not", "[unit]") {
  catena::testing::TempDir dir("audit-head");
  const std::string d = dir.path().string();
  WriteFive(d);
  const std::vector<std::string> lines = Lines(Read(d + "/audit.jsonl"));
  const std::string third_hash = Json::parse(lines[2])["hash"].get<std::string>();
  // A crash between writing records 3-4 and the next head update leaves the head at record 2.
  Write(d + "/audit.head", Json{{"count", 3}, {"hash", third_hash}}.dump() + "\n");
  auto behind = VerifyAuditLog(d);
  REQUIRE(behind.ok());
  CHECK((behind->ok && behind->records == 5));
  Write(d + "/audit.head", Json{{"count", 3}, {"hash", std::string(64, 'a')}}.dump() + "\n");
  auto forged = VerifyAuditLog(d);
  REQUIRE(forged.ok());
  CHECK((!forged->ok && forged->first_bad == 3));
  CHECK_THAT(forged->problem, Catch::Contains("audit.head records 3"));
}

TEST_CASE("concurrent appends share syncs and every record is chained exactly once", "[unit]") {
  catena::testing::TempDir dir("audit-group");
  const std::string d = dir.path().string();
  auto log = AuditLog::Open(d, /*sync=*/true);
  REQUIRE(log.ok());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 40;
  std::vector<std::vector<int64_t>> indexes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto index = (*log)->Append({{"run_id", "run-" + std::to_string(t) + "-" + std::to_string(i)}});
        indexes[t].push_back(index.ok() ? *index : -1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::vector<int64_t> all;
  for (const auto& list : indexes) all.insert(all.end(), list.begin(), list.end());
  std::sort(all.begin(), all.end());
  for (int64_t i = 0; i < kThreads * kPerThread; ++i) REQUIRE(all[i] == i);
  // Each append returned after a sync that covered it, and waiting appends were covered by one sync.
  CHECK((*log)->sync_count() >= 1);
  CHECK((*log)->sync_count() < kThreads * kPerThread);
  auto verified = VerifyAuditLog(d);
  REQUIRE(verified.ok());
  CHECK((verified->ok && verified->records == kThreads * kPerThread));
  const Json head = Json::parse(Read(d + "/audit.head"));
  CHECK(head["count"] == kThreads * kPerThread);
}

TEST_CASE("a log whose last line is cut short is not appended to", "[unit]") {
  catena::testing::TempDir dir("audit-cut");
  const std::string d = dir.path().string();
  WriteFive(d);
  const std::string text = Read(d + "/audit.jsonl");
  Write(d + "/audit.jsonl", text.substr(0, text.size() - 5));
  auto log = AuditLog::Open(d, false);
  REQUIRE_FALSE(log.ok());
  CHECK(log.status().code() == absl::StatusCode::kDataLoss);
}

TEST_CASE("the chain hash is SHA-256 of the previous hash, a line end and the canonical record", "[unit]") {
  // hashlib.sha256(b'abc\n{"run_id":"r"}').hexdigest()
  CHECK(AuditChainHash("abc", R"({"run_id":"r"})") ==
        "8fa6166e0308f80d891679e37a3cbc95937ad7f7fe74da8c1b9bfe62166a8e62");
}

TEST_CASE("reopening continues the chain when records are longer than the tail read at start", "[unit]") {
  catena::testing::TempDir dir("audit-long");
  const std::string d = dir.path().string();
  {
    auto log = AuditLog::Open(d, false);
    REQUIRE(log.ok());
    for (int i = 0; i < 3; ++i) {
      REQUIRE((*log)->Append({{"run_id", "long-" + std::to_string(i)}, {"text", std::string(5000 + i * 3000, 'x')}}).ok());
    }
  }
  for (int reopen = 0; reopen < 2; ++reopen) {
    auto log = AuditLog::Open(d, false);
    REQUIRE(log.ok());
    CHECK((*log)->size() == 3 + reopen);
    auto index = (*log)->Append({{"run_id", "short-" + std::to_string(reopen)}});
    REQUIRE(index.ok());
    CHECK(*index == 3 + reopen);
  }
  auto result = VerifyAuditLog(d);
  REQUIRE(result.ok());
  CHECK(result->ok);
  CHECK(result->records == 5);
}

}  // namespace
}  // namespace catena::guardrails
