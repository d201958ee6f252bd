// Internal to guardrails: the one-pass scanner of the built-in PII kinds (e-mail, phone, IBAN, card) behind
// PiiDetector::Find. Stateless; thread-safe.
#pragma once

#include <string_view>
#include <vector>

#include "guardrails/pii_detector.h"

namespace catena::guardrails::internal {

inline constexpr std::string_view kEmailLabel = "EMAIL";
inline constexpr std::string_view kPhoneLabel = "PHONE";
inline constexpr std::string_view kIbanLabel = "IBAN";
inline constexpr std::string_view kCardLabel = "CARD";

// Appends the built-in findings of `text` enabled in `options` to `out`, sorted by begin, not overlapping.
void ScanBuiltIns(std::string_view text, const PiiOptions& options, std::vector<PiiMatch>& out);

}  // namespace catena::guardrails::internal
