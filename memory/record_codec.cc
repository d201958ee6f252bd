#include "memory/record_codec.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "storage/rocksdb_util.h"

namespace catena::memory::codec {
namespace {

void PutFixed64(std::string& out, int64_t value) {
  const auto bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((bits >> shift) & 0xff));
}

void PutString(std::string& out, std::string_view text) {
  PutFixed64(out, static_cast<int64_t>(text.size()));
  out.append(text);
}

// Reads what PutFixed64/PutString wrote; any overrun marks the reader failed.
class Reader {
 public:
  explicit Reader(std::string_view bytes) : rest_(bytes) {}
  int64_t Fixed64() {
    if (rest_.size() < 8) return Fail();
    uint64_t bits = 0;
    for (int i = 0; i < 8; ++i) bits = bits << 8 | static_cast<unsigned char>(rest_[i]);
    rest_.remove_prefix(8);
    return static_cast<int64_t>(bits);
  }
  std::string String() {
    const int64_t size = Fixed64();
    if (!ok_ || size < 0 || static_cast<uint64_t>(size) > rest_.size()) return Fail(), std::string();
    std::string text(rest_.substr(0, static_cast<size_t>(size)));
    rest_.remove_prefix(static_cast<size_t>(size));
    return text;
  }
  absl::Status Done(std::string_view kind) const {
    if (ok_ && rest_.empty()) return absl::OkStatus();
    return absl::DataLossError(absl::StrCat("memory store: malformed ", std::string(kind), " record"));
  }

 private:
  int64_t Fail() {
    ok_ = false;
    rest_ = {};
    return 0;
  }
  std::string_view rest_;
  bool ok_ = true;
};

}  // namespace

std::string TenantPrefix(std::string_view tenant) { return storage::JoinKeyParts({tenant}); }

std::string Key2(std::string_view tenant, std::string_view a) { return storage::JoinKeyParts({tenant, a}); }

std::string Key3(std::string_view tenant, std::string_view a, std::string_view b) {
  return storage::JoinKeyParts({tenant, a, b});
}

std::string KeyNumbered(std::string_view tenant, std::string_view a, int64_t number) {
  std::string key = Key2(tenant, a);
  storage::AppendOrderedInt64(key, number);
  return key;
}

std::optional<int64_t> TrailingNumber(std::string_view key) {
  if (key.size() < 8) return std::nullopt;
  return storage::ReadOrderedInt64(key.substr(key.size() - 8));
}

std::string_view TenantOf(std::string_view key) { return key.substr(0, key.find('\0')); }

std::string_view LastPart(std::string_view key) {
  if (key.empty() || key.back() != '\0') return {};
  key.remove_suffix(1);
  const size_t start = key.rfind('\0');
  return start == std::string_view::npos ? key : key.substr(start + 1);
}

std::string EncodeValue(int64_t written_unix_ms, std::string_view payload) {
  std::string out;
  out.reserve(8 + payload.size());
  PutFixed64(out, written_unix_ms);
  out.append(payload);
  return out;
}

absl::StatusOr<Value> DecodeValue(std::string_view bytes) {
  std::optional<int64_t> written = WrittenAt(bytes);
  if (!written) return absl::DataLossError("memory store: value shorter than its 8-byte header");
  return Value{*written, bytes.substr(8)};
}

std::optional<int64_t> WrittenAt(std::string_view bytes) {
  if (bytes.size() < 8) return std::nullopt;
  return Reader(bytes.substr(0, 8)).Fixed64();
}

std::string EncodeSession(const Session& session) {
  std::string out;
  PutString(out, session.id);
  PutString(out, session.user_id);
  PutString(out, session.metadata_json);
  PutFixed64(out, session.created_at_unix_ms);
  PutFixed64(out, session.updated_at_unix_ms);
  PutFixed64(out, session.message_count);
  return out;
}

absl::StatusOr<Session> DecodeSession(std::string_view payload) {
  Reader reader(payload);
  Session session;
  session.id = reader.String();
  session.user_id = reader.String();
  session.metadata_json = reader.String();
  session.created_at_unix_ms = reader.Fixed64();
  session.updated_at_unix_ms = reader.Fixed64();
  session.message_count = reader.Fixed64();
  CATENA_RETURN_IF_ERROR(reader.Done("session"));
  return session;
}

