// TopicPolicy: deny lists, allow lists and allowed link domains for inputs and outputs. A text is refused when
// it contains a denied term, when an allow list is set and it names none of its terms, or when it links to a
// host outside the allowed domains. Terms match case-insensitively as whole words. Used by the guard.topic
// node. Immutable; thread-safe.
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

struct TopicOptions {
  std::vector<std::string> deny;             // terms that must not appear
  std::vector<std::string> allow;            // when set, at least one must appear
  std::vector<std::string> allowed_domains;  // when set, every linked host must be one of these or below them
};

struct TopicVerdict {
  bool allowed = true;
  std::string reason;   // "denied_term", "off_topic", "domain_not_allowed" ("" when allowed)
  std::string matched;  // the denied term or the host found ("" otherwise)
};

class TopicPolicy {
 public:
  // A policy for `options`; INVALID_ARGUMENT naming an empty term or a malformed domain.
  static absl::StatusOr<std::unique_ptr<TopicPolicy>> Create(TopicOptions options);
  ~TopicPolicy();

  TopicVerdict Check(std::string_view text) const;

 private:
  TopicPolicy();
  std::unique_ptr<re2::RE2> deny_;
  std::unique_ptr<re2::RE2> allow_;
  std::vector<std::string> domains_;  // lower case
};

// True when `host` is `domain` or a subdomain of it (case-insensitive).
bool HostInDomain(std::string_view host, std::string_view domain);

}  // namespace catena::guardrails
