// Direct Query through the plugin (issue 9): the host's fhir_transport carries
// every FHIR read to a real FHIR server (tests/fhir-server) seeded with the CRD
// guide's example data; without a transport the built-in client does. CH-15,
// CH-16, CH-19, CRD found-5.
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "plugin/plugin_fixture.hpp"
#include "support/fhir_server_process.hpp"
#include "support/guide_ehr_data.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/requests.hpp"

using namespace crdex::test;

namespace {

constexpr std::string_view kEhrToken = "some-opaque-fhir-access-token";
constexpr const char* kOrderSignService = "crdex-order-sign";

// The host's side: its own HTTP client (here the tests' libcurl client), and a
// record of what the library asked for.
struct HostTransport {
  struct Call {
    std::string method, url, token;
  };
  std::vector<Call> calls;
  crdex_status refuse_with = CRDEX_OK;  // anything else: fail every call

  static crdex_status perform(void* user_data, const crdex_fhir_request* request, crdex_fhir_reply_fn reply,
                              void* reply_context) {
    auto* self = static_cast<HostTransport*>(user_data);
    Call call{request->method, std::string(request->url, request->url_len),
              request->access_token ? std::string(request->access_token, request->access_token_len) : std::string()};
    self->calls.push_back(call);
    if (self->refuse_with != CRDEX_OK) return self->refuse_with;
    const auto answer = http_request(call.method, call.url, {}, "application/json",
                                     {"Accept: application/fhir+json", "Authorization: Bearer " + call.token});
    if (answer.status == 0) return CRDEX_E_INTERNAL;
    reply(reply_context, static_cast<int>(answer.status), answer.body.data(), answer.body.size());
    return CRDEX_OK;
  }

  crdex_host host() {
    crdex_host h{};
    h.struct_size = sizeof(crdex_host);
    h.struct_version = CRDEX_HOST_VERSION;
    h.user_data = this;
    h.fhir_transport = &HostTransport::perform;
    return h;
  }
};

struct DirectQueryFixture : PluginFixture {
  FhirServerProcess fhir;
  DirectQueryFixture() { seed_guide_prefetch(fhir); }

  // The guide's order-sign request without its prefetch, pointed at the test server.
  std::string request_without_prefetch() const {
    std::string body = without_member(read_fixture("crd-ig/CRDServiceRequest.json"), "prefetch");
    replace_all(body, kGuideFhirServer, fhir.fhir_url());
    return body;
  }

  ResultPtr fill(const crdex_engine* engine, const std::string& request) const {
    crdex_result* result = nullptr;
    crdex.engine_fill_prefetch(engine, kOrderSignService, std::char_traits<char>::length(kOrderSignService), request.data(),
                               request.size(), &result);
    BOOST_TEST_REQUIRE(result != nullptr);
    return own(result);
  }

