// appointment-book through the engine (HK-04, CRD-15).
#include <boost/test/unit_test.hpp>

#include "hooks/engine_fixture.hpp"
#include "support/requests.hpp"

using namespace crdex;

namespace {
constexpr const char* kAppointmentBookService = "crdex-appointment-book";
}

BOOST_FIXTURE_TEST_SUITE(hooks_appointment_book, test::EngineFixture)

BOOST_AUTO_TEST_CASE(HK04_ig_example_updates_the_appointment) {
  const auto body = test::with_prefetch(test::read_fixture("crd-ig/CRDServiceRequest4.json"),
                                        R"({"coverage":)" + test::ig_coverage_bundle() + "}");
  const auto answer = call(kAppointmentBookService, body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto actions = answer.root()["systemActions"].get_array().value();
  BOOST_TEST_REQUIRE(actions.size() == 1u);
  auto resource = actions.at(0)["resource"].value();
  BOOST_TEST(std::string_view(resource["resourceType"]) == "Appointment");
  BOOST_TEST(std::string_view(resource["id"]) == "example");
  BOOST_TEST(test::coverage_information_code(resource, "covered") == "covered");
  BOOST_TEST(test::empty_values(answer.root()).empty());
}

BOOST_AUTO_TEST_CASE(ig_example_without_prefetch_cannot_be_assessed_yet) {
  // CRDServiceRequest4 carries no prefetch; until crdex queries the EHR (Direct
  // Query) it answers 412 with an OperationOutcome naming the missing key.
  const auto answer = call(kAppointmentBookService, test::read_fixture("crd-ig/CRDServiceRequest4.json"));
  BOOST_TEST(answer.status == 412);
  BOOST_TEST(answer.expression() == "prefetch.coverage");
}

BOOST_AUTO_TEST_CASE(CRD15_appointment_based_on_a_service_request_updates_the_service_request) {
  const std::string body = R"({"hook":"appointment-book","hookInstance":"a1",
    "context":{"userId":"PractitionerRole/r1","patientId":"123","appointments":{"resourceType":"Bundle",
      "type":"collection","entry":[{"resource":{"resourceType":"Appointment","id":"ap1","status":"proposed",
        "basedOn":[{"reference":"http://ehr/fhir/ServiceRequest/sr1"}],
        "participant":[{"actor":{"reference":"Patient/123"},"status":"accepted"}]}}]}},
    "prefetch":{"coverage":)" + test::ig_coverage_bundle() +
                           R"(,"serviceRequests":{"resourceType":"Bundle","type":"searchset","entry":[{"resource":
        {"resourceType":"ServiceRequest","id":"sr1","status":"active","intent":"order",
         "code":{"coding":[{"system":"https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets","code":"E0431"}]},
         "subject":{"reference":"Patient/123"}}}]}}})";
  const auto answer = call(kAppointmentBookService, body);
  BOOST_TEST_REQUIRE(answer.status == 200, answer.text);
  auto resource = answer.root()["systemActions"].at(0)["resource"].value();
  BOOST_TEST(std::string_view(resource["resourceType"]) == "ServiceRequest");
  BOOST_TEST(std::string_view(resource["id"]) == "sr1");
  BOOST_TEST(test::coverage_information_code(resource, "pa-needed") == "auth-needed");
  BOOST_TEST(std::string_view(answer.root()["cards"].at(0)["extension"]["davinci-crd.associated-resource"].at(0)
                                  ["reference"]) == "ServiceRequest/sr1");
}

BOOST_AUTO_TEST_CASE(HK04_missing_appointments_is_named) {
  const std::string body = R"({"hook":"appointment-book","hookInstance":"a1",
    "context":{"userId":"PractitionerRole/r1","patientId":"123"},"prefetch":{"coverage":null}})";
  const auto answer = call(kAppointmentBookService, body);
  BOOST_TEST(answer.status == 400);
  BOOST_TEST(answer.expression() == "context.appointments");
}

BOOST_AUTO_TEST_SUITE_END()
