// JsonText: appends JSON text directly to a string, without building a document first. The agent loop writes
// its per-step checkpoint deltas with it (agent_loop_state.cc), the hot path of every agent step. Strings are
// escaped per RFC 8259; bytes that are not valid UTF-8 are written as U+FFFD so the text always parses.
// Not thread-safe (one writer per string).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace catena::agents {

class JsonText {
 public:
  // Appends to `out` (not owned; must outlive the writer).
  explicit JsonText(std::string& out) : out_(out) {}

  // Containers; a comma is inserted before each value or key that is not the first of its container.
  void BeginObject() { Value(); out_ += '{'; first_ = true; }
  void EndObject() { out_ += '}'; first_ = false; }
  void BeginArray() { Value(); out_ += '['; first_ = true; }
  void EndArray() { out_ += ']'; first_ = false; }
  // An object key (followed by exactly one value).
  void Key(std::string_view key);
  void String(std::string_view text);
  void Int(int64_t value);
  void Bool(bool value);
  void Null();

 private:
  void Value();

  std::string& out_;
  bool first_ = true;
  bool after_key_ = false;
};

// Appends `text` as a quoted, escaped JSON string.
void AppendJsonString(std::string& out, std::string_view text);

}  // namespace catena::agents
