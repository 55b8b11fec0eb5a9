#pragma once
// Writes one answer: its media type, headers and body; counts it (metrics),
// logs it, sends refusals to the audit log, and once the answer is written
// settles the jti it held in the replay ledger and counts the call out of
// those in flight (so that a drain waits for it).

#include <pistache/http.h>

#include <chrono>
#include <memory>
#include <string>

#include "front_answer.hpp"
#include "http_front.hpp"

namespace crdex::server {

void send_answer(Pistache::Http::ResponseWriter& response, Answer answer, Pistache::Http::Method method,
                 const std::string& resource, std::chrono::steady_clock::time_point start,
                 const std::shared_ptr<FrontState>& state, const HeaderList& cors, const Route* route = nullptr);

}  // namespace crdex::server
