// PiiVault (pii_vault.h): placeholder allocation, redaction and restoration.
#include "guardrails/pii_vault.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "guardrails/pii_scan.h"

namespace catena::guardrails {
namespace {

bool IsKeyChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }

// Parses "[KEY...]" at `text[i]` == '['; returns the key ("CARD_1") and sets *end past ']', or "".
std::string_view ParsePlaceholder(std::string_view text, size_t i, size_t* end) {
  size_t k = i + 1;
  while (k < text.size() && k - i <= 40 && IsKeyChar(text[k])) ++k;
  const std::string_view key = text.substr(i + 1, k - i - 1);
  const size_t underscore = key.rfind('_');
  if (underscore == std::string_view::npos || underscore == 0 || underscore + 1 == key.size()) return {};
  for (size_t d = underscore + 1; d < key.size(); ++d) {
    if (key[d] < '0' || key[d] > '9') return {};
  }
  size_t close = k;
  if (close < text.size() && text[close] == ' ') {  // optional suffix such as " ****1111"
    while (close < text.size() && close - k <= 24 && text[close] != ']' && text[close] != '[') ++close;
  }
  if (close >= text.size() || text[close] != ']') return {};
  *end = close + 1;
  return key;
}

}  // namespace

std::string NormalizePiiValue(std::string_view label, std::string_view value) {
  if (label == internal::kEmailLabel) return absl::AsciiStrToLower(std::string(value));
  if (label == internal::kCardLabel || label == internal::kPhoneLabel || label == internal::kIbanLabel) {
    std::string out;
    for (char c : value) {
      if (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+') out.push_back(absl::ascii_toupper(c));
    }
    if (out.size() > 2 && out[0] == '0' && out[1] == '0') out = "+" + out.substr(2);
    return out;
  }
  return std::string(value);
}

std::string PiiVault::PlaceholderFor(std::string_view label, std::string_view value) {
  const std::string name(label);
  std::string identity = absl::StrCat(name, "\n", NormalizePiiValue(label, value));
  std::lock_guard lock(mutex_);
  auto [it, inserted] = placeholders_.try_emplace(std::move(identity));
  if (inserted) {
    it->second = absl::StrCat(name, "_", ++next_[name]);
    originals_[it->second] = std::string(value);
  }
  if (label != internal::kCardLabel) return absl::StrCat("[", it->second, "]");
  std::string last4;
  for (size_t i = value.size(); i-- > 0 && last4.size() < 4;) {
    if (value[i] >= '0' && value[i] <= '9') last4.insert(last4.begin(), value[i]);
  }
  return absl::StrCat("[", it->second, " ****", last4, "]");
}

Redaction PiiVault::Redact(const PiiDetector& detector, std::string_view text) {
  Redaction out;
  const std::vector<PiiMatch> matches = detector.Find(text);
  if (matches.empty()) {
    out.text = std::string(text);
    return out;
  }
  out.text.reserve(text.size() + 16 * matches.size());
  size_t pos = 0;
  for (const PiiMatch& m : matches) {
    out.text.append(text.substr(pos, m.begin - pos));
    out.text.append(PlaceholderFor(m.label, text.substr(m.begin, m.end - m.begin)));
    ++out.counts[std::string(m.label)];
    pos = m.end;
  }
  out.text.append(text.substr(pos));
  return out;
}

std::string PiiVault::Restore(std::string_view text, const std::set<std::string>& keep) const {
  std::string out;
  out.reserve(text.size());
  std::lock_guard lock(mutex_);
  size_t pos = 0;
  for (size_t i = text.find('['); i != std::string_view::npos; i = text.find('[', i + 1)) {
    size_t end = 0;
    const std::string_view key = ParsePlaceholder(text, i, &end);
    if (key.empty()) continue;
    auto it = originals_.find(std::string(key));
    if (it == originals_.end() || keep.count(std::string(key.substr(0, key.rfind('_')))) > 0) continue;
    out.append(text.substr(pos, i - pos));
    out.append(it->second);
    pos = end;
    i = end - 1;
  }
  out.append(text.substr(pos));
  return out;
}

size_t PiiVault::size() const {
  std::lock_guard lock(mutex_);
  return originals_.size();
}

}  // namespace catena::guardrails
