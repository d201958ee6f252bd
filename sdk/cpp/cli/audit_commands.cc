// `catena audit verify|show`: reads catenad's audit log (<data-dir>/audit) directly from disk, without a
// server. verify exits 1 and names the first bad record when the chain is broken; show prints a run's records.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/cli_command.h"
#include "guardrails/audit_log.h"

namespace catena::cli {
namespace {

struct AuditFlags {
  std::string data_dir = "data";
  std::string run_id;
};

std::string AuditDir(const AuditFlags& flags) { return flags.data_dir + "/audit"; }

int RunVerify(const AuditFlags& flags) {
  auto result = guardrails::VerifyAuditLog(AuditDir(flags));
  if (!result.ok()) return Fail(result.status(), AuditDir(flags));
  if (result->ok) {
    std::printf("ok: %lld records, chain and head intact\n", static_cast<long long>(result->records));
    return 0;
  }
  std::printf("BROKEN at record %lld%s%s: %s (%lld records before it are intact)\n",
              static_cast<long long>(result->first_bad), result->run_id.empty() ? "" : ", run ",
              result->run_id.c_str(), result->problem.c_str(), static_cast<long long>(result->records));
  return kExitFailure;
}

int RunShow(const AuditFlags& flags) {
  auto records = guardrails::FindAuditRecords(AuditDir(flags), flags.run_id);
  if (!records.ok()) return Fail(records.status(), AuditDir(flags));
  for (const nlohmann::json& record : *records) std::printf("%s\n", record.dump(2).c_str());
  return 0;
}

}  // namespace

void AddAuditCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<AuditFlags>();
  CLI::App* audit = app.add_subcommand("audit", "Check and read catenad's hash-chained audit log (local files)");
  audit->require_subcommand(1);
  CLI::App* verify = audit->add_subcommand("verify", "Check every record's chain link and hash; name the first bad");
  verify->add_option("--data-dir", flags->data_dir, "catenad's data directory (default: data)");
  verify->callback([&runner, flags] { runner = [flags](const sdk::Client&) { return RunVerify(*flags); }; });
  CLI::App* show = audit->add_subcommand("show", "Print the audit records of RUN_ID as JSON");
  show->add_option("--data-dir", flags->data_dir, "catenad's data directory (default: data)");
  show->add_option("run_id", flags->run_id, "the run")->required();
  show->callback([&runner, flags] { runner = [flags](const sdk::Client&) { return RunShow(*flags); }; });
}

}  // namespace catena::cli
