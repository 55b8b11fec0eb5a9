#include "flaky_payer_server.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>

namespace crdex::test {

namespace {

namespace Http = Pistache::Http;

// Pistache writes only typed headers on a response: Retry-After as one.
class RetryAfterHeader : public Http::Header::Header {
 public:
  explicit RetryAfterHeader(int seconds) : seconds_(seconds) {}
  const char* name() const override { return "Retry-After"; }
  void write(std::ostream& os) const override { os << seconds_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override { return Http::Header::detail::hash("Retry-After"); }
#endif

 private:
  int seconds_;
};

class FlakyHandler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(FlakyHandler)
  explicit FlakyHandler(std::shared_ptr<FlakyPayerServer::State> state) : state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    bool fail = false;
    int retry_after = 0;
    {
      std::lock_guard lock(state_->mutex);
      fail = state_->failures != 0;
      if (state_->failures > 0) --state_->failures;
      retry_after = state_->retry_after;
      const auto auth = request.headers().tryGetRaw("Authorization");
      state_->received.push_back({std::chrono::steady_clock::now(), request.resource(),
                                  auth ? auth->value() : std::string(), request.body(), fail ? 503 : 200});
    }
    response.headers().add<Http::Header::ContentType>(std::string("application/fhir+json"));
    if (fail) {
      response.headers().add(std::make_shared<RetryAfterHeader>(retry_after));
      response.send(Http::Code::Service_Unavailable,
                    R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"busy"}]})");
      return;
    }
    response.send(Http::Code::Ok,
                  R"({"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"received"}]})");
  }

 private:
  std::shared_ptr<FlakyPayerServer::State> state_;
};

}  // namespace

FlakyPayerServer::FlakyPayerServer(int failures, int retry_after_seconds) : state_(std::make_shared<State>()) {
  state_->failures = failures;
  state_->retry_after = retry_after_seconds;
  endpoint_ = std::make_unique<Http::Endpoint>(Pistache::Address("127.0.0.1", Pistache::Port(0)));
  endpoint_->init(Http::Endpoint::options().threads(1));
  endpoint_->setHandler(Http::make_handler<FlakyHandler>(state_));
  endpoint_->serveThreaded();  // binds (Pistache 0.0.5)
  base_ = "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort()));
}

FlakyPayerServer::~FlakyPayerServer() { endpoint_->shutdown(); }

std::vector<FlakyPayerServer::Received> FlakyPayerServer::received() const {
  std::lock_guard lock(state_->mutex);
  return state_->received;
}

void FlakyPayerServer::set_failures(int n) {
  std::lock_guard lock(state_->mutex);
  state_->failures = n;
}

}  // namespace crdex::test
