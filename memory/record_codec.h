// Byte layouts of the memory store: tenant-prefixed keys of every column family and the encoded values
// (each value starts with its 8-byte write time, which TTL checks read). Used only inside memory/. Stateless.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "memory/memory_types.h"

namespace catena::memory::codec {

// Key parts: every key starts with the tenant, so one tenant's records form one contiguous key range.
std::string TenantPrefix(std::string_view tenant);
// (tenant, a) as a prefix; used for sessions, summaries, a session's messages and a user's facts.
std::string Key2(std::string_view tenant, std::string_view a);
// (tenant, a, b).
std::string Key3(std::string_view tenant, std::string_view a, std::string_view b);
// (tenant, a, number) with `number` in byte order == numeric order (message seq, checkpoint step).
std::string KeyNumbered(std::string_view tenant, std::string_view a, int64_t number);
// The number at the end of a KeyNumbered key; nullopt when too short.
std::optional<int64_t> TrailingNumber(std::string_view key);
// The tenant of any key (bytes up to the first 0x00).
std::string_view TenantOf(std::string_view key);
// The last 0x00-terminated part of a key ("" when malformed).
std::string_view LastPart(std::string_view key);

// A stored value: write time plus payload.
struct Value {
  int64_t written_unix_ms = 0;
  std::string_view payload;
};
std::string EncodeValue(int64_t written_unix_ms, std::string_view payload);
// DATA_LOSS when shorter than the 8-byte header.
absl::StatusOr<Value> DecodeValue(std::string_view bytes);
// The write time of a stored value; nullopt when malformed.
std::optional<int64_t> WrittenAt(std::string_view bytes);

// Payloads. Decoders return DATA_LOSS naming the record kind on malformed bytes.
std::string EncodeSession(const Session& session);
absl::StatusOr<Session> DecodeSession(std::string_view payload);
std::string EncodeMessage(const StoredMessage& message);
absl::StatusOr<StoredMessage> DecodeMessage(std::string_view payload);
std::string EncodeCheckpoint(const Checkpoint& checkpoint);
absl::StatusOr<Checkpoint> DecodeCheckpoint(std::string_view payload, bool with_state = true);
std::string EncodeSeqs(const std::vector<int64_t>& seqs);
absl::StatusOr<std::vector<int64_t>> DecodeSeqs(std::string_view payload);
std::string EncodeFloats(const std::vector<float>& values);
std::vector<float> DecodeFloats(std::string_view payload);

// Running summary of a session: the text and the last message seq it covers.
struct Summary {
  std::string text;
  int64_t through_seq = 0;
};
std::string EncodeSummary(const Summary& summary);
absl::StatusOr<Summary> DecodeSummary(std::string_view payload);

// Page tokens: web-safe base64 of the key suffix to resume after; decoding rejects anything else.
std::string EncodePageToken(std::string_view resume_after);
absl::StatusOr<std::string> DecodePageToken(std::string_view token);

}  // namespace catena::memory::codec
