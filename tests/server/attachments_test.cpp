// CDex attachments between two crdex-server processes: one the provider
// (sender, POST /attachments/outbox), one the payer (receiver,
// POST /$submit-attachment, the attachment store and its searches).
#include <signal.h>

#include <boost/test/unit_test.hpp>

#include "crdex/fhir/attachment_request.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/json_checks.hpp"
#include "support/destinations_file.hpp"
#include "support/server_process.hpp"

using namespace crdex;

namespace {

std::string parameters_example(int n) { return test::read_fixture("cdex-ig/cdex-parameters-example" + std::to_string(n) + ".json"); }

test::HttpResult submit(const std::string& base, const std::string& parameters) {
  return test::http_post(base + "/$submit-attachment", parameters, "application/fhir+json");
}

std::string issue_text(const std::string& outcome) {
  test::Json doc(outcome);
  return std::string(std::string_view(doc.root()["issue"].at(0)["diagnostics"]));
}

struct TwoRoles {
  test::TempDir payer_data;
  test::ServerProcess payer{{}, {}, true, (payer_data.path() / "payer").string()};
  // The provider's outbox may send to the payer only: a configured destination.
  test::ServerProcess provider{test::destinations_args(payer_data.path(), {{"payer", payer.base_url()}})};

  test::HttpResult send(const std::string& body) const {
    return test::http_post(provider.base_url() + "/attachments/outbox", body);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(attachments, TwoRoles)

BOOST_AUTO_TEST_CASE(CDX_10_submit_attachment_round_trips_from_provider_to_payer) {
  const auto parameters = parameters_example(1);
  const auto sent = send(R"({"payerUrl":")" + payer.base_url() + R"(/$submit-attachment","parameters":)" + parameters + "}");
  BOOST_TEST_REQUIRE(sent.status == 200, sent.body);
  test::Json receipt(sent.body);
  BOOST_TEST(int64_t(receipt.root()["payerStatus"]) == 200);
  BOOST_TEST(std::string_view(receipt.root()["payerAnswer"]["issue"].at(0)["severity"]) == "information");

  // The payer finds it by tracking id, member, and hands the content back unchanged.
  const auto found = test::http_get(payer.base_url() + "/attachments?tracking-id=http://example.org/provider%7C11234657");
  BOOST_TEST_REQUIRE(found.status == 200, found.body);
  test::Json list(found.body);
  BOOST_TEST_REQUIRE(int64_t(list.root()["total"]) == 1);
  const auto submission = list.root()["submissions"].at(0);
  BOOST_TEST(std::string_view(submission["memberId"]["value"]) == "234567");
  BOOST_TEST(std::string_view(submission["attachments"].at(0)["contentType"]) == "DocumentReference");
  const std::string content_path(std::string_view(submission["attachments"].at(0)["content"]));
  const auto content = test::http_get(payer.base_url() + content_path);
  BOOST_TEST_REQUIRE(content.status == 200);
  BOOST_TEST(content.header("content-type") == "application/fhir+json");
  test::Json original(parameters);
  simdjson::dom::element original_content;
  for (auto p : original.root()["parameter"].get_array())
    if (std::string_view(p["name"]) == "Attachment")
      for (auto part : p["part"].get_array())
        if (std::string_view(part["name"]) == "Content") original_content = part["resource"];
  BOOST_TEST(test::minified(test::Json(content.body).root()) == test::minified(original_content));
  BOOST_TEST(test::http_get(payer.base_url() + "/attachments?member=234567").body.find("11234657") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_10_invalid_parameters_get_400_naming_the_parameter) {
  const auto no_member = test::Json(parameters_example(1));
  std::string body = R"({"resourceType":"Parameters","parameter":[)";
  bool first = true;
  for (auto p : no_member.root()["parameter"].get_array()) {
    if (std::string_view(p["name"]) == "MemberId") continue;
    body += (first ? "" : ",") + test::minified(p);
    first = false;
  }
  body += "]}";
  const auto refused = submit(payer.base_url(), body);
  BOOST_TEST(refused.status == 400);
  BOOST_TEST(refused.header("content-type") == "application/fhir+json");
  test::Json outcome(refused.body);
  BOOST_TEST(std::string_view(outcome.root()["issue"].at(0)["expression"].at(0)) ==
             "Parameters.parameter.where(name='MemberId')");
  BOOST_TEST(submit(payer.base_url(), "{").status == 400);
  BOOST_TEST(test::http_request("POST", payer.base_url() + "/$submit-attachment", parameters_example(1), "text/plain").status == 415);
  BOOST_TEST(test::http_get(payer.base_url() + "/$submit-attachment").status == 405);

  // The sender checks before sending: nothing reaches the payer.
  const auto not_sent = send(R"({"payerUrl":")" + payer.base_url() + R"(/$submit-attachment","parameters":)" + body + "}");
  BOOST_TEST(not_sent.status == 400);
  BOOST_TEST(test::http_get(payer.base_url() + "/attachments?member=234567").body.find("\"total\":0") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_12_held_for_a_future_claim_then_attached_when_the_claim_arrives) {
  const auto held = submit(payer.base_url(), parameters_example(3));
  BOOST_TEST_REQUIRE(held.status == 200, held.body);
  BOOST_TEST(issue_text(held.body).find("held for a future claim") != std::string::npos, held.body);
  BOOST_TEST(test::Json(held.body).root()["issue"].at(0)["severity"].get_string().value() == "information");

  const auto claim = test::http_post(
      payer.base_url() + "/attachments/claims",
      R"({"trackingId":{"system":"http://example.org/payer-acns","value":"trackingid123"},"attachTo":"claim","claimId":{"system":"http://example.org/claims","value":"CLM-5"}})");
  BOOST_TEST_REQUIRE(claim.status == 200, claim.body);
  BOOST_TEST(claim.body == R"({"attached":1})");
  const auto by_claim = test::http_get(payer.base_url() + "/attachments?claim=http://example.org/claims%7CCLM-5");
  test::Json list(by_claim.body);
  BOOST_TEST_REQUIRE(int64_t(list.root()["total"]) == 1, by_claim.body);
  BOOST_TEST(std::string_view(list.root()["submissions"].at(0)["status"]) == "attached");

  // Later attachments for a known claim are attached at once.
  const auto attached = submit(payer.base_url(), parameters_example(3));
  BOOST_TEST(issue_text(attached.body).find("attached to claim CLM-5") != std::string::npos, attached.body);
}

// Issue 15: what the provider sends is the resource as given, numbers included
// (`71.50`, `1E2` and an integer beyond 2^64 are not respelled through a double).
BOOST_AUTO_TEST_CASE(CDX_10_sent_attachments_keep_every_number_as_written) {
  std::string parameters = parameters_example(1);
  const std::string type = R"("resourceType": "DocumentReference",)";
  const auto at = parameters.find(type);
  BOOST_TEST_REQUIRE(at != std::string::npos);
  parameters.insert(at + type.size(),
                    R"("extension":[{"url":"http://example.org/a","valueDecimal":71.50},)"
                    R"({"url":"http://example.org/b","valueDecimal":1E2},)"
                    R"({"url":"http://example.org/c","valueDecimal":123456789012345678901234567890.10}],)");
  const auto sent = send(R"({"payerUrl":")" + payer.base_url() + R"(/$submit-attachment","parameters":)" + parameters + "}");
  BOOST_TEST_REQUIRE(sent.status == 200, sent.body);
  const auto found = test::http_get(payer.base_url() + "/attachments?tracking-id=http://example.org/provider%7C11234657");
  BOOST_TEST_REQUIRE(found.status == 200, found.body);
  test::Json list(found.body);
  const std::string content_path(std::string_view(list.root()["submissions"].at(0)["attachments"].at(0)["content"]));
  const auto content = test::http_get(payer.base_url() + content_path);
  BOOST_TEST_REQUIRE(content.status == 200);
  BOOST_TEST(content.body.find(R"("valueDecimal":71.50})") != std::string::npos, content.body);
  BOOST_TEST(content.body.find(R"("valueDecimal":1E2})") != std::string::npos, content.body);
  BOOST_TEST(content.body.find("123456789012345678901234567890.10") != std::string::npos, content.body);
}

BOOST_AUTO_TEST_CASE(CDX_14_solicited_request_is_answered_at_its_payer_url) {
  fhir::AttachmentRequest request;
  request.tracking_id = {"http://example.org/payer", "solicited-42"};
  request.payer_url = payer.base_url() + "/$submit-attachment";
  request.attach_to = "claim";
  request.claim_id = {"http://example.org/claims", "CLM-42"};
  request.payer_id = {"http://example.org/payer-ids", "acme"};
  request.member_id = {"http://example.org/member-ids", "M-42"};
  request.organization_id = {"http://hl7.org/fhir/sid/us-npi", "1407071236"};
  request.service_date = "2026-11-02";
  request.loinc_codes = {"11506-3"};
  const auto task = fhir::attachment_request_task_json(request, "2026-11-22T03:00:00Z");
  const auto note =
      R"({"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"text/plain","data":"cHJvZ3Jlc3Mgbm90ZQ=="}}]})";
  const auto sent = send(R"({"attachmentRequest":)" + task + R"(,"contents":[)" + note + "]}");
  BOOST_TEST_REQUIRE(sent.status == 200, sent.body);
  const auto found = test::http_get(payer.base_url() + "/attachments?tracking-id=http://example.org/payer%7Csolicited-42");
  test::Json list(found.body);
  BOOST_TEST_REQUIRE(int64_t(list.root()["total"]) == 1, found.body);
  const auto submission = list.root()["submissions"].at(0);
  BOOST_TEST(std::string_view(submission["memberId"]["value"]) == "M-42");
  BOOST_TEST(std::string_view(submission["attachments"].at(0)["code"]["coding"].at(0)["code"]) == "11506-3");
  // A Task without PayerUrl cannot be answered.
  request.payer_url.clear();
  const auto nowhere = send(R"({"attachmentRequest":)" + fhir::attachment_request_task_json(request, "2026-11-22T03:00:00Z") +
                            R"(,"contents":[)" + note + "]}");
  BOOST_TEST(nowhere.status == 400);
}

BOOST_AUTO_TEST_CASE(CDX_10_a_payer_that_does_not_answer_is_a_502_for_the_sender) {
  const auto stopped = payer.stop(SIGTERM);
  BOOST_TEST_REQUIRE(stopped.exited);
  const auto sent = send(R"({"payerUrl":")" + payer.base_url() + R"(/$submit-attachment","parameters":)" + parameters_example(1) + "}");
  BOOST_TEST(sent.status == 502, sent.body);
  BOOST_TEST(sent.body.find("did not answer") != std::string::npos, sent.body);
  // Only configured destinations: another URL is refused before any traffic.
  const auto refused =
      send(R"({"payerUrl":"http://payer.example.org/$submit-attachment","accessToken":"t","parameters":)" + parameters_example(1) + "}");
  BOOST_TEST(refused.status == 400, refused.body);
  BOOST_TEST(refused.body.find("is not under a configured destination") != std::string::npos, refused.body);
}

BOOST_AUTO_TEST_CASE(CDX_10_received_attachments_survive_a_restart) {
  BOOST_TEST_REQUIRE(submit(payer.base_url(), parameters_example(4)).status == 200);
  const auto stopped = payer.stop(SIGTERM);
  BOOST_TEST_REQUIRE(stopped.exited);
  test::ServerProcess again({}, {}, true, (payer_data.path() / "payer").string());
  const auto found = test::http_get(again.base_url() + "/attachments?tracking-id=trackingid456");
  test::Json list(found.body);
  BOOST_TEST_REQUIRE(int64_t(list.root()["total"]) == 1, found.body);
  BOOST_TEST(list.root()["submissions"].at(0)["attachments"].get_array().size() == 3u);
  BOOST_TEST(test::http_get(again.base_url() + "/attachments/1/content/3").status == 200);
  BOOST_TEST(test::http_get(again.base_url() + "/attachments/1/content/4").status == 404);
  BOOST_TEST(test::http_get(again.base_url() + "/attachments/99").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
