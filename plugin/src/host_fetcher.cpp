#include "host_fetcher.hpp"

#include <string>

namespace crdex::plugin {

namespace {

struct ReplySlot {
  bool answered = false;
  bool answered_twice = false;
  long http_status = 0;
  std::string body;
};

// The host calls this at most once per request; the body is copied before it
// returns, as crdex.h promises. It must not let an exception reach the host.
void take_reply(void* context, int http_status, const char* body, size_t body_len) {
  auto* slot = static_cast<ReplySlot*>(context);
  if (!slot) return;
  if (slot->answered) {
    slot->answered_twice = true;
    return;
  }
  try {
    slot->body.assign(body ? body : "", body ? body_len : 0);
    slot->http_status = http_status;
    slot->answered = true;
  } catch (...) {
    slot->body.clear();  // out of memory: treated as no answer
  }
}

}  // namespace

fhir::FetchReply HostFetcher::get(std::string_view url, std::string_view access_token,
                                  std::chrono::steady_clock::time_point) const noexcept {
  return perform("GET", url, access_token, {});
}

fhir::FetchReply HostFetcher::post(std::string_view url, std::string_view access_token,
                                   std::string_view body) const noexcept {
  return perform("POST", url, access_token, body);
}

fhir::FetchReply HostFetcher::perform(const char* method, std::string_view url, std::string_view access_token,
                                      std::string_view body) const noexcept {
  fhir::FetchReply reply;
  try {
    crdex_fhir_request request{};
    request.struct_size = sizeof(crdex_fhir_request);
    request.struct_version = CRDEX_FHIR_REQUEST_VERSION_1;
    request.method = method;
    request.url = url.data();
    request.url_len = url.size();
    request.body = body.empty() ? nullptr : body.data();
    request.body_len = body.size();
    request.access_token = access_token.empty() ? nullptr : access_token.data();
    request.access_token_len = access_token.size();
    ReplySlot slot;
    const crdex_status status = transport_(user_data_, &request, take_reply, &slot);
    if (status != CRDEX_OK) {
      reply.problem = std::string("the host's transport returned ") + crdex_status_name(status);
    } else if (slot.answered_twice) {
      reply.problem = "the host's transport replied more than once";
    } else if (!slot.answered) {
      reply.problem = "the host's transport returned without a reply";
    } else if (slot.http_status < 100 || slot.http_status > 599) {
      reply.problem = "the host's transport replied with HTTP status " + std::to_string(slot.http_status);
    } else {
      reply.answered = true;
      reply.http_status = slot.http_status;
      reply.body = std::move(slot.body);
    }
  } catch (...) {
    reply.answered = false;
    reply.problem = "the host's reply could not be taken";
  }
  return reply;
}

}  // namespace crdex::plugin
