// `catena generate`, `catena chat --model`, `catena tokenize` and `catena model list|load|unload`. generate and
// chat stream from a model served by catenad's InferenceService (models configured under inference.models);
// generate --model-file and tokenize run a GGUF file in the CLI process instead (no server needed), to try a model
// before serving it. `model` lists the configured models (with what loading each would take) and loads or unloads
// them.
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_command.h"
#include "inference/generate.h"
#include "inference/model.h"

namespace catena::cli {
namespace {

struct ModelFlags {
  std::string model;       // served model name
  std::string model_file;  // GGUF file run in process
  std::string text;
  std::string system;
  std::string backend = "auto";
  int threads = 0;
  bool no_special = false;
  inference::GenerateOptions generate;
};

absl::StatusOr<std::unique_ptr<inference::Model>> LoadModelFile(const ModelFlags& flags) {
  return inference::Model::Load(flags.model_file, {.backend = flags.backend, .threads = flags.threads});
}

// Prints one line per token: id and its text (escaped by the tokenizer's own spelling).
int RunTokenize(const ModelFlags& flags) {
  auto model = LoadModelFile(flags);
  if (!model.ok()) return Fail(model.status(), flags.model_file);
  const inference::TextTokenizer& tokenizer = (*model)->tokenizer();
  const std::vector<int32_t> ids = tokenizer.Encode(flags.text, {.add_special = !flags.no_special});
  for (int32_t id : ids) std::printf("%d\t%s\n", id, std::string(tokenizer.TokenText(id)).c_str());
  std::fprintf(stderr, "%zu tokens\n", ids.size());
  return 0;
}

// In process: streams the continuation of the prompt to stdout, then timing figures to stderr.
int RunGenerateInProcess(const ModelFlags& flags) {
  auto model = LoadModelFile(flags);
  if (!model.ok()) return Fail(model.status(), flags.model_file);
  const std::vector<int32_t> prompt = (*model)->tokenizer().Encode(flags.text, {.add_special = !flags.no_special});
  auto result = inference::Generate(**model, prompt, flags.generate, [](std::string_view piece) {
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
  });
  if (!result.ok()) return Fail(result.status(), flags.model_file);
  std::printf("\n");
  std::fprintf(stderr, "backend %s: prompt %lld tokens at %.1f tok/s, generated %zu tokens at %.1f tok/s (%s)\n",
               std::string((*model)->backend_name()).c_str(), static_cast<long long>(result->prompt_tokens),
               result->prompt_tokens / std::max(result->prefill_seconds, 1e-9), result->tokens.size(),
               result->tokens.size() / std::max(result->decode_seconds, 1e-9), result->finish_reason.c_str());
  return 0;
}

void SetSampling(const ModelFlags& flags, v1::SamplingParams& sampling) {
  sampling.set_max_tokens(flags.generate.max_tokens);
  sampling.set_temperature(flags.generate.temperature);
  sampling.mutable_seed()->set_value(flags.generate.seed);
}

void PrintUsage(const v1::Usage& usage, v1::FinishReason reason) {
  std::fprintf(stderr, "[%d prompt tokens (%d cached), %d generated, %s]\n", usage.prompt_tokens(),
               usage.cached_prompt_tokens(), usage.completion_tokens(), v1::FinishReason_Name(reason).c_str());
}

// Streams the model's continuation from the server; the text goes to stdout, usage to stderr.
int RunGenerateServed(const sdk::Client& client, const ModelFlags& flags) {
  v1::GenerateRequest request;
  request.set_model(flags.model);
  request.set_prompt(flags.text);
  SetSampling(flags, *request.mutable_sampling());
  auto reader = client.inference().Generate(request, WithExtraTime(client, absl::Minutes(10)));
  v1::GenerateResponse last;
  while (std::optional<v1::GenerateResponse> response = reader.Next()) {
    std::fwrite(response->text_delta().data(), 1, response->text_delta().size(), stdout);
    std::fflush(stdout);
    if (response->has_usage()) last = *std::move(response);
  }
  std::printf("\n");
  if (!reader.status().ok()) return Fail(reader.status(), client.options().address);
  PrintUsage(last.usage(), last.finish_reason());
  return 0;
}

// One assistant turn: streams the reply to stdout and returns its text (nullopt after printing an error).
std::optional<std::string> ChatTurn(const sdk::Client& client, const v1::ChatRequest& request) {
  auto reader = client.inference().Chat(request, WithExtraTime(client, absl::Minutes(10)));
  std::string reply;
  while (std::optional<v1::ChatResponse> response = reader.Next()) {
    std::fwrite(response->text_delta().data(), 1, response->text_delta().size(), stdout);
    std::fflush(stdout);
    reply += response->text_delta();
  }
  std::printf("\n");
  if (!reader.status().ok()) {
    Fail(reader.status(), client.options().address);
    return std::nullopt;
  }
  return reply;
}

v1::ChatMessage Message(v1::Role role, std::string content) {
  v1::ChatMessage message;
  message.set_role(role);
  message.set_content(std::move(content));
  return message;
}

// One line per model: name, state, what its file holds and the memory a load takes.
void PrintModel(const v1::ModelInfo& model) {
  std::printf("%-24s %-10s arch=%s context=%d parameters=%lld type=%s memory=%lld MiB%s%s\n", model.name().c_str(),
              model.loaded() ? "loaded" : "not-loaded", model.architecture().empty() ? "-" : model.architecture().c_str(),
              model.context_length(), static_cast<long long>(model.parameter_count()),
              model.quantization().empty() ? "-" : model.quantization().c_str(),
              static_cast<long long>((model.estimated_memory_bytes() + (1 << 20) - 1) >> 20),
              model.backend().empty() ? "" : " backend=", model.backend().c_str());
}

int RunModelList(const sdk::Client& client) {
  auto models = client.inference().ListModels({});
  if (!models.ok()) return Fail(models.status(), client.options().address);
  for (const v1::ModelInfo& model : models->models()) PrintModel(model);
  if (models->models().empty()) std::printf("no models (configure inference.models)\n");
  return 0;
}

int RunModelLoad(const sdk::Client& client, const std::string& name) {
  v1::LoadModelRequest request;
  request.set_name(name);
  auto info = client.inference().LoadModel(request, WithExtraTime(client, absl::Minutes(10)));
  if (!info.ok()) return Fail(info.status(), client.options().address);
  PrintModel(*info);
  return 0;
}

int RunModelUnload(const sdk::Client& client, const std::string& name) {
  v1::UnloadModelRequest request;
  request.set_name(name);
  auto unloaded = client.inference().UnloadModel(request);
  if (!unloaded.ok()) return Fail(unloaded.status(), client.options().address);
  std::printf("unloaded %s\n", name.c_str());
  return 0;
}

}  // namespace

int RunModelChat(const sdk::Client& client, const std::string& model, const std::string& system, int max_tokens,
                 float temperature) {
  v1::ChatRequest request;
  request.set_model(model);
  request.mutable_sampling()->set_max_tokens(max_tokens);
  request.mutable_sampling()->set_temperature(temperature);
  if (!system.empty()) *request.add_messages() = Message(v1::ROLE_SYSTEM, system);
  std::fprintf(stderr, "chatting with model %s; end with Ctrl-D\n", model.c_str());
  std::string line;
  while (std::fprintf(stderr, "> "), std::getline(std::cin, line)) {
    if (line.empty()) continue;
    *request.add_messages() = Message(v1::ROLE_USER, line);
    std::optional<std::string> reply = ChatTurn(client, request);
    if (!reply.has_value()) return kExitFailure;
    *request.add_messages() = Message(v1::ROLE_ASSISTANT, *std::move(reply));
  }
  return 0;
}

void AddModelCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<ModelFlags>();
  CLI::App* tokenize = app.add_subcommand("tokenize", "Print the token ids of TEXT under a GGUF model's tokenizer");
  tokenize->add_option("--model-file,--model", flags->model_file, "GGUF model file")->required();
  tokenize->add_option("--backend", flags->backend, "auto, cpu or cuda");
  tokenize->add_flag("--no-special", flags->no_special, "do not add BOS/EOS or [CLS]/[SEP]");
  tokenize->add_option("text", flags->text, "text to tokenize")->required();
  tokenize->callback([&runner, flags] { runner = [flags](const sdk::Client&) { return RunTokenize(*flags); }; });

