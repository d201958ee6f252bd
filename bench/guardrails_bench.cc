// Guardrails benchmarks: PII detection and redaction throughput on generated mixed text (prose, dates, amounts,
// order ids, with an e-mail, phone, card or IBAN every ~400 bytes) on one core (pii_mb_per_s), and the added
// latency of guard nodes (topic, PII redaction of the question and five passages, injection screening,
// grounding, restoration) over the same pipeline unguarded, through the Runner with the instant test model
// (guard_overhead_us, p50 difference). Knobs: CATENA_GUARD_BENCH_MB (16), CATENA_GUARD_BENCH_RUNS (2000).
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "agents/node_types.h"
#include "bench/bench_util.h"
#include "chains/compiled_pipeline.h"
#include "chains/runner.h"
#include "chains/test_chat_model.h"
#include "common/executor.h"
#include "guardrails/pii_detector.h"
#include "guardrails/pii_vault.h"

namespace catena {
namespace {

using Clock = std::chrono::steady_clock;

std::string MixedText(size_t bytes) {
  static const char* kWords[] = {"the", "account", "customer", "transfer", "was", "declined", "because", "limit",
                                 "card", "payment", "of", "on", "please", "contact", "branch", "statement",
                                 "interest", "rate", "annual", "fee", "and", "for", "with", "refund", "order"};
  static const char* kPii[] = {"jane.doe@example.com", "+49 30 1234 5678", "4111 1111 1111 1111",
                               "DE89 3704 0044 0532 0130 00", "(555) 123-4567", "m.rossi@bank.example.it"};
  static const char* kNoise[] = {"2024-03-15", "EUR 1.234,50", "order #0612345678", "v2.4.1", "10:30",
                                 "ref 1234567812345670", "$ 120.00", "15.01.2024"};
  std::mt19937 rng(42);
  std::string text;
  text.reserve(bytes + 64);
  size_t next_pii = 400;
  while (text.size() < bytes) {
    const unsigned r = rng() % 100;
    if (text.size() >= next_pii) {
      text += kPii[rng() % 6];
      next_pii = text.size() + 300 + rng() % 200;
    } else if (r < 5) {
      text += kNoise[rng() % 8];
    } else {
      text += kWords[rng() % 25];
    }
    text += (r % 17 == 0) ? ". " : " ";
  }
  return text;
}

void BenchPii() {
  const size_t mb = std::stoul(bench::EnvOr("CATENA_GUARD_BENCH_MB", "16"));
  const std::string text = MixedText(mb << 20);
  auto detector = guardrails::PiiDetector::Create({}).value();
  double best_find = 1e30;
  double best_redact = 1e30;
  size_t found = 0;
  for (int round = 0; round < 3; ++round) {
    auto start = Clock::now();
    found = detector->Find(text).size();
    best_find = std::min(best_find, std::chrono::duration<double>(Clock::now() - start).count());
    guardrails::PiiVault vault;
    start = Clock::now();
    const guardrails::Redaction redacted = vault.Redact(*detector, text);
    best_redact = std::min(best_redact, std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::fprintf(stderr, "guardrails_bench: %zu MiB, %zu findings\n", mb, found);
  bench::Emit("guardrails", "detect_mixed_text", "pii_mb_per_s", static_cast<double>(text.size()) / 1e6 / best_find,
              "MB/s");
  bench::Emit("guardrails", "redact_mixed_text", "pii_mb_per_s",
              static_cast<double>(text.size()) / 1e6 / best_redact, "MB/s");
}

constexpr char kPlain[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: plain}
inputs:
  q: {type: string, required: true}
  docs: {type: list, required: true}
nodes:
  answer: {type: llm.chat, with: {model: test-echo, prompt: "{{ inputs.q }}"}}
outputs:
  answer: "{{ nodes.answer.text }}"
)";

constexpr char kGuarded[] = R"(apiVersion: catena/v1
kind: Pipeline
metadata: {name: guarded}
inputs:
  q: {type: string, required: true}
  docs: {type: list, required: true}
nodes:
  topic: {type: guard.topic, with: {text: "{{ inputs.q }}", deny: [crypto, casino], allow: [card, account, refund]}}
  redact: {type: guard.pii_redact, with: {text: "{{ inputs.q }}", items: "{{ inputs.docs }}"}}
  screen: {type: guard.injection, with: {items: "{{ nodes.redact.redacted }}", action: quote}}
  answer: {type: llm.chat, with: {model: test-echo, prompt: "{{ nodes.redact.text }}"}}
  grounded:
    type: guard.grounding
    with: {answer: "{{ nodes.answer.text }}", passages: "{{ nodes.screen.kept }}", action: flag}
  restore: {type: guard.pii_restore, with: {text: "{{ nodes.grounded.answer }}"}}
outputs:
  answer: "{{ nodes.restore.text }}"
)";

double P50Us(chains::Runner& runner, const std::shared_ptr<const chains::CompiledPipeline>& pipeline,
             const tmpl::Value& inputs, int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) {
    chains::RunOptions options;
    options.tenant = "bench";
    options.run_id = "guard-bench-" + std::to_string(i);
    const auto start = Clock::now();
    chains::RunResult result = runner.Run(pipeline, inputs, options);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    if (result.state != chains::RunResult::State::kCompleted) {
      std::fprintf(stderr, "guardrails_bench: run failed: %s\n", std::string(result.status.message()).c_str());
      return -1;
    }
    if (i >= runs / 10) samples.push_back(us);
  }
  return bench::Quantile(samples, 0.5);
}

int BenchOverhead() {
  const int runs = std::stoi(bench::EnvOr("CATENA_GUARD_BENCH_RUNS", "2000"));
  chains::CompileOptions compile;
  compile.registry = &agents::AllNodeTypes();
  auto plain = chains::CompilePipeline(kPlain, compile);
  auto guarded = chains::CompilePipeline(kGuarded, compile);
  if (!plain.ok() || !guarded.ok()) {
    std::fprintf(stderr, "guardrails_bench: %s\n", (plain.ok() ? guarded : plain).status().ToString().c_str());
    return 1;
  }
  Executor executor(ExecutorOptions{.threads = 2, .name = "gbench"});
  chains::TestChatModel model(&executor);
  std::vector<tmpl::Value> docs;
  const std::string passage = MixedText(500);
  for (int i = 0; i < 5; ++i) docs.emplace_back(passage);
  tmpl::Value inputs = tmpl::Value::Dict();
  inputs.map().Set("q", "My card 4111 1111 1111 1111 was charged twice for order 1182; the refund should go to "
                        "DE89 3704 0044 0532 0130 00. Reply to jane.doe@example.com or +49 30 1234 5678.");
  inputs.map().Set("docs", tmpl::Value::List(std::move(docs)));
  {
    chains::Runner runner({.services = {.executor = &executor, .models = &model}});
    const double base = P50Us(runner, *plain, inputs, runs);
    const double with_guards = P50Us(runner, *guarded, inputs, runs);
    bench::Emit("guardrails", "plain_pipeline", "run_p50_us", base, "us");
    bench::Emit("guardrails", "guarded_pipeline", "run_p50_us", with_guards, "us");
    bench::Emit("guardrails", "topic_pii_injection_grounding_restore", "guard_overhead_us", with_guards - base, "us");
  }
  executor.Shutdown();
  return 0;
}

}  // namespace
}  // namespace catena

int main() {
  catena::BenchPii();
  return catena::BenchOverhead();
}
