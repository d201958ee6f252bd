// MemoryStore: message append and listing, facts and erasure.
#include <rocksdb/db.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/grpc_util.h"
#include "common/status.h"
#include "inference/embedder.h"
#include "memory/memory_store.h"
#include "memory/record_codec.h"
#include "memory/store_internal.h"
#include "memory/token_counter.h"
#include "storage/rocksdb_util.h"

namespace catena::memory {
namespace {

constexpr size_t kMaxMessages = 1000;
constexpr size_t kMaxContentBytes = 1 << 20;
constexpr size_t kMaxFacts = 256;

absl::Status ValidateJsonObject(absl::string_view field, std::string_view text) {
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a JSON object"));
  return absl::OkStatus();
}

absl::Status ValidateMessage(const Message& message, size_t index) {
  const std::string field = absl::StrCat("messages[", index, "]");
  if (message.role == Role::kUnspecified) return absl::InvalidArgumentError(absl::StrCat(field, ".role: required"));
  if (message.content.size() > kMaxContentBytes) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".content: larger than 1 MiB"));
  }
  if (message.role == Role::kTool && message.tool_call_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, ".tool_call_id: required for tool messages"));
  }
  for (size_t i = 0; i < message.tool_calls.size(); ++i) {
    const ToolCall& call = message.tool_calls[i];
    const std::string call_field = absl::StrCat(field, ".tool_calls[", i, "]");
    if (call.id.empty()) return absl::InvalidArgumentError(absl::StrCat(call_field, ".id: required"));
    if (call.name.empty()) return absl::InvalidArgumentError(absl::StrCat(call_field, ".name: required"));
    CATENA_RETURN_IF_ERROR(ValidateJsonObject(absl::StrCat(call_field, ".arguments_json"), call.arguments_json));
  }
  if (!message.metadata_json.empty()) {
    CATENA_RETURN_IF_ERROR(ValidateJsonObject(absl::StrCat(field, ".metadata"), message.metadata_json));
  }
  return absl::OkStatus();
}

absl::Status ValidateAppend(std::string_view session_id, std::span<const Message> messages,
                            std::string_view idempotency_key) {
  CATENA_RETURN_IF_ERROR(ValidateId("session_id", session_id));
  if (messages.empty() || messages.size() > kMaxMessages) {
    return absl::InvalidArgumentError(absl::StrCat("messages: must hold 1..1000 messages, got ", messages.size()));
  }
  for (size_t i = 0; i < messages.size(); ++i) CATENA_RETURN_IF_ERROR(ValidateMessage(messages[i], i));
  if (!idempotency_key.empty()) CATENA_RETURN_IF_ERROR(ValidateName("idempotency_key", idempotency_key));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::vector<float>>> MemoryStore::EmbedMessages(std::span<const Message> messages) const {
  if (options_.embedder == nullptr) return std::vector<std::vector<float>>();
  std::vector<std::string> texts;
  for (const Message& message : messages) texts.push_back(message.content);
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings embeddings,
                          options_.embedder->Embed(texts, inference::EmbedInputKind::kDocument));
  std::vector<std::vector<float>> rows;
  for (size_t i = 0; i < embeddings.size(); ++i) {
    std::span<const float> row = embeddings.Row(i);
    rows.emplace_back(row.begin(), row.end());
  }
  return rows;
}

absl::StatusOr<std::vector<int64_t>> MemoryStore::AppendMessages(std::string_view tenant, std::string_view session_id,
                                                                 std::span<const Message> messages,
                                                                 std::string_view idempotency_key) {
  CATENA_RETURN_IF_ERROR(ValidateAppend(session_id, messages, idempotency_key));
  CATENA_ASSIGN_OR_RETURN(std::vector<std::vector<float>> embeddings, EmbedMessages(messages));
  const std::string session_key = codec::Key2(tenant, session_id);
  const std::string idempotency_record = codec::Key3(tenant, session_id, idempotency_key);
  std::lock_guard<std::mutex> lock(Stripe(tenant, session_id));
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> session_payload, GetLive(kSessions, session_key));
  if (!session_payload) return absl::NotFoundError(absl::StrCat("session '", std::string(session_id), "' not found"));
  if (!idempotency_key.empty()) {
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> seen, GetLive(kIdempotency, idempotency_record));
    if (seen) return codec::DecodeSeqs(*seen);
  }
  CATENA_ASSIGN_OR_RETURN(Session session, codec::DecodeSession(*session_payload));
  const int64_t now = ttl_.NowMs();
  BatchWriter batch;
  std::vector<int64_t> seqs;
  for (size_t i = 0; i < messages.size(); ++i) {
    StoredMessage stored{.seq = session.message_count + 1 + static_cast<int64_t>(i),
                         .message = messages[i],
                         .created_at_unix_ms = now,
                         .token_count = CountMessageTokens(messages[i], nullptr)};
    const std::string key = codec::KeyNumbered(tenant, session_id, stored.seq);
    batch.batch.Put(handles_[kMessages], key, codec::EncodeValue(now, codec::EncodeMessage(stored)));
    if (i < embeddings.size()) {
      batch.batch.Put(handles_[kEmbeddings], key, codec::EncodeValue(now, codec::EncodeFloats(embeddings[i])));
    }
    seqs.push_back(stored.seq);
  }
  session.message_count += static_cast<int64_t>(messages.size());
  session.updated_at_unix_ms = now;
  batch.batch.Put(handles_[kSessions], session_key, codec::EncodeValue(now, codec::EncodeSession(session)));
  if (!idempotency_key.empty()) {
    batch.batch.Put(handles_[kIdempotency], idempotency_record, codec::EncodeValue(now, codec::EncodeSeqs(seqs)));
  }
  CATENA_RETURN_IF_ERROR(Write(batch));
  return seqs;
}

