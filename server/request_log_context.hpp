#pragma once
// What crdex's log lines say about the request being answered: its id
// (X-Request-Id), the CDS service and payer once known, the status and
// duration once answered. The front end opens a RequestLogScope on the thread
// that handles a request (the event thread, then the worker that runs the
// deferred part); every log line written on that thread meanwhile — the
// front end's, a module's, the engine's through its log sink — carries these
// fields in the JSON log (log_format.hpp). Per thread, because a request is
// handled on one thread at a time and the log calls deep below have no
// request to hand.
//
// The fields hold identifiers only, never a token or a body.

#include <optional>
#include <string>
#include <string_view>

namespace crdex::server {

struct RequestLogFields {
  std::string request_id;
  std::string service;  // the CDS service called ("" for other routes)
  std::string payer;    // the payer whose rules answered ("" when none did)
  int status = 0;       // 0 until answered
  std::optional<double> duration_ms;
};

// The fields of the request this thread is answering; nullptr when none.
RequestLogFields* current_request_log_fields();

// The current request's id; "" outside a request.
std::string_view current_request_id();

// Makes `request_id` this thread's current request until destroyed; scopes
// nest (the previous one is current again afterwards).
class RequestLogScope {
 public:
  explicit RequestLogScope(std::string request_id);
  ~RequestLogScope();
  RequestLogScope(const RequestLogScope&) = delete;
  RequestLogScope& operator=(const RequestLogScope&) = delete;

 private:
  RequestLogFields fields_;
  RequestLogFields* previous_;
};

}  // namespace crdex::server
