// MemoryStore::GetContext: the strategies that choose what goes into the next prompt.
//   kWindow      the last N messages.
//   kTokenBudget the newest messages whose token counts fit max_tokens.
//   kSummary     a running summary of older turns plus the newest messages within max_tokens / 2. Turns that fall
//                out of the window are summarized incrementally: the model sees the previous summary and only the
//                turns not yet covered, at most kTurnsPerSummaryCall per call; the result is stored.
//   kSemantic    the k earlier messages most similar (cosine, brute force over the session's stored embeddings) to
//                the query, in conversation order.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/embedder.h"
#include "inference/language_model.h"
#include "memory/memory_store.h"
#include "memory/record_codec.h"
#include "memory/store_internal.h"
#include "memory/token_counter.h"
#include "storage/rocksdb_util.h"

namespace catena::memory {
namespace {

constexpr int kMaxLastN = 1000;
constexpr int kMaxBudget = 1'000'000;
constexpr int kMaxK = 100;
constexpr int kTurnsPerSummaryCall = 100;

constexpr char kSummaryInstruction[] =
    "You maintain a running summary of a conversation for a future prompt. Keep names, numbers, decisions, "
    "preferences and open questions; drop pleasantries. Reply with the updated summary only.";

absl::Status ValidateContext(const ContextRequest& request) {
  CATENA_RETURN_IF_ERROR(ValidateId("session_id", request.session_id));
  switch (request.strategy) {
    case ContextStrategy::kWindow:
      if (request.last_n < 1 || request.last_n > kMaxLastN) {
        return absl::InvalidArgumentError(absl::StrCat("last_n: must be 1..1000, got ", request.last_n));
      }
      break;
    case ContextStrategy::kTokenBudget:
    case ContextStrategy::kSummary:
      if (request.max_tokens < 1 || request.max_tokens > kMaxBudget) {
        return absl::InvalidArgumentError(absl::StrCat("max_tokens: must be 1..1000000, got ", request.max_tokens));
      }
      break;
    case ContextStrategy::kSemantic:
      if (request.query.empty()) return absl::InvalidArgumentError("query: required for the semantic strategy");
      if (request.k < 1 || request.k > kMaxK) {
        return absl::InvalidArgumentError(absl::StrCat("k: must be 1..100, got ", request.k));
      }
      break;
  }
  return absl::OkStatus();
}

int32_t Tokens(const StoredMessage& message, const inference::Tokenizer* tokenizer) {
  return tokenizer == nullptr ? message.token_count : CountMessageTokens(message.message, tokenizer);
}

int32_t TotalTokens(const std::vector<StoredMessage>& messages, const inference::Tokenizer* tokenizer) {
  int32_t total = 0;
  for (const StoredMessage& message : messages) total += Tokens(message, tokenizer);
  return total;
}

// The newest messages (oldest first) whose tokens sum to at most `budget`.
std::vector<StoredMessage> FitBudget(std::vector<StoredMessage> messages, int64_t budget,
                                     const inference::Tokenizer* tokenizer) {
  size_t first = messages.size();
  int64_t used = 0;
  while (first > 0 && used + Tokens(messages[first - 1], tokenizer) <= budget) {
    used += Tokens(messages[first - 1], tokenizer);
    --first;
  }
  messages.erase(messages.begin(), messages.begin() + static_cast<std::ptrdiff_t>(first));
  return messages;
}

// The model's summary of `previous` (may be empty) extended by `turns`.
absl::StatusOr<std::string> Summarize(const inference::LanguageModel& model, const std::string& previous,
                                      std::vector<inference::ChatTurn> turns, int max_tokens) {
  std::string instruction = kSummaryInstruction;
  if (!previous.empty()) absl::StrAppend(&instruction, "\n\nSummary so far:\n", previous);
  turns.insert(turns.begin(), {"system", instruction});
  return model.Complete(turns, {.max_tokens = max_tokens, .temperature = 0});
}

double Cosine(const std::vector<float>& a, const std::vector<float>& b) {
  if (a.size() != b.size() || a.empty()) return -2;
  double dot = 0, norm_a = 0, norm_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    dot += static_cast<double>(a[i]) * b[i];
    norm_a += static_cast<double>(a[i]) * a[i];
    norm_b += static_cast<double>(b[i]) * b[i];
  }
  if (norm_a == 0 || norm_b == 0) return 0;
  return dot / std::sqrt(norm_a * norm_b);
}

}  // namespace

absl::StatusOr<ContextResult> MemoryStore::GetContext(std::string_view tenant, const ContextRequest& request) {
  CATENA_RETURN_IF_ERROR(ValidateContext(request));
  CATENA_ASSIGN_OR_RETURN(Session session, GetSession(tenant, request.session_id));
  const inference::Tokenizer* tokenizer = nullptr;
  if (!request.model.empty() && options_.tokenizer_for_model) tokenizer = options_.tokenizer_for_model(request.model);
  ContextResult result;
  switch (request.strategy) {
    case ContextStrategy::kWindow: {
      CATENA_ASSIGN_OR_RETURN(result.messages, LastMessages(tenant, session, 0, request.last_n));
      break;
    }
    case ContextStrategy::kTokenBudget: {
      // Every message costs at least kMessageOverheadTokens, so no more than this many can fit.
      const int limit = request.max_tokens / kMessageOverheadTokens + 1;
      CATENA_ASSIGN_OR_RETURN(std::vector<StoredMessage> newest, LastMessages(tenant, session, 0, limit));
      result.messages = FitBudget(std::move(newest), request.max_tokens, tokenizer);
      break;
    }
    case ContextStrategy::kSummary:
      return SummaryContext(tenant, request, tokenizer);
    case ContextStrategy::kSemantic:
      return SemanticContext(tenant, request);
  }
  result.token_count = TotalTokens(result.messages, tokenizer);
  return result;
}

