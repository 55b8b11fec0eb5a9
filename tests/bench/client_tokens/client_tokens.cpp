// Makes what the client-authentication rows of tests/bench/run.sh send: a
// fresh signing key, a --clients file that trusts it, and COUNT CDS Hooks
// client JWTs for AUDIENCE, each with its own `jti` (crdex refuses a
// replayed one), one per line. Signing is the client's cost, so it is done
// here, before the load, not while it runs. FHIR_SERVER, when given, is the
// request's fhirServer: the client is allowed to name it (crdex refuses a
// fhirServer off the client's own origin that its entry does not list).
// Usage: crdex_bench_client_tokens RS384|ES384 COUNT AUDIENCE OUT_DIR [FHIR_SERVER]
#include <time.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"

namespace {

constexpr const char* kIssuer = "https://ehr.bench.example";

int fail(const std::string& what) {
  std::cerr << "crdex_bench_client_tokens: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6)
    return fail("usage: crdex_bench_client_tokens RS384|ES384 COUNT AUDIENCE OUT_DIR [FHIR_SERVER]");
  const std::string name = argv[1];
  const auto algorithm =
      name == "ES384" ? crdex::smart::JwsAlgorithm::ES384 : crdex::smart::JwsAlgorithm::RS384;
  if (name != "ES384" && name != "RS384") return fail("algorithm must be RS384 or ES384");
  const long count = std::stol(argv[2]);
  const std::string audience = argv[3];
  const std::string out_dir = argv[4];
  const std::string fhir_server = argc == 6 ? argv[5] : "";
  if (fhir_server.find_first_of("\"\\") != std::string::npos) return fail("FHIR_SERVER must be a plain URL");
  auto key = crdex::smart::SigningKey::generate(algorithm, "bench-" + name);
  if (!key) return fail("key generation: " + key.error().message);

  std::ofstream clients(out_dir + "/clients.json");
  clients << R"({"clients":[{"iss":")" << kIssuer << R"(","jwks":{"keys":[)" << key->public_jwk_json(algorithm)
          << R"(]},"algorithms":[")" << name << '"' << "]";
  if (!fhir_server.empty()) clients << R"(,"fhir_servers":[")" << fhir_server << R"("])";
  clients << "}]}\n";

  // Valid for an hour from now: the longest lifetime crdex accepts by default.
  const long now = static_cast<long>(::time(nullptr));
  const unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  std::vector<std::vector<std::string>> parts(threads);
  std::vector<std::thread> workers;
  bool failed = false;
  for (unsigned t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      for (long i = t; i < count; i += threads) {
        const std::string claims = std::string(R"({"iss":")") + kIssuer + R"(","aud":")" + audience +
                                   R"(","exp":)" + std::to_string(now + 3000) + R"(,"iat":)" + std::to_string(now) +
                                   R"(,"jti":")" + crdex::smart::random_token(16) + R"("})";
        auto token = crdex::smart::sign_jwt(*key, algorithm, claims);
        if (!token) {
          failed = true;
          return;
        }
        parts[t].push_back(std::move(*token));
      }
    });
  for (auto& worker : workers) worker.join();
  if (failed) return fail("signing failed");
  std::ofstream tokens(out_dir + "/tokens.txt");
  for (const auto& part : parts)
    for (const auto& token : part) tokens << token << "\n";
  return tokens ? 0 : fail("cannot write " + out_dir + "/tokens.txt");
}
