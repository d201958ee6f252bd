// `catena keys create|list|revoke|rotate`: manages catenad's API key file (auth/key_store.h) directly, without a
// server: run it where the key file lives (or on the mounted secret). The secret of a new key is printed once, alone
// on stdout, and stored nowhere; everything else goes to stderr or the list table.
#include <cstdio>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/key_store.h"
#include "cli/cli_command.h"

namespace catena::cli {
namespace {

struct KeyFlags {
  std::string data_dir = "data";
  std::string keys_file;
  std::string tenant;
  std::string expires;
  std::string id;
};

std::filesystem::path KeysFile(const KeyFlags& flags) {
  return flags.keys_file.empty() ? auth::DefaultKeysFile(flags.data_dir) : std::filesystem::path(flags.keys_file);
}

// "never", a duration ("90d", "12h", "30m") from now, or an RFC 3339 time.
absl::StatusOr<absl::Time> ParseExpiry(const std::string& text, absl::Time now) {
  if (text.empty() || text == "never") return absl::InfiniteFuture();
  int64_t days = 0;
  if (absl::EndsWith(text, "d") && absl::SimpleAtoi(text.substr(0, text.size() - 1), &days) && days > 0) {
    return now + absl::Hours(24 * days);
  }
  absl::Duration duration;
  if (absl::ParseDuration(text, &duration) && duration > absl::ZeroDuration()) return now + duration;
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  return absl::InvalidArgumentError(absl::StrCat("--expires '", text,
                                                 "': use never, a duration such as 90d or 12h, or a time such as "
                                                 "2027-01-01T00:00:00Z"));
}

int PrintCreated(const auth::CreatedKey& key, const std::string& verb) {
  std::printf("%s\n", key.secret.c_str());
  std::fprintf(stderr, "%s key %s for tenant '%s' (expires %s). The secret above is shown only this once.\n",
               verb.c_str(), key.record.id.c_str(), key.record.tenant.c_str(),
               auth::FormatKeyTime(key.record.expires).c_str());
  return 0;
}

int RunCreate(const KeyFlags& flags) {
  const absl::Time now = absl::Now();
  auto expires = ParseExpiry(flags.expires, now);
  if (!expires.ok()) return Fail(expires.status(), "keys");
  auto key = auth::CreateKey(KeysFile(flags), flags.tenant, *expires, now);
  if (!key.ok()) return Fail(key.status(), KeysFile(flags).string());
  return PrintCreated(*key, "created");
}

int RunList(const KeyFlags& flags) {
  auto records = auth::ReadKeyFile(KeysFile(flags));
  if (!records.ok()) return Fail(records.status(), KeysFile(flags).string());
  const absl::Time now = absl::Now();
  std::printf("%-20s %-24s %-20s %-20s %s\n", "ID", "TENANT", "CREATED", "EXPIRES", "STATE");
  for (const auth::ApiKeyRecord& record : *records) {
    const char* state = record.revoked ? "revoked" : (auth::IsActive(record, now) ? "active" : "expired");
    std::printf("%-20s %-24s %-20s %-20s %s\n", record.id.c_str(), record.tenant.c_str(),
                auth::FormatKeyTime(record.created).c_str(), auth::FormatKeyTime(record.expires).c_str(), state);
  }
  return 0;
}

int RunRevoke(const KeyFlags& flags) {
  auto record = auth::RevokeKey(KeysFile(flags), flags.id);
  if (!record.ok()) return Fail(record.status(), KeysFile(flags).string());
  std::printf("revoked key %s of tenant '%s'\n", record->id.c_str(), record->tenant.c_str());
  return 0;
}

int RunRotate(const KeyFlags& flags) {
  auto key = auth::RotateKey(KeysFile(flags), flags.id, absl::Now());
  if (!key.ok()) return Fail(key.status(), KeysFile(flags).string());
  std::fprintf(stderr, "revoked key %s\n", flags.id.c_str());
  return PrintCreated(*key, "created replacement");
}

// Registers `name` under `keys`; when chosen, the runner ignores the client and runs `run` on the file.
CLI::App* AddKeyCommand(CLI::App& keys, CommandRunner& runner, std::shared_ptr<KeyFlags> flags, const char* name,
                        const char* help, int (*run)(const KeyFlags&)) {
  CLI::App* command = keys.add_subcommand(name, help);
  command->add_option("--data-dir", flags->data_dir, "catenad data directory (key file <data-dir>/auth/keys.json)");
  command->add_option("--keys-file", flags->keys_file, "Key file (auth.keys_file); overrides --data-dir");
  command->callback([&runner, flags, run] { runner = [flags, run](const sdk::Client&) { return run(*flags); }; });
  return command;
}

}  // namespace

void AddKeyCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<KeyFlags>();
  CLI::App* keys = app.add_subcommand("keys", "Manage catenad's API keys (works on the key file, not a server)");
  keys->require_subcommand(1);
  CLI::App* create = AddKeyCommand(*keys, runner, flags, "create", "Create a key; prints its secret once", RunCreate);
  create->add_option("--tenant", flags->tenant, "Tenant the key acts for")->required();
  create->add_option("--expires", flags->expires, "never (default), a duration (90d, 12h) or an RFC 3339 time");
  AddKeyCommand(*keys, runner, flags, "list", "List keys (never their secrets)", RunList);
  AddKeyCommand(*keys, runner, flags, "revoke", "Revoke a key at once", RunRevoke)
      ->add_option("id", flags->id, "Key id (from keys list)")
      ->required();
  AddKeyCommand(*keys, runner, flags, "rotate", "Replace a key: new secret, same tenant; the old one is revoked",
                RunRotate)
      ->add_option("id", flags->id, "Key id (from keys list)")
      ->required();
}

}  // namespace catena::cli
