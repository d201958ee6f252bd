// Shared plumbing of the `catena` CLI: each command group (server, sessions, collections, ...) lives in its own
// file and registers its subcommands with one Add...Commands function called from catena_main.cc.
// Exit codes: 0 success, 1 a call failed or the answer is negative, 2 usage errors.
#pragma once

#include <functional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "catena/catena.h"

namespace catena::cli {

inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// Call options with `extra` time on top of the client's timeout, for runs and model loads.
inline sdk::CallOptions WithExtraTime(const sdk::Client& client, absl::Duration extra) {
  return sdk::CallOptions{.timeout = client.options().timeout + extra};
}

// What a parsed subcommand does once the client exists; returns the process exit code.
using CommandRunner = std::function<int(const sdk::Client& client)>;

// Prints "catena: ADDRESS: MESSAGE (CODE)" to stderr and returns kExitFailure.
int Fail(const absl::Status& status, const std::string& address);

// health, version, ping.
void AddServerCommands(CLI::App& app, CommandRunner& runner);
// collections list|create|describe|delete, ingest, search.
void AddCollectionCommands(CLI::App& app, CommandRunner& runner);
// sessions list|show|erase.
void AddSessionCommands(CLI::App& app, CommandRunner& runner);
// pipeline validate|deploy|list|get|delete|run|resume|trace.
void AddPipelineCommands(CLI::App& app, CommandRunner& runner);
// chat PIPELINE | chat --model NAME: an interactive loop over a pipeline or a served model, streaming tokens.
void AddChatCommand(CLI::App& app, CommandRunner& runner);
// generate and chat --model: a model served by catenad; tokenize and generate --model-file: a GGUF file in process.
void AddModelCommands(CLI::App& app, CommandRunner& runner);
// audit verify|show: the audit log under --data-dir, read from disk.
void AddAuditCommands(CLI::App& app, CommandRunner& runner);
// keys create|list|revoke|rotate: the API key file of a catenad (no server call).
void AddKeyCommands(CLI::App& app, CommandRunner& runner);
// eval PIPELINE DATASET: runs the pipeline once per QA case and prints retrieval and answer metrics.
void AddEvalCommand(CLI::App& app, CommandRunner& runner);
// Reads user lines from stdin and streams each reply of the served `model`, keeping the conversation.
int RunModelChat(const sdk::Client& client, const std::string& model, const std::string& system, int max_tokens,
                 float temperature);

}  // namespace catena::cli
