#include "chains/test_chat_model.h"

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "chains/json_schema_check.h"
#include "chains/tool_calls.h"
#include "common/executor.h"

namespace catena::chains {
namespace {

bool IsSpace(char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); }

int64_t CountWords(std::string_view text) {
  int64_t words = 0;
  bool in_word = false;
  for (char c : text) {
    if (!IsSpace(c) && !in_word) ++words;
    in_word = !IsSpace(c);
  }
  return words;
}

// The latest input of the conversation: the last user message, or a tool result that came after it (so that
// scripted models can drive multi-step agents: they react to what the tool returned).
std::string LastUserMessage(const ChatRequest& request) {
  for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
    if (it->role == "user" || it->role == "tool") return it->content;
  }
  return "";
}

std::string ScriptedReply(const TestModelSpec& spec, const ChatRequest& request) {
  if (spec.token_count > 0) {
    std::string text;
    for (int i = 0; i < spec.token_count; ++i) absl::StrAppend(&text, i == 0 ? "" : " ", "t", i);
    return text;
  }
  const std::string user = LastUserMessage(request);
  for (const TestModelReply& reply : spec.replies) {
    if (user.find(reply.contains) != std::string::npos) return reply.text;
  }
  return spec.default_text;
}

// Cuts `text` before the first stop string.
void ApplyStops(const std::vector<std::string>& stops, std::string& text) {
  size_t cut = std::string::npos;
  for (const std::string& stop : stops) {
    if (!stop.empty()) cut = std::min(cut, text.find(stop));
  }
  if (cut != std::string::npos) text.resize(cut);
}

// One call in flight: pieces delivered step by step from timers. Callbacks never run concurrently
// (delivery_mutex_), so a Cancel racing with a timer cannot deliver on_done during an on_delta.
class TestStream final : public std::enable_shared_from_this<TestStream> {
 public:
  struct Plan {
    std::vector<std::string> pieces;
    ChatResult result;
    absl::Duration first_delay;
    absl::Duration interval;
  };
  TestStream(Executor* executor, Plan plan, std::function<void(std::string_view)> on_delta,
             std::function<void(absl::StatusOr<ChatResult>)> on_done)
      : executor_(executor), plan_(std::move(plan)), on_delta_(std::move(on_delta)), on_done_(std::move(on_done)) {}

  // Delivers everything now (no delays).
  void RunInline() {
    for (const std::string& piece : plan_.pieces) on_delta_(piece);
    Complete(plan_.result);
  }
  // Schedules the first piece.
  void StartTimers() { Schedule(plan_.first_delay); }

  void Cancel() {
    {
      std::lock_guard lock(state_mutex_);
      if (done_ || cancelled_) return;
      cancelled_ = true;
    }
    auto self = shared_from_this();
    if (!executor_->Post([self] { self->Step(); })) Step();
  }

  // Keeps the stream alive while a handle exists (the handle is this object, shared with the timers).
  static std::unique_ptr<ChatCancel> Handle(std::shared_ptr<TestStream> stream);

 private:
  void Schedule(absl::Duration delay) {
    auto self = shared_from_this();
    const auto ms = std::chrono::milliseconds(absl::ToInt64Milliseconds(delay));
    if (!executor_->PostAfter(ms, [self] { self->Step(); })) {
      Complete(absl::CancelledError("the executor is shutting down"));
    }
  }

  void Step() {
    std::lock_guard delivery(delivery_mutex_);
    bool cancelled = false;
    {
      std::lock_guard lock(state_mutex_);
      if (done_) return;
      cancelled = cancelled_;
    }
    if (cancelled) return Complete(absl::CancelledError("the model call was cancelled"));
    if (next_ < plan_.pieces.size()) on_delta_(plan_.pieces[next_++]);
    if (next_ < plan_.pieces.size()) return Schedule(plan_.interval);
    Complete(plan_.result);
  }

  void Complete(absl::StatusOr<ChatResult> result) {
    {
      std::lock_guard lock(state_mutex_);
      if (done_) return;
      done_ = true;
    }
    on_done_(std::move(result));
  }

  Executor* const executor_;
  const Plan plan_;
  std::function<void(std::string_view)> on_delta_;
  std::function<void(absl::StatusOr<ChatResult>)> on_done_;
  std::mutex delivery_mutex_;
  std::mutex state_mutex_;
  size_t next_ = 0;
  bool done_ = false;
  bool cancelled_ = false;
};

class StreamHandle final : public ChatCancel {
 public:
  explicit StreamHandle(std::shared_ptr<TestStream> stream) : stream_(std::move(stream)) {}
  void Cancel() override { stream_->Cancel(); }

