// PiiVault: the placeholders of one run. Redact replaces each finding of a PiiDetector with a placeholder that
// is stable within the vault ("[EMAIL_1]": the same address always gets the same one; cards keep their last
// four digits, "[CARD_1 ****1111]"), and keeps placeholder -> original so Restore can put originals back into
// a final answer. The originals never leave the vault except through Restore. Thread-safe (one mutex).
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>

#include "guardrails/pii_detector.h"

namespace catena::guardrails {

// Redacted text and how many findings of each label it had (what run events may report).
struct Redaction {
  std::string text;
  std::map<std::string, int> counts;
};

class PiiVault {
 public:
  // `text` with every finding of `detector` replaced by its placeholder.
  Redaction Redact(const PiiDetector& detector, std::string_view text);
  // The placeholder of `value` found as `label`, allocating the next number for a new value.
  std::string PlaceholderFor(std::string_view label, std::string_view value);
  // `text` with every known placeholder replaced by its original, except those whose label is in `keep`
  // (e.g. {"CARD"}: cards stay masked). Unknown placeholders are left as they are. The placeholder's suffix
  // after its number ("[CARD_1 ****1111]") is not compared, so a model that shortens it to "[CARD_1]" works.
  std::string Restore(std::string_view text, const std::set<std::string>& keep = {}) const;
  // Number of distinct values held.
  size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> placeholders_;  // label + '\n' + normalized value -> key
  std::unordered_map<std::string, std::string> originals_;     // key ("CARD_1") -> original text
  std::unordered_map<std::string, int> next_;                  // label -> last number used
};

// The identity of a value for placeholder reuse: digits (and letters) upper-cased for numbers and IBANs,
// lower case for e-mail addresses, the text itself otherwise.
std::string NormalizePiiValue(std::string_view label, std::string_view value);

}  // namespace catena::guardrails