absl::StatusOr<ContextResult> MemoryStore::SummaryContext(std::string_view tenant, const ContextRequest& request,
                                                          const inference::Tokenizer* tokenizer) {
  if (options_.summarizer == nullptr) {
    return absl::FailedPreconditionError("no language model configured for summaries (strategy SUMMARY)");
  }
  CATENA_ASSIGN_OR_RETURN(const Session session, GetSession(tenant, request.session_id));
  const std::string key = codec::Key2(tenant, request.session_id);
  std::lock_guard<std::mutex> lock(summary_stripes_[std::hash<std::string>()(key) % kStripes]);
  codec::Summary summary;
  CATENA_ASSIGN_OR_RETURN(std::optional<std::string> stored, GetLive(kSummaries, key));
  if (stored) {
    CATENA_ASSIGN_OR_RETURN(summary, codec::DecodeSummary(*stored));
  }
  const int recent_budget = std::max(1, request.max_tokens / 2);
  CATENA_ASSIGN_OR_RETURN(std::vector<StoredMessage> newest, LastMessages(tenant, session, summary.through_seq,
                                                                          recent_budget / kMessageOverheadTokens + 1));
  ContextResult result;
  result.messages = FitBudget(std::move(newest), recent_budget, tokenizer);
  const int64_t boundary = result.messages.empty() ? session.message_count : result.messages.front().seq - 1;
  while (summary.through_seq < boundary) {
    const int64_t upto = std::min<int64_t>(boundary, summary.through_seq + kTurnsPerSummaryCall);
    std::vector<inference::ChatTurn> turns;
    std::string covered;  // resume after the last covered turn
    storage::AppendOrderedInt64(covered, summary.through_seq);
    CATENA_RETURN_IF_ERROR(Scan(kMessages, key, covered, false, [&](std::string_view k, std::string_view payload) {
      if (codec::TrailingNumber(k).value_or(0) > upto) return false;
      absl::StatusOr<StoredMessage> message = codec::DecodeMessage(payload);
      if (message.ok()) turns.push_back({RoleName(message->message.role), message->message.content});
      return true;
    }));
    CATENA_ASSIGN_OR_RETURN(summary.text,
                            Summarize(*options_.summarizer, summary.text, std::move(turns), recent_budget));
    summary.through_seq = upto;
    BatchWriter batch;
    batch.batch.Put(handles_[kSummaries], key, codec::EncodeValue(ttl_.NowMs(), codec::EncodeSummary(summary)));
    CATENA_RETURN_IF_ERROR(Write(batch));
  }
  result.summary = summary.text;
  result.token_count =
      TotalTokens(result.messages, tokenizer) + (summary.text.empty() ? 0 : CountTextTokens(summary.text, tokenizer));
  return result;
}

absl::StatusOr<ContextResult> MemoryStore::SemanticContext(std::string_view tenant, const ContextRequest& request) {
  if (options_.embedder == nullptr) {
    return absl::FailedPreconditionError("no embedder configured (strategy SEMANTIC)");
  }
  CATENA_ASSIGN_OR_RETURN(inference::Embeddings query, options_.embedder->Embed(std::vector<std::string>{request.query},
                                                                                inference::EmbedInputKind::kQuery));
  if (query.size() != 1) return absl::InternalError("embedder returned no vector for the query");
  const std::vector<float> query_vector(query.Row(0).begin(), query.Row(0).end());
  std::vector<std::pair<double, int64_t>> scored;  // (score, seq)
  const std::string prefix = codec::Key2(tenant, request.session_id);
  CATENA_RETURN_IF_ERROR(Scan(kEmbeddings, prefix, "", false, [&](std::string_view key, std::string_view payload) {
    scored.emplace_back(Cosine(query_vector, codec::DecodeFloats(payload)), codec::TrailingNumber(key).value_or(0));
    return true;
  }));
  const size_t k = std::min(scored.size(), static_cast<size_t>(request.k));
  std::partial_sort(
      scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end(),
      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
  scored.resize(k);
  std::sort(scored.begin(), scored.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
  ContextResult result;
  for (const auto& [score, seq] : scored) {
    CATENA_ASSIGN_OR_RETURN(std::optional<std::string> payload,
                            GetLive(kMessages, codec::KeyNumbered(tenant, request.session_id, seq)));
    if (!payload) continue;
    CATENA_ASSIGN_OR_RETURN(StoredMessage message, codec::DecodeMessage(*payload));
    result.token_count += message.token_count;
    result.messages.push_back(std::move(message));
  }
  return result;
}

}  // namespace catena::memory
