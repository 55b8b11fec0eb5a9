// In-process evaluation: the engine answering the CRD guide's order-sign
// request (full prefetch, ~23 KB) without HTTP, and the same request with 1, 5
// and 20 draft orders. Prints one "name value unit" line per figure.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <simdjson.h>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/hooks/engine.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + path);
  return text.str();
}

// The guide's request with its draftOrders replaced by `count` copies of its
// second order (HCPCS E0431, which a rule with several outcome parts matches).
std::string with_orders(const std::string& request, int count) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(request);
  simdjson::dom::element order = root["context"]["draftOrders"]["entry"].at(1)["resource"];
  std::string order_text = simdjson::minify(order);
  const std::string id = "\"id\":\"2468\"";
  std::string out = "{";
  for (auto field : root.get_object()) {
    out += "\"" + std::string(field.key) + "\":";
    if (field.key != "context") {
      out += simdjson::minify(field.value);
    } else {
      out += R"({"userId":"Practitioner/ABC","patientId":"123","encounterId":"987",)"
             R"("draftOrders":{"resourceType":"Bundle","type":"collection","entry":[)";
      for (int i = 0; i < count; ++i) {
        std::string copy = order_text;
        copy.replace(copy.find(id), id.size(), "\"id\":\"order-" + std::to_string(i) + "\"");
        out += (i ? ",{\"resource\":" : "{\"resource\":") + copy + "}";
      }
      out += "]}}";
    }
    out += ",";
  }
  out.back() = '}';
  return out;
}

double ns_per_call(const crdex::hooks::Engine& engine, const std::string& body, int iterations) {
  for (int i = 0; i < iterations / 10 + 1; ++i) engine.call_service("crdex-order-sign", body);  // warm up
  const auto start = Clock::now();
  int ok = 0;
  for (int i = 0; i < iterations; ++i) ok += engine.call_service("crdex-order-sign", body).status == 200;
  const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (ok != iterations) throw std::runtime_error("some evaluations failed");
  return elapsed / iterations;
}

// A bare simdjson parse of `text` (parser reused, as the engine's is): the
// floor goal 3 of issue 20 measures the engine against, in the same process.
double ns_per_parse(const std::string& text, int iterations) {
  simdjson::dom::parser parser;
  size_t sink = 0;
  simdjson::padded_string padded(text);
  for (int i = 0; i < iterations / 10 + 1; ++i) sink += parser.parse(padded).is_object();
  const auto start = Clock::now();
  for (int i = 0; i < iterations; ++i) sink += parser.parse(padded).is_object();
  const auto elapsed = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
  if (sink == 0) throw std::runtime_error("parse failed");
  return elapsed / iterations;
}

// The draftOrders Bundle of a request, as text.
std::string draft_orders_text(const std::string& request) {
  simdjson::dom::parser parser;
  simdjson::dom::element root = parser.parse(request);
  return simdjson::minify(root["context"]["draftOrders"]);
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::stoi(argv[1]) : 20000;
  const std::string source = CRDEX_SOURCE_DIR;
  auto rules = crdex::config::RuleCatalog::load_directory(source + "/examples/rules");
  if (!rules) {
    std::cerr << rules.error().message << "\n";
    return 1;
  }
  crdex::hooks::Engine engine(std::move(rules).value());
  const std::string request = read(source + "/examples/requests/order-sign.json");

  const double ig = ns_per_call(engine, request, iterations);
  std::cout << "engine.order_sign.ig_example " << ig << " ns/request\n";
  std::cout << "engine.order_sign.ig_example.per_order " << ig / 2 << " ns/order\n";
  const double parse = ns_per_parse(request, iterations);
  std::cout << "engine.parse.ig_example " << parse << " ns/request\n";
  std::cout << "engine.order_sign.ig_example/parse " << ig / parse << " ratio\n";
  double one_order = 0;
  for (int count : {1, 5, 20}) {
    const std::string body = with_orders(request, count);
    const double t = ns_per_call(engine, body, iterations / count + 100);
    std::cout << "engine.order_sign.orders_" << count << " " << t << " ns/request\n";
    std::cout << "engine.order_sign.orders_" << count << ".per_order " << t / count << " ns/order\n";
    if (count == 1) one_order = t;
    if (count == 20) {
      // What one more order costs, against parsing one order's bytes.
      const double marginal = (t - one_order) / 19;
      const double order_parse = ns_per_parse(draft_orders_text(body), iterations / count + 100) / count;
      std::cout << "engine.order_sign.orders_20.marginal_per_order " << marginal << " ns/order\n";
      std::cout << "engine.parse.orders_20.per_order " << order_parse << " ns/order\n";
      std::cout << "engine.order_sign.orders_20.per_order/parse " << marginal / order_parse << " ratio\n";
    }
  }
  // Decimals in the orders: each copied back as written (json_numbers.hpp),
  // which costs one pass over the request text and its tape per call.
  std::string decimals = with_orders(request, 5);
  const std::string quantity = R"("quantityQuantity":{"value":1.50,"unit":"L/min"},)";
  for (size_t at = 0; (at = decimals.find("\"subject\":", at)) != std::string::npos; at += quantity.size() + 10)
    decimals.insert(at, quantity);
  const double d = ns_per_call(engine, decimals, iterations / 5 + 100);
  std::cout << "engine.order_sign.orders_5_with_decimals " << d << " ns/request\n";
  return 0;
}