  size_t fhir_requests() const { return Json(fhir.request_log()).root().get_array().size(); }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(plugin_direct_query, DirectQueryFixture)

BOOST_AUTO_TEST_CASE(CH16_found5_plugin_fills_prefetch_through_the_host_transport) {
  BOOST_TEST(crdex.feature_available(CRDEX_FEATURE_DIRECT_QUERY) == 1);
  HostTransport transport;
  const crdex_host host = transport.host();
  crdex_engine* engine = this->engine(rules_dir_config(example_rules_dir()), &host);

  const auto result = fill(engine, request_without_prefetch());
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json filled(json(result));
  simdjson::dom::object prefetch = filled.root()["request"]["prefetch"].get_object();
  for (const char* key : {"patient", "coverage", "practitionerRoles"}) {
    BOOST_TEST(prefetch[key].error() == simdjson::SUCCESS, key);
  }
  BOOST_TEST(std::string_view(prefetch["patient"]["id"]) == "123");
  BOOST_TEST(std::string_view(prefetch["coverage"]["resourceType"]) == "Bundle");
  BOOST_TEST(filled.root()["problems"].get_object().size() == 0u, json(result));
  BOOST_TEST(filled.root()["queries"].get_array().size() >= 3u);

  // Every read went through the host (none by the built-in client), as a GET
  // under the request's fhirServer with the request's token.
  BOOST_TEST_REQUIRE(!transport.calls.empty());
  BOOST_TEST(transport.calls.size() == fhir_requests(), fhir.request_log());
  for (const auto& call : transport.calls) {
    BOOST_TEST(call.method == "GET");
    BOOST_TEST(call.url.starts_with(fhir.fhir_url() + "/"), call.url);
    BOOST_TEST(call.token == kEhrToken);
  }
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CH16_CRD19_plugin_evaluation_with_host_fill_matches_full_prefetch) {
  HostTransport transport;
  const crdex_host host = transport.host();
  crdex_engine* engine = this->engine(rules_dir_config(example_rules_dir()), &host);

  std::string with_prefetch = read_fixture("crd-ig/CRDServiceRequest.json");
  const auto expected = evaluate(engine, kOrderSignService, with_prefetch);
  BOOST_TEST_REQUIRE(crdex.result_status(expected.get()) == CRDEX_OK, crdex.result_message(expected.get()));
  BOOST_TEST(transport.calls.empty());  // CH-15: what the EHR sent is not asked again

  const auto fetched = evaluate(engine, kOrderSignService, request_without_prefetch());
  BOOST_TEST_REQUIRE(crdex.result_status(fetched.get()) == CRDEX_OK, crdex.result_message(fetched.get()));
  const auto expected_parts = coverage_information_of_actions(json(expected));
  BOOST_TEST_REQUIRE(!expected_parts.empty());
  BOOST_TEST((coverage_information_of_actions(json(fetched)) == expected_parts));
  BOOST_TEST(!transport.calls.empty());
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CH19_a_failing_host_transport_is_reported_and_evaluation_gives_412) {
  HostTransport transport;
  transport.refuse_with = CRDEX_E_INTERNAL;
  const crdex_host host = transport.host();
  crdex_engine* engine = this->engine(rules_dir_config(example_rules_dir()), &host);

  const auto result = fill(engine, request_without_prefetch());
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json filled(json(result));
  const std::string_view problem = filled.root()["problems"]["coverage"];
  BOOST_TEST(problem.find("CRDEX_E_INTERNAL") != std::string_view::npos, problem);
  BOOST_TEST(filled.root()["request"]["prefetch"]["coverage"].error() != simdjson::SUCCESS);

  const auto evaluated = evaluate(engine, kOrderSignService, request_without_prefetch());
  BOOST_TEST(crdex.result_http_status(evaluated.get()) == 412, json(evaluated));
  BOOST_TEST(fhir_requests() == 0u);  // the host refused; nothing reached the server
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_CASE(CH16_plugin_without_transport_uses_its_own_client) {
  crdex_engine* engine = this->engine(R"({"rules_dir":")" + example_rules_dir().string() +
                                      R"(","prefetch_timeout_ms":5000,"prefetch_max_pages":3})");
  const auto result = fill(engine, request_without_prefetch());
  BOOST_TEST_REQUIRE(crdex.result_status(result.get()) == CRDEX_OK, crdex.result_message(result.get()));
  Json filled(json(result));
  BOOST_TEST(std::string_view(filled.root()["request"]["prefetch"]["patient"]["id"]) == "123");
  BOOST_TEST(fhir_requests() >= 3u);
  crdex.engine_destroy(engine);
}

BOOST_AUTO_TEST_SUITE_END()

// No FHIR server needed: configuration and request errors.
BOOST_FIXTURE_TEST_CASE(PLUGIN_fill_settings_are_checked, PluginFixture) {
  const std::string dir = example_rules_dir().string();
  for (const std::string bad : {R"(,"prefetch_timeout_ms":0)", R"(,"prefetch_max_pages":"5")",
                                R"(,"fhir_allow_http":1)"}) {
    const std::string config = R"({"rules_dir":")" + dir + "\"" + bad + "}";
    crdex_engine* engine = nullptr;
    BOOST_TEST(crdex.engine_create(nullptr, config.data(), config.size(), &engine) == CRDEX_E_CONFIG, config);
    BOOST_TEST(engine == nullptr);
  }
  // Bad hook requests get the evaluation's own errors.
  crdex_engine* engine = example_engine();
  const std::string not_json = "{";
  crdex_result* result = nullptr;
  BOOST_TEST(crdex.engine_fill_prefetch(engine, kOrderSignService, 16, not_json.data(), not_json.size(), &result) ==
             CRDEX_E_BAD_REQUEST);
  BOOST_TEST(crdex.result_http_status(result) == 400);
  crdex.result_free(result);
  BOOST_TEST(crdex.engine_fill_prefetch(engine, "nope", 4, not_json.data(), not_json.size(), &result) ==
             CRDEX_E_NOT_FOUND);
  crdex.result_free(result);
  crdex.engine_destroy(engine);
}
