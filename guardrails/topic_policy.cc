// TopicPolicy (topic_policy.h): term lists compiled into one RE2 alternation each; links found with one RE2.
#include "guardrails/topic_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "re2/re2.h"

namespace catena::guardrails {
namespace {

absl::StatusOr<std::unique_ptr<re2::RE2>> TermsRegex(const std::vector<std::string>& terms, const char* field) {
  if (terms.empty()) return nullptr;
  std::string alternation;
  for (size_t i = 0; i < terms.size(); ++i) {
    if (terms[i].empty()) return absl::InvalidArgumentError(absl::StrCat(field, "[", i, "] is empty"));
    absl::StrAppend(&alternation, i == 0 ? "" : "|", re2::RE2::QuoteMeta(terms[i]));
  }
  re2::RE2::Options options;
  options.set_case_sensitive(false);
  options.set_max_mem(32 << 20);
  return std::make_unique<re2::RE2>(absl::StrCat("\\b(", alternation, ")\\b"), options);
}

bool ValidDomain(std::string_view domain) {
  if (domain.empty() || domain.front() == '.' || domain.back() == '.') return false;
  for (char c : domain) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace

bool HostInDomain(std::string_view host, std::string_view domain) {
  const std::string h = absl::AsciiStrToLower(std::string(host));
  const std::string d = absl::AsciiStrToLower(std::string(domain));
  if (h == d) return true;
  return h.size() > d.size() && h.compare(h.size() - d.size(), d.size(), d) == 0 && h[h.size() - d.size() - 1] == '.';
}

TopicPolicy::TopicPolicy() = default;
TopicPolicy::~TopicPolicy() = default;

absl::StatusOr<std::unique_ptr<TopicPolicy>> TopicPolicy::Create(TopicOptions options) {
  std::unique_ptr<TopicPolicy> policy(new TopicPolicy());
  auto deny = TermsRegex(options.deny, "deny");
  if (!deny.ok()) return deny.status();
  auto allow = TermsRegex(options.allow, "allow");
  if (!allow.ok()) return allow.status();
  policy->deny_ = *std::move(deny);
  policy->allow_ = *std::move(allow);
  for (size_t i = 0; i < options.allowed_domains.size(); ++i) {
    if (!ValidDomain(options.allowed_domains[i])) {
      return absl::InvalidArgumentError(absl::StrCat("allowed_domains[", i, "] '", options.allowed_domains[i],
                                                     "' is not a domain name (letters, digits, '-', '.')"));
    }
    policy->domains_.push_back(absl::AsciiStrToLower(options.allowed_domains[i]));
  }
  return policy;
}

TopicVerdict TopicPolicy::Check(std::string_view text) const {
  const re2::StringPiece input(text.data(), text.size());
  std::string term;
  if (deny_ != nullptr && re2::RE2::PartialMatch(input, *deny_, &term)) return {false, "denied_term", term};
  if (allow_ != nullptr && !re2::RE2::PartialMatch(input, *allow_)) return {false, "off_topic", ""};
  if (!domains_.empty()) {
    static const re2::RE2* links = new re2::RE2(R"((?i)(?:\bhttps?://|\bwww\.)([a-z0-9.-]+[a-z0-9]))");
    re2::StringPiece rest = input;
    std::string host;
    while (re2::RE2::FindAndConsume(&rest, *links, &host)) {
      bool ok = false;
      for (const std::string& domain : domains_) ok = ok || HostInDomain(host, domain);
      if (!ok) return {false, "domain_not_allowed", host};
    }
  }
  return {};
}

}  // namespace catena::guardrails