std::string EncodeMessage(const StoredMessage& stored) {
  const Message& message = stored.message;
  std::string out;
  PutFixed64(out, stored.seq);
  PutFixed64(out, static_cast<int64_t>(message.role));
  PutString(out, message.content);
  PutString(out, message.name);
  PutFixed64(out, static_cast<int64_t>(message.tool_calls.size()));
  for (const ToolCall& call : message.tool_calls) {
    PutString(out, call.id);
    PutString(out, call.name);
    PutString(out, call.arguments_json);
  }
  PutString(out, message.tool_call_id);
  PutString(out, message.metadata_json);
  PutFixed64(out, stored.created_at_unix_ms);
  PutFixed64(out, stored.token_count);
  return out;
}

absl::StatusOr<StoredMessage> DecodeMessage(std::string_view payload) {
  Reader reader(payload);
  StoredMessage stored;
  stored.seq = reader.Fixed64();
  const int64_t role = reader.Fixed64();
  if (role < 0 || role > static_cast<int64_t>(Role::kTool)) return absl::DataLossError("memory store: bad role");
  stored.message.role = static_cast<Role>(role);
  stored.message.content = reader.String();
  stored.message.name = reader.String();
  const int64_t calls = reader.Fixed64();
  for (int64_t i = 0; i < calls && i < static_cast<int64_t>(payload.size()); ++i) {
    ToolCall call;
    call.id = reader.String();
    call.name = reader.String();
    call.arguments_json = reader.String();
    stored.message.tool_calls.push_back(std::move(call));
  }
  stored.message.tool_call_id = reader.String();
  stored.message.metadata_json = reader.String();
  stored.created_at_unix_ms = reader.Fixed64();
  stored.token_count = static_cast<int32_t>(reader.Fixed64());
  CATENA_RETURN_IF_ERROR(reader.Done("message"));
  return stored;
}

std::string EncodeCheckpoint(const Checkpoint& checkpoint) {
  std::string out;
  PutString(out, checkpoint.run_id);
  PutFixed64(out, checkpoint.step);
  PutFixed64(out, checkpoint.parent_step);
  PutFixed64(out, checkpoint.created_at_unix_ms);
  PutString(out, checkpoint.user_id);
  PutString(out, checkpoint.state);
  return out;
}

absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view payload, bool with_state) {
  Reader reader(payload);
  Checkpoint checkpoint;
  checkpoint.run_id = reader.String();
  checkpoint.step = reader.Fixed64();
  checkpoint.parent_step = reader.Fixed64();
  checkpoint.created_at_unix_ms = reader.Fixed64();
  checkpoint.user_id = reader.String();
  if (!with_state) return checkpoint;
  checkpoint.state = reader.String();
  CATENA_RETURN_IF_ERROR(reader.Done("checkpoint"));
  return checkpoint;
}

std::string EncodeSeqs(const std::vector<int64_t>& seqs) {
  std::string out;
  for (int64_t seq : seqs) PutFixed64(out, seq);
  return out;
}

absl::StatusOr<std::vector<int64_t>> DecodeSeqs(std::string_view payload) {
  if (payload.size() % 8 != 0) return absl::DataLossError("memory store: malformed idempotency record");
  Reader reader(payload);
  std::vector<int64_t> seqs(payload.size() / 8);
  for (int64_t& seq : seqs) seq = reader.Fixed64();
  return seqs;
}

std::string EncodeFloats(const std::vector<float>& values) {
  std::string out(values.size() * sizeof(float), '\0');
  if (!values.empty()) std::memcpy(out.data(), values.data(), out.size());
  return out;
}

std::vector<float> DecodeFloats(std::string_view payload) {
  std::vector<float> values(payload.size() / sizeof(float));
  if (!values.empty()) std::memcpy(values.data(), payload.data(), values.size() * sizeof(float));
  return values;
}

std::string EncodeSummary(const Summary& summary) {
  std::string out;
  PutFixed64(out, summary.through_seq);
  PutString(out, summary.text);
  return out;
}

absl::StatusOr<Summary> DecodeSummary(std::string_view payload) {
  Reader reader(payload);
  Summary summary;
  summary.through_seq = reader.Fixed64();
  summary.text = reader.String();
  CATENA_RETURN_IF_ERROR(reader.Done("summary"));
  return summary;
}

std::string EncodePageToken(std::string_view resume_after) {
  return absl::WebSafeBase64Escape(absl::string_view(resume_after.data(), resume_after.size()));
}

absl::StatusOr<std::string> DecodePageToken(std::string_view token) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw) || raw.empty()) {
    return absl::InvalidArgumentError("page.page_token: not a token returned by this list call");
  }
  return raw;
}

}  // namespace catena::memory::codec
