#include "inference/generate.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "inference/sampler.h"

namespace catena::inference {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int32_t ArgMax(std::span<const float> logits) {
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

absl::StatusOr<GenerateResult> Generate(const Model& model, std::span<const int32_t> prompt,
                                        const GenerateOptions& options,
                                        const std::function<void(std::string_view)>& on_text) {
  const int64_t context = model.spec().context_length;
  if (prompt.empty() || static_cast<int64_t>(prompt.size()) >= context) {
    return absl::InvalidArgumentError(absl::StrCat("prompt has ", prompt.size(), " tokens; it must have 1 to ",
                                                   context - 1, " (the model's context length minus one)"));
  }
  if (options.max_tokens < 0) {
    return absl::InvalidArgumentError(absl::StrCat("max_tokens is ", options.max_tokens, "; it must be >= 0"));
  }
  const int64_t capacity = std::min<int64_t>(context, static_cast<int64_t>(prompt.size()) + options.max_tokens);
  CATENA_ASSIGN_OR_RETURN(std::unique_ptr<DecoderSession> session, model.backend_model().NewSession(capacity));
  GenerateResult result;
  result.prompt_tokens = static_cast<int64_t>(prompt.size());
  result.finish_reason = "length";
  CATENA_ASSIGN_OR_RETURN(
      Sampler sampler,
      Sampler::Create({.temperature = options.temperature, .seed = options.seed}, model.tokenizer().vocab_size()));
  sampler.SetPrompt(prompt);
  StreamingDetokenizer detokenizer(model.tokenizer());
  auto start = std::chrono::steady_clock::now();
  CATENA_ASSIGN_OR_RETURN(std::span<const float> logits, session->Forward(prompt, /*all_logits=*/false));
  result.prefill_seconds = SecondsSince(start);
  start = std::chrono::steady_clock::now();
  while (options.max_tokens > 0) {
    const int32_t token = sampler.Sample(logits).token;
    sampler.Accept(token);
    if (options.stop_at_end_of_generation && model.tokenizer().IsEndOfGeneration(token)) {
      result.finish_reason = "stop";
      break;
    }
    result.tokens.push_back(token);
    const std::string piece = detokenizer.Push(token);
    result.text += piece;
    if (on_text && !piece.empty()) on_text(piece);
    if (static_cast<int>(result.tokens.size()) >= options.max_tokens) break;
    if (session->position() >= session->capacity()) break;  // the context is full
    CATENA_ASSIGN_OR_RETURN(logits, session->Forward(std::span<const int32_t>(&token, 1), false));
  }
  const std::string rest = detokenizer.Flush();
  result.text += rest;
  if (on_text && !rest.empty()) on_text(rest);
  result.decode_seconds = SecondsSince(start);
  return result;
}

}  // namespace catena::inference