absl::StatusOr<Page<StoredMessage>> MemoryStore::ListMessages(std::string_view tenant, std::string_view session_id,
                                                              bool reverse, const PageSpec& page) const {
  CATENA_ASSIGN_OR_RETURN(const int page_size, PageSizeOrDefault(page.page_size));
  CATENA_RETURN_IF_ERROR(GetSession(tenant, session_id).status());
  std::string resume;
  if (!page.page_token.empty()) {
    CATENA_ASSIGN_OR_RETURN(resume, codec::DecodePageToken(page.page_token));
  }
  const std::string prefix = codec::Key2(tenant, session_id);
  Page<StoredMessage> result;
  absl::Status decode_status;
  CATENA_RETURN_IF_ERROR(Scan(kMessages, prefix, resume, reverse, [&](std::string_view key, std::string_view payload) {
    if (static_cast<int>(result.items.size()) == page_size) {
      std::string last;
      storage::AppendOrderedInt64(last, result.items.back().seq);
      result.next_page_token = codec::EncodePageToken(last);
      return false;
    }
    absl::StatusOr<StoredMessage> message = codec::DecodeMessage(payload);
    if (!message.ok()) return decode_status = message.status(), false;
    result.items.push_back(*std::move(message));
    return true;
  }));
  CATENA_RETURN_IF_ERROR(decode_status);
  return result;
}

absl::StatusOr<std::vector<StoredMessage>> MemoryStore::LastMessages(std::string_view tenant, const Session& session,
                                                                     int64_t after_seq, int limit) const {
  const int64_t first = std::max(after_seq + 1, session.message_count - limit + 1);
  std::string resume;  // the key suffix just before `first`
  storage::AppendOrderedInt64(resume, first - 1);
  std::vector<StoredMessage> messages;
  absl::Status decode_status;
  CATENA_RETURN_IF_ERROR(
      Scan(kMessages, codec::Key2(tenant, session.id), resume, false, [&](std::string_view, std::string_view payload) {
        absl::StatusOr<StoredMessage> message = codec::DecodeMessage(payload);
        if (!message.ok()) return decode_status = message.status(), false;
        messages.push_back(*std::move(message));
        return static_cast<int>(messages.size()) < limit;
      }));
  CATENA_RETURN_IF_ERROR(decode_status);
  return messages;
}

absl::Status MemoryStore::PutFacts(std::string_view tenant, std::string_view user_id,
                                   const std::map<std::string, std::string>& facts) {
  CATENA_RETURN_IF_ERROR(ValidateName("user_id", user_id));
  if (facts.size() > kMaxFacts) {
    return absl::InvalidArgumentError(absl::StrCat("facts: at most 256 facts, got ", facts.size()));
  }
  for (const auto& [key, value] : facts) CATENA_RETURN_IF_ERROR(ValidateName(absl::StrCat("facts[", key, "]"), key));
  const int64_t now = ttl_.NowMs();
  BatchWriter batch;
  for (const auto& [key, value] : facts) {
    const std::string record = codec::Key3(tenant, user_id, key);
    if (value.empty()) {
      batch.batch.Delete(handles_[kFacts], record);
    } else {
      batch.batch.Put(handles_[kFacts], record, codec::EncodeValue(now, value));
    }
  }
  return Write(batch);
}

absl::StatusOr<std::map<std::string, std::string>> MemoryStore::GetFacts(std::string_view tenant,
                                                                         std::string_view user_id) const {
  CATENA_RETURN_IF_ERROR(ValidateName("user_id", user_id));
  std::map<std::string, std::string> facts;
  CATENA_RETURN_IF_ERROR(
      Scan(kFacts, codec::Key2(tenant, user_id), "", false, [&](std::string_view key, std::string_view payload) {
        facts.emplace(codec::LastPart(key), payload);
        return true;
      }));
  return facts;
}

absl::StatusOr<EraseCounts> MemoryStore::EraseUser(std::string_view tenant, std::string_view user_id) {
  CATENA_RETURN_IF_ERROR(ValidateName("user_id", user_id));
  EraseCounts counts;
  std::vector<Session> sessions;
  absl::Status decode_status;
  CATENA_RETURN_IF_ERROR(Scan(
      kSessions, codec::TenantPrefix(tenant), "", false,
      [&](auto, std::string_view payload) {
        absl::StatusOr<Session> session = codec::DecodeSession(payload);
        if (!session.ok()) return decode_status = session.status(), false;
        if (session->user_id == user_id) sessions.push_back(*std::move(session));
        return true;
      },
      /*include_expired=*/true));
  CATENA_RETURN_IF_ERROR(decode_status);
  for (const Session& session : sessions) {
    std::lock_guard<std::mutex> lock(Stripe(tenant, session.id));
    CATENA_RETURN_IF_ERROR(EraseSession(tenant, session, counts).status());
  }
  BatchWriter batch;
  CATENA_ASSIGN_OR_RETURN(counts.facts, DeletePrefix(kFacts, codec::Key2(tenant, user_id), batch));
  CATENA_RETURN_IF_ERROR(Write(batch));
  CATENA_ASSIGN_OR_RETURN(counts.checkpoints, EraseCheckpoints(tenant, user_id));
  return counts;
}

}  // namespace catena::memory
