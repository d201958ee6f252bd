// `catena sessions list|show|erase`: conversation memory of the tenant (MemoryService).
#include <cstdio>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "cli/cli_command.h"

namespace catena::cli {
namespace {

struct SessionFlags {
  std::string user;
  std::string session;
  int last = 20;
};

std::string RoleLabel(v1::Role role) {
  switch (role) {
    case v1::ROLE_SYSTEM:
      return "system";
    case v1::ROLE_USER:
      return "user";
    case v1::ROLE_ASSISTANT:
      return "assistant";
    case v1::ROLE_TOOL:
      return "tool";
    default:
      return "unspecified";
  }
}

std::string FormatTime(int64_t unix_ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

// Prints one line per session: id, user, message count, last update; follows every page.
int RunList(const sdk::Client& client, const SessionFlags& flags) {
  v1::ListSessionsRequest request;
  request.set_user_id(flags.user);
  request.mutable_page()->set_page_size(1000);
  do {
    auto response = client.memory().ListSessions(request);
    if (!response.ok()) return Fail(response.status(), client.options().address);
    for (const v1::Session& session : response->sessions()) {
      std::printf("%s\tuser=%s\tmessages=%lld\tupdated=%s\n", session.id().c_str(), session.user_id().c_str(),
                  static_cast<long long>(session.message_count()), FormatTime(session.updated_at_unix_ms()).c_str());
    }
    request.mutable_page()->set_page_token(response->next_page_token());
  } while (!request.page().page_token().empty());
  return 0;
}

// Prints the session header and its last N messages, oldest first.
int RunShow(const sdk::Client& client, const SessionFlags& flags) {
  v1::GetSessionRequest get;
  get.set_id(flags.session);
  auto session = client.memory().GetSession(get);
  if (!session.ok()) return Fail(session.status(), client.options().address);
  std::printf("session %s user=%s messages=%lld\n", session->id().c_str(), session->user_id().c_str(),
              static_cast<long long>(session->message_count()));
  v1::ListMessagesRequest list;
  list.set_session_id(flags.session);
  list.set_reverse(true);
  list.mutable_page()->set_page_size(flags.last);
  auto response = client.memory().ListMessages(list);
  if (!response.ok()) return Fail(response.status(), client.options().address);
  for (int i = response->messages_size() - 1; i >= 0; --i) {
    const v1::StoredMessage& stored = response->messages(i);
    std::printf("#%lld %s: %s\n", static_cast<long long>(stored.seq()), RoleLabel(stored.message().role()).c_str(),
                stored.message().content().c_str());
  }
  return 0;
}

int RunErase(const sdk::Client& client, const SessionFlags& flags) {
  v1::EraseUserRequest request;
  request.set_user_id(flags.user);
  auto erased = client.memory().EraseUser(request);
  if (!erased.ok()) return Fail(erased.status(), client.options().address);
  const v1::EraseUserResponse& response = *erased;
  std::printf("erased user %s: sessions=%lld messages=%lld summaries=%lld facts=%lld checkpoints=%lld\n",
              flags.user.c_str(), static_cast<long long>(response.sessions_erased()),
              static_cast<long long>(response.messages_erased()), static_cast<long long>(response.summaries_erased()),
              static_cast<long long>(response.facts_erased()), static_cast<long long>(response.checkpoints_erased()));
  return 0;
}

}  // namespace

void AddSessionCommands(CLI::App& app, CommandRunner& runner) {
  auto flags = std::make_shared<SessionFlags>();
  CLI::App* sessions = app.add_subcommand("sessions", "Conversation memory: list, show or erase");
  sessions->require_subcommand(1);

  CLI::App* list = sessions->add_subcommand("list", "List the tenant's sessions");
  list->add_option("--user", flags->user, "Only this user's sessions");
  list->callback([&runner, flags] { runner = [flags](const sdk::Client& c) { return RunList(c, *flags); }; });

  CLI::App* show = sessions->add_subcommand("show", "Show a session and its last messages");
  show->add_option("session", flags->session, "Session id")->required();
  show->add_option("--last", flags->last, "How many of the newest messages")->check(CLI::Range(1, 1000));
  show->callback([&runner, flags] { runner = [flags](const sdk::Client& c) { return RunShow(c, *flags); }; });

  CLI::App* erase = sessions->add_subcommand("erase", "Erase everything stored for a user (right to erasure)");
  erase->add_option("--user", flags->user, "User id")->required();
  erase->callback([&runner, flags] { runner = [flags](const sdk::Client& c) { return RunErase(c, *flags); }; });
}

}  // namespace catena::cli
