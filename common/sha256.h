// SHA-256 as lowercase hex, for content addressing (pipeline versions), API key hashes and the audit chain.
// Pure function, thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace catena {

// The SHA-256 digest of `data` as 64 lowercase hex characters.
std::string Sha256Hex(std::string_view data);

}  // namespace catena
