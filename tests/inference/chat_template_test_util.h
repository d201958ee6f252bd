// Shared by the chat template tests: a render that fails the test, with the status, when the template errs.
#pragma once

#include <catch2/catch.hpp>
#include <span>
#include <string>

#include "inference/chat_template.h"

namespace catena::inference::testing {

inline std::string RenderOrDie(const ChatTemplate& chat, std::span<const ChatMessage> messages,
                               const ChatTemplateOptions& options = {}) {
  absl::StatusOr<std::string> out = chat.Render(messages, options);
  INFO(out.status().ToString());
  REQUIRE(out.ok());
  return *out;
}

}  // namespace catena::inference::testing
