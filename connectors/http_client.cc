// HttpClient over libcurl. Each request borrows a slot {multi handle, easy handle} from a LIFO pool; the multi
// handle's connection cache keeps connections alive between requests that reuse the slot. The transfer is driven
// with curl_multi_perform/curl_multi_poll so the idle timeout is checked with millisecond precision.
#include "connectors/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status.h"

namespace catena::connectors {
namespace {

std::once_flag g_curl_global_once;

void EnsureCurlGlobalInit() {
  std::call_once(g_curl_global_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

enum class AbortReason { kNone, kTooLarge, kCancelled, kIdle };

// Per-request state the curl callbacks write into.
struct Transfer {
  const HttpRequest* request = nullptr;
  const std::function<bool(std::string_view)>* on_data = nullptr;  // null: collect the body
  HttpResponse response;
  size_t received = 0;
  AbortReason abort = AbortReason::kNone;
  absl::Time last_activity;
};

// The URL without query string or user info, so error messages never carry keys passed in URLs.
std::string RedactUrl(std::string_view url) {
  std::string_view out = url.substr(0, url.find_first_of("?#"));
  size_t scheme = out.find("://");
  size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t at = out.find('@', start);
  size_t slash = out.find('/', start);
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash)) {
    return absl::StrCat(std::string(out.substr(0, start)), std::string(out.substr(at + 1)));
  }
  return std::string(out);
}

bool IsSuccess(int status) { return status >= 200 && status < 300; }

size_t OnHeader(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  t->last_activity = absl::Now();
  std::string_view line(data, n);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.substr(0, 5) == "HTTP/") {  // a new status line: an interim (1xx) response is replaced
    t->response.headers.clear();
    size_t space = line.find(' ');
    t->response.status = space == std::string_view::npos ? 0 : std::atoi(std::string(line.substr(space + 1)).c_str());
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;  // blank line ending the headers, or a folded line
  std::string name = absl::AsciiStrToLower(std::string(line.substr(0, colon)));
  std::string value(absl::StripAsciiWhitespace(std::string(line.substr(colon + 1))));
  if (name == "content-length" && t->response.status >= 200) {
    size_t declared = std::strtoull(value.c_str(), nullptr, 10);
    if (declared > t->request->max_response_bytes) {
      t->abort = AbortReason::kTooLarge;
      return 0;
    }
  }
  t->response.headers.emplace_back(std::move(name), std::move(value));
  return n;
}

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  size_t n = size * count;
  t->last_activity = absl::Now();
  if (t->received + n > t->request->max_response_bytes) {
    t->abort = AbortReason::kTooLarge;
    return 0;
  }
  t->received += n;
  if (t->on_data != nullptr && IsSuccess(t->response.status)) {
    if (!(*t->on_data)(std::string_view(data, n))) {
      t->abort = AbortReason::kCancelled;
      return 0;
    }
    return n;
  }
  t->response.body.append(data, n);
  return n;
}

long ToMillis(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d <= absl::ZeroDuration()) return 0;  // 0 = no limit for curl
  return static_cast<long>(std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
}

absl::Status ValidateRequest(const HttpRequest& r) {
  if (r.method.empty() || !std::all_of(r.method.begin(), r.method.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return absl::InvalidArgumentError(absl::StrCat("http request: method '", r.method, "' is not an upper-case token"));
  }
  if (!absl::StartsWithIgnoreCase(r.url, "http://") && !absl::StartsWithIgnoreCase(r.url, "https://")) {
    return absl::InvalidArgumentError(
        absl::StrCat("http request: url '", RedactUrl(r.url), "' must start with http:// or https://"));
  }
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || name.find_first_of(":\r\n ") != std::string::npos ||
        value.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("http request: header '", name, "' has an invalid name or value"));
    }
  }
  return absl::OkStatus();
}

// Sets t.abort when the caller cancelled or the idle timeout passed; otherwise how long to wait for I/O (ms).
int NextWaitMs(Transfer& t) {
  const HttpRequest& r = *t.request;
  if (r.cancel != nullptr && r.cancel->load()) {
    t.abort = AbortReason::kCancelled;
    return 0;
  }
  bool idle_limited = r.idle_timeout > absl::ZeroDuration() && r.idle_timeout != absl::InfiniteDuration();
  absl::Duration idle_left = idle_limited ? r.idle_timeout - (absl::Now() - t.last_activity) : absl::Seconds(1);
  if (idle_left <= absl::ZeroDuration()) {
    t.abort = AbortReason::kIdle;
    return 0;
  }
  int64_t max_wait_ms = r.cancel != nullptr ? 50 : 1000;
  return static_cast<int>(std::clamp<int64_t>(absl::ToInt64Milliseconds(idle_left) + 1, 1, max_wait_ms));
}

struct Slot {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;
};

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, absl::string_view(name.data(), name.size()))) return value;
  }
  return "";
}

struct HttpClient::Impl {
  HttpClientOptions options;
  absl::Mutex mu;
  std::vector<Slot> idle ABSL_GUARDED_BY(mu);
  std::atomic<size_t> connections{0};

  ~Impl() {
    for (Slot& s : idle) {
      curl_easy_cleanup(s.easy);
      curl_multi_cleanup(s.multi);
    }
  }

  Slot Acquire() {
    {
      absl::MutexLock lock(&mu);
      if (!idle.empty()) {
        Slot s = idle.back();
        idle.pop_back();
        return s;
      }
    }
    Slot s{curl_multi_init(), curl_easy_init()};
    curl_multi_setopt(s.multi, CURLMOPT_MAXCONNECTS, 4L);
    return s;
  }

