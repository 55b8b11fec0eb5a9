// What CDS client authentication costs per call, per algorithm: parsing a
// CDS Hooks client JWT and verifying its signature with a key parsed once
// (what crdex-server does), next to parsing the JWK itself (what it would pay
// per call without the key cache) and signing (a client's side, and
// private_key_jwt). Prints one "name value unit" line per figure.
#include <time.h>

#include <chrono>
#include <iostream>
#include <string>

#include "crdex/smart/jwk.hpp"
#include "crdex/smart/jwt.hpp"
#include "crdex/smart/random_token.hpp"
#include "crdex/smart/signing_key.hpp"

namespace {

// Thread CPU time, not wall time: the machine is shared, and a verification
// is pure computation on this thread.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using time_point = std::chrono::time_point<Clock, duration>;
  static time_point now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return time_point(duration(t.tv_sec * 1'000'000'000LL + t.tv_nsec));
  }
};
using crdex::smart::JwsAlgorithm;

// Runs `work` for about `budget` of CPU time and returns CPU microseconds per run.
template <class Work>
double us_per_run(Work&& work, std::chrono::milliseconds budget = std::chrono::milliseconds(1500)) {
  for (int i = 0; i < 20; ++i) work();  // warm up
  long runs = 0;
  const auto start = Clock::now();
  auto elapsed = Clock::duration::zero();
  while (elapsed < budget) {
    for (int i = 0; i < 20; ++i) work();
    runs += 20;
    elapsed = Clock::now() - start;
  }
  return std::chrono::duration<double, std::micro>(elapsed).count() / static_cast<double>(runs);
}

void require(bool ok, const char* what) {
  if (!ok) {
    std::cerr << "crdex_bench_jwt: " << what << " failed\n";
    std::exit(1);
  }
}

}  // namespace

int main() {
  // The claims a CDS client sends (CDS Hooks 2.0 §Trusting CDS Clients).
  const std::string claims =
      R"({"iss":"https://ehr.example.org","aud":"https://crd.example.org/cds-services/crdex-order-sign",)"
      R"("exp":1900000000,"iat":1899999700,"jti":")" + crdex::smart::random_token() + R"(","tenant":"acme"})";
  for (auto algorithm : {JwsAlgorithm::ES384, JwsAlgorithm::RS384, JwsAlgorithm::RS256}) {
    const std::string name = crdex::smart::jws_algorithm_name(algorithm);
    auto key = crdex::smart::SigningKey::generate(algorithm, "bench");
    require(key.ok(), "key generation");
    const std::string jwk_json = key->public_jwk_json(algorithm);
    auto jwk = crdex::smart::parse_jwk(jwk_json);
    require(jwk.ok(), "JWK parse");
    auto token = crdex::smart::sign_jwt(*key, algorithm, claims);
    require(token.ok(), "signing");
    const auto allowed = crdex::smart::default_jws_algorithms();

    const double verify = us_per_run([&] {
      auto jwt = crdex::smart::parse_jwt(*token);
      require(jwt.ok() && !crdex::smart::verify_jwt_signature(*jwt, *jwk, allowed), "verify");
    });
    const double parse_key = us_per_run([&] { require(crdex::smart::parse_jwk(jwk_json).ok(), "JWK parse"); });
    const double sign = us_per_run([&] { require(crdex::smart::sign_jwt(*key, algorithm, claims).ok(), "sign"); });
    std::cout << "jwt." << name << ".parse_and_verify " << verify << " us_cpu\n";
    std::cout << "jwt." << name << ".jwk_parse " << parse_key << " us_cpu\n";
    std::cout << "jwt." << name << ".sign " << sign << " us_cpu\n";
  }
  return 0;
}
