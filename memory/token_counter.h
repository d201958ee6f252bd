// Token counting for context budgets. With a model's Tokenizer: its token count of the message text plus a fixed
// per-message overhead. Without one, the documented estimator: ceil(UTF-8 code points / 4) + 4 per message.
// "Message text" is content, name, tool-call names and arguments and tool_call_id. Stateless; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "memory/memory_types.h"

namespace catena::inference {
class Tokenizer;
}

namespace catena::memory {

// Tokens a chat template spends per message on role markers and separators.
inline constexpr int32_t kMessageOverheadTokens = 4;

// ceil(code points of `text` / 4); invalid UTF-8 bytes count as one code point each.
int32_t EstimateTextTokens(std::string_view text);

// Tokens of `message`: `tokenizer` when not null, the estimator otherwise; includes kMessageOverheadTokens.
int32_t CountMessageTokens(const Message& message, const inference::Tokenizer* tokenizer);

// Tokens of a bare text (a summary): tokenizer count or estimate, no overhead.
int32_t CountTextTokens(std::string_view text, const inference::Tokenizer* tokenizer);

}  // namespace catena::memory
