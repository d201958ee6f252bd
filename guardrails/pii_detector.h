// PiiDetector: finds personal data in text in one pass: e-mail addresses, phone numbers (international +CC /
// 00CC, North American and national trunk-0 formats), IBANs (per-country length and mod-97) and payment card
// numbers (issuer prefix, 13-19 digits, Luhn), plus configured RE2 patterns and whole-word dictionary terms.
// Used by the guard.pii_redact node (agents/) through PiiVault. Immutable after Create; Find is thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace re2 {
class RE2;
}

namespace catena::guardrails {

// A labelled RE2 pattern; every match is personal data of kind `label` (upper case, e.g. "CUSTOMER_ID").
struct PiiPattern {
  std::string label;
  std::string regex;
};

struct PiiOptions {
  bool email = true;
  bool phone = true;
  bool iban = true;
  bool card = true;
  std::vector<PiiPattern> patterns;
  // Terms matched case-insensitively as whole words (names of customers, projects...).
  std::vector<std::string> dictionary;
  std::string dictionary_label = "TERM";
};

// One finding: bytes [begin, end) of the text, of kind `label` ("EMAIL", "PHONE", "IBAN", "CARD" or a
// configured label; the view points into the detector and lives as long as it).
struct PiiMatch {
  size_t begin = 0;
  size_t end = 0;
  std::string_view label;
};

class PiiDetector {
 public:
  // A detector for `options`; INVALID_ARGUMENT naming the bad pattern or label ("patterns[1].regex: ...").
  static absl::StatusOr<std::unique_ptr<PiiDetector>> Create(PiiOptions options);
  ~PiiDetector();

  // Every finding in `text`, sorted by begin, never overlapping (the earlier, then the longer one wins).
  std::vector<PiiMatch> Find(std::string_view text) const;

  const PiiOptions& options() const { return options_; }

 private:
  struct Matcher {
    std::string_view label;  // into options_
    std::unique_ptr<re2::RE2> regex;
  };
  explicit PiiDetector(PiiOptions options);

  PiiOptions options_;
  std::vector<Matcher> matchers_;  // patterns, then the dictionary
};

// True for a label usable in placeholders: [A-Z][A-Z0-9_]{0,31}.
bool ValidPiiLabel(std::string_view label);

}  // namespace catena::guardrails