  CLI::App* generate = app.add_subcommand(
      "generate", "Continue PROMPT with a model served by catenad (--model) or a GGUF file in this process");
  auto* served = generate->add_option("--model", flags->model, "name of a model served by catenad");
  auto* file = generate->add_option("--model-file", flags->model_file, "GGUF file to run in this process");
  served->excludes(file);
  generate->add_option("--backend", flags->backend, "with --model-file: auto, cpu or cuda");
  generate->add_option("--threads", flags->threads, "with --model-file: CPU threads (0 = all)");
  generate->add_flag("--no-special", flags->no_special, "with --model-file: do not add BOS");
  generate->add_option("prompt", flags->text, "prompt text")->required();
  generate->add_option("--max-tokens", flags->generate.max_tokens, "tokens to generate");
  generate->add_option("--temperature", flags->generate.temperature, "0 = greedy");
  generate->add_option("--seed", flags->generate.seed, "sampling seed");
  CLI::App* model = app.add_subcommand("model", "List, load and unload the models catenad serves");
  model->require_subcommand(1);
  model->add_subcommand("list", "List the configured models: state, architecture, size and memory a load takes")
      ->callback([&runner] { runner = RunModelList; });
  CLI::App* load = model->add_subcommand("load", "Load a configured model (refused when it would not fit in memory)");
  load->add_option("name", flags->model, "model name")->required();
  load->callback([&runner, flags] { runner = [flags](const sdk::Client& c) { return RunModelLoad(c, flags->model); }; });
  CLI::App* unload = model->add_subcommand("unload", "Unload a model (running requests finish first)");
  unload->add_option("name", flags->model, "model name")->required();
  unload->callback(
      [&runner, flags] { runner = [flags](const sdk::Client& c) { return RunModelUnload(c, flags->model); }; });

  generate->callback([&runner, flags] {
    if (flags->model.empty() && flags->model_file.empty()) {
      throw CLI::RequiredError("generate needs --model NAME (served) or --model-file FILE (in process)");
    }
    runner = [flags](const sdk::Client& client) {
      return flags->model_file.empty() ? RunGenerateServed(client, *flags) : RunGenerateInProcess(*flags);
    };
  });
}

}  // namespace catena::cli