 private:
  std::shared_ptr<TestStream> stream_;
};

std::unique_ptr<ChatCancel> TestStream::Handle(std::shared_ptr<TestStream> stream) {
  return std::make_unique<StreamHandle>(std::move(stream));
}

}  // namespace

std::vector<std::string> SplitTestTokens(std::string_view text) {
  std::vector<std::string> pieces;
  size_t start = 0;
  while (start < text.size()) {
    size_t word = start;
    while (word < text.size() && IsSpace(text[word])) ++word;
    size_t end = word;
    while (end < text.size() && !IsSpace(text[end])) ++end;
    if (word == end && !pieces.empty()) {  // trailing whitespace joins the last piece
      pieces.back().append(text.substr(start));
      break;
    }
    pieces.emplace_back(text.substr(start, end - start));
    start = end;
  }
  return pieces;
}

TestChatModel::TestChatModel(Executor* executor) : executor_(executor) {}

void TestChatModel::AddModel(TestModelSpec spec) {
  std::lock_guard lock(mutex_);
  std::string name = spec.name;
  models_[name] = std::move(spec);
}

bool TestChatModel::HasModel(std::string_view model) const {
  if (model.empty() || model == "test" || model == "test-echo" || model == "test-json") return true;
  std::lock_guard lock(mutex_);
  return models_.find(model) != models_.end();
}

absl::StatusOr<std::string> TestChatModel::ReplyFor(const ChatRequest& request) const {
  const std::string name = request.model.empty() ? "test" : request.model;
  {
    std::lock_guard lock(mutex_);
    if (auto it = models_.find(name); it != models_.end()) return ScriptedReply(it->second, request);
  }
  if (name == "test" || name == "test-echo") return "echo: " + LastUserMessage(request);
  if (name == "test-json") {
    if (request.json_schema.empty()) return std::string("{}");
    nlohmann::ordered_json schema = nlohmann::ordered_json::parse(request.json_schema, nullptr, false);
    if (schema.is_discarded()) return absl::InvalidArgumentError("json_schema is not valid JSON");
    return MinimalJsonInstance(schema).dump();
  }
  return absl::NotFoundError(absl::StrCat("model '", name, "' is not served (test models: test, test-echo, "
                                          "test-json and the scripted ones)"));
}

std::unique_ptr<ChatCancel> TestChatModel::Chat(ChatRequest request,
                                                std::function<void(std::string_view delta)> on_delta,
                                                std::function<void(absl::StatusOr<ChatResult>)> on_done) {
  absl::StatusOr<std::string> reply = ReplyFor(request);
  if (!reply.ok()) {
    on_done(reply.status());
    return nullptr;
  }
  TestStream::Plan plan;
  ApplyStops(request.stop, *reply);
  plan.pieces = SplitTestTokens(*reply);
  plan.result.finish_reason = "stop";  // a stop string also ends with "stop"
  if (request.max_tokens > 0 && plan.pieces.size() > static_cast<size_t>(request.max_tokens)) {
    plan.pieces.resize(request.max_tokens);
    plan.result.finish_reason = "length";
  }
  std::string text;
  for (const std::string& piece : plan.pieces) text += piece;
  ParsedReply parsed = ParseToolCalls(text, request.tools);
  plan.result.text = std::move(parsed.text);
  plan.result.tool_calls = std::move(parsed.calls);
  if (!plan.result.tool_calls.empty()) plan.result.finish_reason = "tool_calls";
  for (const ChatMessage& message : request.messages) plan.result.usage.prompt_tokens += CountWords(message.content);
  plan.result.usage.completion_tokens = static_cast<int64_t>(plan.pieces.size());
  {
    std::lock_guard lock(mutex_);
    const std::string name = request.model.empty() ? "test" : request.model;
    if (auto it = models_.find(name); it != models_.end()) {
      plan.first_delay = it->second.first_token_delay;
      plan.interval = it->second.token_interval;
    }
  }
  const bool timed = plan.first_delay > absl::ZeroDuration() || plan.interval > absl::ZeroDuration();
  if (timed && executor_ == nullptr) {
    on_done(absl::FailedPreconditionError("a test model with delays needs an executor"));
    return nullptr;
  }
  auto stream = std::make_shared<TestStream>(executor_, std::move(plan), std::move(on_delta), std::move(on_done));
  if (!timed) {
    stream->RunInline();
    return nullptr;
  }
  stream->StartTimers();
  return TestStream::Handle(std::move(stream));
}

}  // namespace catena::chains
