// Plugin in-process evaluation: how long libcrdex.so takes to answer the CRD
// guide's order-sign request (2 draft orders, prefetch included), called the
// way a host calls it: dlopen'ed, through the C ABI, result freed each time.
//
//   crdex_bench_plugin [iterations] [threads]
//
// Uses the libcrdex.so built beside it, examples/rules and
// examples/requests/order-sign.json (paths fixed at compile time). Prints
// "name value unit" lines, as every crdex_bench_* does for tests/bench/run.sh:
// per-request mean / p50 / p99 and per-draft-order mean on one host thread,
// then (threads > 1) the total throughput of that many host threads.
#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "crdex/crdex.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int kDraftOrders = 2;  // ServiceRequest/1357 and DeviceRequest/2468
constexpr char kService[] = "crdex-order-sign";

struct Api {
  decltype(&crdex_init) init;
  decltype(&crdex_shutdown) shutdown;
  decltype(&crdex_engine_create) create;
  decltype(&crdex_engine_destroy) destroy;
  decltype(&crdex_engine_evaluate) evaluate;
  decltype(&crdex_result_free) result_free;
  decltype(&crdex_last_error_message) last_error;
};

template <class F>
void find(void* library, const char* name, F& out) {
  out = reinterpret_cast<F>(dlsym(library, name));
  if (!out) {
    std::fprintf(stderr, "missing %s\n", name);
    std::exit(2);
  }
}

bool evaluate_once(const Api& api, const crdex_engine* engine, const std::string& request) {
  crdex_result* result = nullptr;
  const bool ok =
      api.evaluate(engine, kService, sizeof kService - 1, request.data(), request.size(), &result) == CRDEX_OK;
  api.result_free(result);
  return ok;
}

double micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::stoi(argv[1]) : 20000;
  const int threads = argc > 2 ? std::stoi(argv[2]) : 2;
  std::stringstream text;
  text << std::ifstream(CRDEX_SOURCE_DIR "/examples/requests/order-sign.json", std::ios::binary).rdbuf();
  const std::string request = text.str();

  void* library = dlopen(CRDEX_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    std::fprintf(stderr, "%s\n", dlerror());
    return 2;
  }
  Api api{};
  find(library, "crdex_init", api.init);
  find(library, "crdex_shutdown", api.shutdown);
  find(library, "crdex_engine_create", api.create);
  find(library, "crdex_engine_destroy", api.destroy);
  find(library, "crdex_engine_evaluate", api.evaluate);
  find(library, "crdex_result_free", api.result_free);
  find(library, "crdex_last_error_message", api.last_error);

  const std::string config = R"({"rules_dir":")" CRDEX_SOURCE_DIR R"(/examples/rules"})";
  crdex_engine* engine = nullptr;
  if (api.init(CRDEX_ABI_VERSION) != CRDEX_OK ||
      api.create(nullptr, config.data(), config.size(), &engine) != CRDEX_OK) {
    std::fprintf(stderr, "set-up failed: %s\n", api.last_error());
    return 2;
  }

  for (int i = 0; i < 1000; ++i)  // warm the per-thread parser and the allocator
    if (!evaluate_once(api, engine, request)) {
      std::fprintf(stderr, "evaluation failed: %s\n", api.last_error());
      return 1;
    }

  std::vector<double> samples(static_cast<size_t>(iterations));
  const auto start = Clock::now();
  for (auto& sample : samples) {
    const auto before = Clock::now();
    evaluate_once(api, engine, request);
    sample = micros(Clock::now() - before);
  }
  const double total = micros(Clock::now() - start);
  std::sort(samples.begin(), samples.end());
  const double mean = total / iterations;
  std::printf("plugin.order_sign.ig_example.mean %.1f us/request\n", mean);
  std::printf("plugin.order_sign.ig_example.p50 %.1f us/request\n", samples[samples.size() / 2]);
  std::printf("plugin.order_sign.ig_example.p99 %.1f us/request\n", samples[samples.size() * 99 / 100]);
  std::printf("plugin.order_sign.ig_example.per_order %.1f us/order\n", mean / kDraftOrders);

  if (threads > 1) {
    std::vector<std::thread> workers;
    const auto parallel_start = Clock::now();
    for (int t = 0; t < threads; ++t)
      workers.emplace_back([&] {
        for (int i = 0; i < iterations; ++i) evaluate_once(api, engine, request);
      });
    for (auto& worker : workers) worker.join();
    const double seconds = micros(Clock::now() - parallel_start) / 1e6;
    std::printf("plugin.order_sign.ig_example.threads_%d %.0f req/s\n", threads, threads * iterations / seconds);
  }

  api.destroy(engine);
  api.shutdown();
  dlclose(library);
  return 0;
}
