#include "loopback_jwks_server.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>

namespace crdex::test {

namespace {

namespace Http = Pistache::Http;

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)
  explicit Handler(std::shared_ptr<LoopbackJwksServer::State> state) : state_(std::move(state)) {}

  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    std::string body;
    bool found = false;
    {
      std::lock_guard lock(state_->mutex);
      ++state_->counts[request.resource()];
      const auto id = request.headers().tryGetRaw("X-Request-Id");
      state_->request_ids[request.resource()] = id ? id->value() : std::string();
      if (auto it = state_->bodies.find(request.resource()); it != state_->bodies.end()) {
        body = it->second;
        found = true;
      }
    }
    response.headers().add<Http::Header::ContentType>(std::string("application/json"));
    response.send(found ? Http::Code::Ok : Http::Code::Not_Found, found ? body : "{}");
  }

 private:
  std::shared_ptr<LoopbackJwksServer::State> state_;
};

}  // namespace

LoopbackJwksServer::LoopbackJwksServer() : state_(std::make_shared<State>()) {
  endpoint_ = std::make_unique<Http::Endpoint>(Pistache::Address("127.0.0.1", Pistache::Port(0)));
  endpoint_->init(Http::Endpoint::options().threads(1));
  endpoint_->setHandler(Http::make_handler<Handler>(state_));
  endpoint_->serveThreaded();  // binds (Pistache 0.0.5); a bind() before it would bind twice
  base_ = "http://127.0.0.1:" + std::to_string(static_cast<uint16_t>(endpoint_->getPort()));
}

LoopbackJwksServer::~LoopbackJwksServer() { endpoint_->shutdown(); }

std::string LoopbackJwksServer::url(const std::string& path) const { return base_ + path; }

void LoopbackJwksServer::publish(const std::string& path, std::string json) {
  std::lock_guard lock(state_->mutex);
  state_->bodies[path] = std::move(json);
}

int LoopbackJwksServer::requests(const std::string& path) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->counts.find(path);
  return it == state_->counts.end() ? 0 : it->second;
}

std::string LoopbackJwksServer::last_request_id(const std::string& path) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->request_ids.find(path);
  return it == state_->request_ids.end() ? std::string() : it->second;
}

int LoopbackJwksServer::total_requests() const {
  std::lock_guard lock(state_->mutex);
  int total = 0;
  for (const auto& [path, count] : state_->counts) total += count;
  return total;
}

}  // namespace crdex::test
