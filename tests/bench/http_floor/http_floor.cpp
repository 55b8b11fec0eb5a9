// The floor for the HTTP benchmark: a bare Pistache endpoint with crdex-server's
// settings that reads the request body and answers a fixed body of the size
// crdex answers, without parsing anything. crdex / floor is the cost of crdex's
// own work on top of the HTTP stack.
//
// Usage: crdex_bench_floor RESPONSE_FILE [THREADS]  (prints "listening on http://127.0.0.1:PORT")
#include <pistache/endpoint.h>
#include <signal.h>

#include <fstream>
#include <iostream>
#include <sstream>

namespace {

class FixedAnswer : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(FixedAnswer)
  explicit FixedAnswer(std::shared_ptr<const std::string> body) : body_(std::move(body)) {}

  void onRequest(const Pistache::Http::Request& request, Pistache::Http::ResponseWriter response) override {
    // Touch the body as crdex would have to.
    volatile size_t size = request.body().size();
    (void)size;
    response.headers().add<Pistache::Http::Header::ContentType>(std::string("application/json"));
    response.send(Pistache::Http::Code::Ok, *body_);
  }

 private:
  std::shared_ptr<const std::string> body_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: crdex_bench_floor RESPONSE_FILE [THREADS]\n";
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto body = std::make_shared<const std::string>(text.str());
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;

  Pistache::Http::Endpoint endpoint(Pistache::Address("127.0.0.1", Pistache::Port(0)));
  endpoint.init(Pistache::Http::Endpoint::options()
                    .threads(threads)
                    .flags(Pistache::Tcp::Options::ReuseAddr)
                    .maxRequestSize((1 << 20) + 64 * 1024)
                    .headerTimeout(std::chrono::seconds(10))
                    .bodyTimeout(std::chrono::seconds(30))
                    .keepaliveTimeout(std::chrono::seconds(60)));
  endpoint.setHandler(Pistache::Http::make_handler<FixedAnswer>(body));
  endpoint.serveThreaded();  // binds (Pistache 0.0.5); a bind() before it would bind twice
  std::cout << "crdex_bench_floor listening on http://127.0.0.1:" << static_cast<uint16_t>(endpoint.getPort())
            << std::endl;
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  endpoint.shutdown();
  return 0;
}