  void Release(Slot s) {
    curl_easy_reset(s.easy);
    absl::MutexLock lock(&mu);
    if (idle.size() < std::max<size_t>(1, options.max_idle_connections)) {
      idle.push_back(s);
      return;
    }
    curl_easy_cleanup(s.easy);
    curl_multi_cleanup(s.multi);
  }

  absl::StatusOr<HttpResponse> Run(const HttpRequest& request, const std::function<bool(std::string_view)>* on_data);
  void Configure(CURL* easy, const HttpRequest& request, Transfer& t, curl_slist* headers, char* error);
  CURLcode Drive(Slot slot, Transfer& t);
};

void HttpClient::Impl::Configure(CURL* e, const HttpRequest& r, Transfer& t, curl_slist* headers, char* error) {
  curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(e, CURLOPT_USERAGENT, options.user_agent.c_str());
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, options.verify_tls ? 1L : 0L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, options.verify_tls ? 2L : 0L);
  if (!options.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, options.ca_file.c_str());
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ToMillis(r.connect_timeout));
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ToMillis(r.timeout));
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
  if (r.method == "GET") {
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  } else {
    if (r.method != "POST") curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
  }
}

// Runs the transfer on the slot's multi handle, aborting it when no byte arrived for idle_timeout.
CURLcode HttpClient::Impl::Drive(Slot slot, Transfer& t) {
  curl_multi_add_handle(slot.multi, slot.easy);
  CURLcode result = CURLE_OK;
  bool done = false;
  t.last_activity = absl::Now();
  while (!done) {
    int running = 0;
    if (curl_multi_perform(slot.multi, &running) != CURLM_OK) {
      result = CURLE_FAILED_INIT;
      break;
    }
    int pending = 0;
    while (CURLMsg* msg = curl_multi_info_read(slot.multi, &pending)) {
      if (msg->msg == CURLMSG_DONE) {
        result = msg->data.result;
        done = true;
      }
    }
    if (done) break;
    int wait_ms = NextWaitMs(t);
    if (t.abort != AbortReason::kNone) {
      result = CURLE_ABORTED_BY_CALLBACK;
      break;
    }
    curl_multi_poll(slot.multi, nullptr, 0, wait_ms, nullptr);
  }
  curl_multi_remove_handle(slot.multi, slot.easy);
  return result;
}

namespace {

absl::Status MapCurlError(CURLcode code, const Transfer& t, const char* error) {
  const HttpRequest& r = *t.request;
  std::string where = absl::StrCat(r.method, " ", RedactUrl(r.url));
  std::string detail = error[0] != '\0' ? std::string(error) : std::string(curl_easy_strerror(code));
  switch (t.abort) {
    case AbortReason::kIdle:
      return absl::DeadlineExceededError(
          absl::StrCat(where, ": no data received for ", absl::FormatDuration(r.idle_timeout), " (idle timeout)"));
    case AbortReason::kTooLarge:
      return absl::ResourceExhaustedError(
          absl::StrCat(where, ": response exceeds max_response_bytes (", r.max_response_bytes, " bytes)"));
    case AbortReason::kCancelled:
      return absl::CancelledError(absl::StrCat(where, ": cancelled"));
    case AbortReason::kNone:
      break;
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return absl::DeadlineExceededError(absl::StrCat(where, ": timed out (connect_timeout ",
                                                      absl::FormatDuration(r.connect_timeout), ", timeout ",
                                                      absl::FormatDuration(r.timeout), "): ", detail));
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return absl::InvalidArgumentError(absl::StrCat(where, ": ", detail));
    case CURLE_PARTIAL_FILE:
      return absl::UnavailableError(absl::StrCat(where, ": response body truncated: ", detail));
    default:
      return absl::UnavailableError(absl::StrCat(where, ": ", detail));
  }
}

}  // namespace

absl::StatusOr<HttpResponse> HttpClient::Impl::Run(const HttpRequest& request,
                                                   const std::function<bool(std::string_view)>* on_data) {
  CATENA_RETURN_IF_ERROR(ValidateRequest(request));
  Transfer t;
  t.request = &request;
  t.on_data = on_data;
  curl_slist* headers = curl_slist_append(nullptr, "Expect:");
  for (const auto& [name, value] : request.headers) {
    std::string line = value.empty() ? absl::StrCat(name, ";") : absl::StrCat(name, ": ", value);
    headers = curl_slist_append(headers, line.c_str());
  }
  char error[CURL_ERROR_SIZE] = {0};
  Slot slot = Acquire();
  Configure(slot.easy, request, t, headers, error);
  CURLcode code = Drive(slot, t);
  long opened = 0;
  curl_easy_getinfo(slot.easy, CURLINFO_NUM_CONNECTS, &opened);
  connections += static_cast<size_t>(std::max(0L, opened));
  Release(slot);
  curl_slist_free_all(headers);
  if (code != CURLE_OK || t.abort != AbortReason::kNone) return MapCurlError(code, t, error);
  return std::move(t.response);
}

HttpClient::HttpClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpClient::~HttpClient() = default;

std::shared_ptr<HttpClient> HttpClient::Create(HttpClientOptions options) {
  EnsureCurlGlobalInit();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  return std::shared_ptr<HttpClient>(new HttpClient(std::move(impl)));
}

absl::StatusOr<HttpResponse> HttpClient::Send(const HttpRequest& request) { return impl_->Run(request, nullptr); }

absl::StatusOr<HttpResponse> HttpClient::SendStreaming(const HttpRequest& request,
                                                       const std::function<bool(std::string_view)>& on_data) {
  return impl_->Run(request, &on_data);
}

size_t HttpClient::connections_opened() const { return impl_->connections.load(); }

}  // namespace catena::connectors
