// `catena tokenize` and `catena generate`: run a GGUF model in the CLI process with the inference runtime
// (no server needed), to try a model and measure the runtime before serving it.
#include <cstdio>
#include <string>

#include "cli/cli_command.h"
#include "inference/generate.h"
#include "inference/model.h"

namespace catena::cli {
namespace {

struct ModelFlags {
  std::string model;
  std::string text;
  std::string backend = "auto";
  int threads = 0;
  bool no_special = false;
  inference::GenerateOptions generate;
};

absl::StatusOr<std::unique_ptr<inference::Model>> LoadModel(const ModelFlags& flags) {
  return inference::Model::Load(flags.model, {.backend = flags.backend, .threads = flags.threads});
}

// Prints one line per token: id and its text (escaped by the tokenizer's own spelling).
int RunTokenize(const ModelFlags& flags) {
  auto model = LoadModel(flags);
  if (!model.ok()) return Fail(model.status(), flags.model);
  const inference::TextTokenizer& tokenizer = (*model)->tokenizer();
  const std::vector<int32_t> ids = tokenizer.Encode(flags.text, {.add_special = !flags.no_special});
  for (int32_t id : ids) std::printf("%d\t%s\n", id, std::string(tokenizer.TokenText(id)).c_str());
  std::fprintf(stderr, "%zu tokens\n", ids.size());
  return 0;
}

// Streams the continuation of the prompt to stdout, then timing figures to stderr.
int RunGenerate(const ModelFlags& flags) {
  auto model = LoadModel(flags);
  if (!model.ok()) return Fail(model.status(), flags.model);
  const std::vector<int32_t> prompt = (*model)->tokenizer().Encode(flags.text, {.add_special = !flags.no_special});
  auto result = inference::Generate(**model, prompt, flags.generate, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!result.ok()) return Fail(result.status(), flags.model);
  std::printf("\n");
  std::fprintf(stderr, "backend %s: prompt %lld tokens at %.1f tok/s, generated %zu tokens at %.1f tok/s (%s)\n",
               std::string((*model)->backend_name()).c_str(), static_cast<long long>(result->prompt_tokens),
               result->prompt_tokens / std::max(result->prefill_seconds, 1e-9), result->tokens.size(),
               result->tokens.size() / std::max(result->decode_seconds, 1e-9), result->finish_reason.c_str());
  return 0;
}

void AddModelFlags(CLI::App* command, ModelFlags& flags) {
  command->add_option("--model", flags.model, "GGUF model file")->required();
  command->add_option("--backend", flags.backend, "auto, cpu or cuda");
  command->add_option("--threads", flags.threads, "CPU threads (0 = all)");
  command->add_flag("--no-special", flags.no_special, "do not add BOS/EOS or [CLS]/[SEP]");
}

}  // namespace

void AddModelCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<ModelFlags>();
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print the token ids of TEXT under a GGUF model's tokenizer");
  AddModelFlags(tokenize, *flags);
  tokenize->add_option("text", flags->text, "text to tokenize")->required();
  tokenize->callback([&runner, flags] { runner = [flags](const sdk::Client&) { return RunTokenize(*flags); }; });

  CLI::App* generate = app.add_subcommand("generate", "Continue PROMPT with a GGUF model in this process");
  AddModelFlags(generate, *flags);
  generate->add_option("prompt", flags->text, "prompt text")->required();
  generate->add_option("--max-tokens", flags->generate.max_tokens, "tokens to generate");
  generate->add_option("--temperature", flags->generate.temperature, "0 = greedy");
  generate->add_option("--seed", flags->generate.seed, "sampling seed");
  generate->callback([&runner, flags] { runner = [flags](const sdk::Client&) { return RunGenerate(*flags); }; });
}

}  // namespace catena::cli
