#include "crdex/fhir/http_client.hpp"

#include "http_setup.hpp"

#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>

namespace crdex::fhir {

namespace detail {

void init_curl_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

namespace {

// The outbound guard on the address libcurl is about to connect to (after
// name resolution: what is checked is what is used).
curl_socket_t open_guarded_socket(void* clientp, curlsocktype purpose, curl_sockaddr* address) {
  auto* guard = static_cast<OutboundGuardState*>(clientp);
  if (purpose == CURLSOCKTYPE_IPCXN && !(guard && guard->configured_origin))
    if (auto refused = outbound_address_refusal(&address->addr)) {
      if (guard) guard->refusal = *refused;
      return CURL_SOCKET_BAD;
    }
  return socket(address->family, address->socktype, address->protocol);
}

}  // namespace

void set_up_transfer(CURL* e, const char* url, curl_slist* headers, long timeout_ms, long connect_timeout_ms,
                     OutboundGuardState* guard) {
  curl_easy_setopt(e, CURLOPT_URL, url);
  if (outbound_guard_on()) {
    if (guard) guard->configured_origin = outbound_origin_configured(url);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, open_guarded_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, guard);
  }
  if (headers) curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would carry the token elsewhere
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(e, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2);
  curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  // 0: no overall limit (libcurl's meaning); the connection still has one.
  curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, std::max(0L, timeout_ms));
  curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                   timeout_ms > 0 ? std::max(1L, std::min(timeout_ms, connect_timeout_ms)) : connect_timeout_ms);
}

curl_slist* append_bearer(curl_slist* headers, std::string_view token) {
  if (token.empty()) return headers;
  const std::string line = "Authorization: Bearer " + std::string(token);
  return curl_slist_append(headers, line.c_str());
}

}  // namespace detail

std::string request_id_header(std::string_view id) {
  if (id.empty() || id.size() > 128) return {};
  for (const char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
          c == ':' || c == '-'))
      return {};
  return "X-Request-Id: " + std::string(id);
}

namespace {

struct Exchange {
  const HttpCall* call = nullptr;
  HttpAnswer* answer = nullptr;
  bool too_large = false;
  bool sink_refused = false;
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t bytes = size * count;
  if (ex->call->sink) {
    if (!ex->call->sink(std::string_view(data, bytes))) {
      ex->sink_refused = true;
      return 0;
    }
    return bytes;
  }
  if (ex->answer->body.size() + bytes > ex->call->max_body_bytes) {
    ex->too_large = true;
    return 0;
  }
  ex->answer->body.append(data, bytes);
  return bytes;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const size_t bytes = size * count;
  std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) ex->answer->headers.clear();  // a new answer (after 100 Continue)
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
  std::string_view value = line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.remove_suffix(1);
  ex->answer->headers[name] = std::string(value);
  return bytes;
}

}  // namespace

HttpAnswer perform_http_call(const HttpCall& call) {
  detail::init_curl_once();
  HttpAnswer answer;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> easy(curl_easy_init(), &curl_easy_cleanup);
  if (!easy) {
    answer.problem = "cannot start an HTTP transfer";
    return answer;
  }
  Exchange ex{&call, &answer};
  if (auto refused = outbound_url_refusal(call.url)) {
    answer.problem = call.url + " " + *refused;
    return answer;
  }
  detail::OutboundGuardState guard;
  curl_slist* headers = nullptr;
  for (const auto& h : call.headers) headers = curl_slist_append(headers, h.c_str());
  headers = detail::append_bearer(headers, call.access_token);
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers, &curl_slist_free_all);
  CURL* e = easy.get();
  detail::set_up_transfer(e, call.url.c_str(), headers, static_cast<long>(call.timeout.count()),
                          static_cast<long>(call.connect_timeout.count()), &guard);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method == "HEAD") curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
  if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(call.body.size()));
  }
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, &ex);
  curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(e, CURLOPT_HEADERDATA, &ex);
  const CURLcode code = curl_easy_perform(e);
  if (code != CURLE_OK) {
    answer.too_large = ex.too_large;
    answer.timed_out = code == CURLE_OPERATION_TIMEDOUT;
    if (ex.too_large)
      answer.problem = "the answer is larger than " + std::to_string(call.max_body_bytes) + " bytes";
    else if (ex.sink_refused)
      answer.problem = "the download could not be written";
    else if (!guard.refusal.empty())
      answer.problem = "refused: " + guard.refusal;
    else
      answer.problem = std::string(curl_easy_strerror(code));
    return answer;
  }
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &answer.status);
  answer.transferred = true;
  return answer;
}

std::chrono::seconds retry_after_seconds(const std::string& value, std::chrono::seconds fallback) {
  long long seconds = 0;
  const auto* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, seconds);
  if (ec != std::errc() || ptr != end || seconds < 0) return fallback;
  return std::chrono::seconds(seconds);
}

}  // namespace crdex::fhir
