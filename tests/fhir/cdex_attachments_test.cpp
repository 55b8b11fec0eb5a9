// CDex attachments in the FHIR layer: the IG's $submit-attachment Parameters
// examples read through our model (CDX-10/11), every required parameter of
// the OperationDefinition is enforced by name, the writer round-trips, the
// solicited attachment-request Task (CDX-14), and the Bulk Data manifest (BD-09).
#include <boost/test/unit_test.hpp>

#include "crdex/fhir/attachment_request.hpp"
#include "crdex/fhir/bulk_export.hpp"
#include "crdex/fhir/submit_attachment.hpp"
#include "support/fixtures.hpp"
#include "support/json_checks.hpp"

using namespace crdex;

namespace {

std::string parameters_example(int n) { return test::read_fixture("cdex-ig/cdex-parameters-example" + std::to_string(n) + ".json"); }

// The example's Parameters without the parameters called `name`.
std::string without(const std::string& parameters, const std::string& name) {
  test::Json doc(parameters);
  std::string out = R"({"resourceType":"Parameters","parameter":[)";
  bool first = true;
  for (auto p : doc.root()["parameter"].get_array()) {
    if (std::string_view(p["name"]) == name) continue;
    out += (first ? "" : ",") + test::minified(p);
    first = false;
  }
  return out + "]}";
}

// The same Parameters with parameter `name`'s value member replaced.
std::string with_value(const std::string& parameters, const std::string& name, const std::string& member,
                       const std::string& value_json) {
  test::Json doc(parameters);
  std::string out = R"({"resourceType":"Parameters","parameter":[)";
  bool first = true;
  for (auto p : doc.root()["parameter"].get_array()) {
    out += first ? "" : ",";
    first = false;
    if (std::string_view(p["name"]) == name)
      out += R"({"name":")" + name + R"(",")" + member + "\":" + value_json + "}";
    else
      out += test::minified(p);
  }
  return out + "]}";
}

fhir::SubmitAttachment sample() {
  fhir::SubmitAttachment s;
  s.tracking_id = {"http://example.org/provider", "track-1"};
  s.attach_to = "claim";
  s.organization_id = fhir::IdentifierValue{"http://hl7.org/fhir/sid/us-npi", "1407071236"};
  s.member_id = {"http://example.org/member-ids", "M-77"};
  s.service_date = "2026-11-20";
  s.attachments.push_back({{"1", "2"},
                           R"({"coding":[{"system":"http://loinc.org","code":"11506-3"}]})",
                           R"({"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"text/plain","data":"aGVsbG8="}}]})",
                           "DocumentReference"});
  s.final = false;
  return s;
}

template <class T>
std::string why(const fhir::Result<T>& result) {
  return result.ok() ? std::string() : result.error().message;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cdex_attachments)

BOOST_AUTO_TEST_CASE(CDX_10_every_ig_parameters_example_reads_through_the_model) {
  for (int n = 1; n <= 5; ++n) {
    auto parsed = fhir::parse_submit_attachment(parameters_example(n));
    BOOST_TEST_REQUIRE(parsed.ok(), "example " << n << ": " << (why(parsed)));
    BOOST_TEST(!parsed->tracking_id.value.empty());
    BOOST_TEST(!parsed->member_id.value.empty());
    BOOST_TEST(!parsed->attachments.empty());
  }
  const auto first = fhir::parse_submit_attachment(parameters_example(1));
  BOOST_TEST(first->tracking_id.value == "11234657");
  BOOST_TEST(first->attach_to == "claim");
  BOOST_TEST(first->service_date == "2022-06-16");
  BOOST_TEST(first->attachments[0].content_type == "DocumentReference");
  BOOST_TEST(first->attachments[0].line_items.size() == 3u);
  // Example 2 signs a FHIR document Bundle; 4 has three Observations; 5 a DTR QuestionnaireResponse for a PA.
  BOOST_TEST(fhir::parse_submit_attachment(parameters_example(2))->attachments[0].content_type == "Bundle");
  BOOST_TEST(fhir::parse_submit_attachment(parameters_example(4))->attachments.size() == 3u);
  const auto fifth = fhir::parse_submit_attachment(parameters_example(5));
  BOOST_TEST(fifth->attach_to == "preauthorization");
  BOOST_TEST(fifth->admin_ref_number->value == "adminrefnumber4657");
  BOOST_TEST(fifth->attachments[0].content_type == "QuestionnaireResponse");
  BOOST_TEST(fifth->service_date.empty());  // not needed for a prior authorization
}

BOOST_AUTO_TEST_CASE(CDX_10_each_required_parameter_of_the_operation_definition_is_enforced_by_name) {
  test::Json opdef(test::read_fixture("cdex-ig/OperationDefinition-submit-attachment.json"));
  int required = 0;
  for (auto p : opdef.root()["parameter"].get_array()) {
    if (std::string_view(p["use"]) != "in" || int64_t(p["min"]) < 1) continue;
    const std::string name{std::string_view(p["name"])};
    ++required;
    auto parsed = fhir::parse_submit_attachment(without(parameters_example(1), name));
    BOOST_TEST_REQUIRE(!parsed.ok(), name);
    BOOST_TEST(parsed.error().http_status == 400);
    BOOST_TEST(parsed.error().expression == "Parameters.parameter.where(name='" + name + "')");
  }
  BOOST_TEST(required == 4);  // TrackingId, AttachTo, MemberId, Attachment
}

BOOST_AUTO_TEST_CASE(CDX_10_a_claim_needs_a_service_date_of_day_precision) {
  auto parsed = fhir::parse_submit_attachment(without(parameters_example(1), "ServiceDate"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().expression == "Parameters.parameter.where(name='ServiceDate')");
  parsed = fhir::parse_submit_attachment(with_value(parameters_example(1), "ServiceDate", "valueDateTime", R"("2022-06")"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().message.find("day precision") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_11_provider_or_organization_id_is_required) {
  auto parsed = fhir::parse_submit_attachment(without(without(parameters_example(1), "ProviderId"), "OrganizationId"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().message.find("ProviderId or an OrganizationId") != std::string::npos);
  BOOST_TEST(fhir::parse_submit_attachment(without(parameters_example(1), "ProviderId")).ok());
}

BOOST_AUTO_TEST_CASE(CDX_10_wrong_values_are_reported_with_their_parameter) {
  auto parsed = fhir::parse_submit_attachment(with_value(parameters_example(1), "AttachTo", "valueCode", R"("invoice")"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().expression == "Parameters.parameter.where(name='AttachTo')");
  parsed = fhir::parse_submit_attachment(with_value(parameters_example(1), "MemberId", "valueString", R"("x")"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().expression == "Parameters.parameter.where(name='MemberId')");
  parsed = fhir::parse_submit_attachment(
      with_value(parameters_example(1), "Attachment", "part", R"([{"name":"LineItem","valueString":"1"}])"));
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().message.find("exactly one Content") != std::string::npos);
  parsed = fhir::parse_submit_attachment(R"({"resourceType":"Parameters","parameter":[{"name":"Bogus","valueString":"x"}]})");
  BOOST_TEST_REQUIRE(!parsed.ok());
  BOOST_TEST(parsed.error().message.find("'Bogus' is not a parameter") != std::string::npos);
  BOOST_TEST(!fhir::parse_submit_attachment("not json").ok());
  BOOST_TEST(fhir::parse_submit_attachment(R"({"resourceType":"Bundle"})").error().expression == "Parameters.resourceType");
}

BOOST_AUTO_TEST_CASE(CDX_10_the_writer_round_trips_through_the_reader) {
  const auto sent = sample();
  const auto json = fhir::submit_attachment_parameters_json(sent);
  auto read = fhir::parse_submit_attachment(json);
  BOOST_TEST_REQUIRE(read.ok(), why(read));
  BOOST_TEST((read->tracking_id == sent.tracking_id));
  BOOST_TEST((read->member_id == sent.member_id));
  BOOST_TEST((read->organization_id == sent.organization_id));
  BOOST_TEST(!read->provider_id.has_value());
  BOOST_TEST((read->service_date == sent.service_date));
  BOOST_TEST((read->final == std::optional<bool>(false)));
  BOOST_TEST_REQUIRE(read->attachments.size() == 1u);
  BOOST_TEST(read->attachments[0].content_json == sent.attachments[0].content_json);
  BOOST_TEST(read->attachments[0].code_json == sent.attachments[0].code_json);
  BOOST_TEST((read->attachments[0].line_items == sent.attachments[0].line_items));
  test::Json doc(json);
  BOOST_TEST(std::string_view(doc.root()["meta"]["profile"].at(0)) == fhir::kSubmitAttachmentProfile);
}

BOOST_AUTO_TEST_CASE(CDX_14_the_ig_attachment_request_task_is_answered_with_its_tracking_id) {
  auto request = fhir::parse_attachment_request(test::read_fixture("cdex-ig/cdex-task-example19.json"));
  BOOST_TEST_REQUIRE(request.ok(), why(request));
  BOOST_TEST(request->tracking_id.value == "trackingid123");
  BOOST_TEST(request->payer_url == "http://example.org/cdex/payer/$submit-attachment");
  BOOST_TEST(request->attach_to == "claim");
  BOOST_TEST(request->claim_id.value == "Claim123");
  BOOST_TEST(request->member_id.value == "Member123");
  BOOST_TEST(request->provider_id.value == "9941339100");
  BOOST_TEST(request->organization_id.value == "1234567893");
  BOOST_TEST(request->service_date == "2022-06-13");
  BOOST_TEST((request->loinc_codes == std::vector<std::string>{"11506-3"}));

  const auto answer = fhir::answer_attachment_request(
      *request, {R"({"resourceType":"DocumentReference","status":"current","content":[{"attachment":{"contentType":"text/plain","data":"bm90ZQ=="}}]})"});
  auto parsed = fhir::parse_submit_attachment(fhir::submit_attachment_parameters_json(answer));
  BOOST_TEST_REQUIRE(parsed.ok(), why(parsed));
  BOOST_TEST((parsed->tracking_id == request->tracking_id));
  BOOST_TEST(parsed->member_id.value == "Member123");
  BOOST_TEST(parsed->attachments[0].code_json.find("11506-3") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(CDX_14_a_built_attachment_request_reads_back) {
  fhir::AttachmentRequest built;
  built.tracking_id = {"http://example.org/payer", "T-9"};
  built.payer_url = "https://payer.example.org/fhir/$submit-attachment";
  built.attach_to = "preauthorization";
  built.claim_id = {"http://example.org/pa-ids", "PA-1"};
  built.payer_id = {"http://example.org/payer-ids", "acme"};
  built.member_id = {"http://example.org/member-ids", "M-1"};
  built.provider_id = {"http://hl7.org/fhir/sid/us-npi", "9941339100"};
  built.loinc_codes = {"11506-3", "18748-4"};
  built.due_date = "2026-12-01";
  auto read = fhir::parse_attachment_request(fhir::attachment_request_task_json(built, "2026-11-22T03:00:00Z"));
  BOOST_TEST_REQUIRE(read.ok(), why(read));
  BOOST_TEST((read->tracking_id == built.tracking_id));
  BOOST_TEST((read->payer_url == built.payer_url));
  BOOST_TEST(read->attach_to == "preauthorization");
  BOOST_TEST((read->claim_id == built.claim_id));
  BOOST_TEST((read->member_id == built.member_id));
  BOOST_TEST(read->due_date == "2026-12-01");
  BOOST_TEST((read->loinc_codes == built.loinc_codes));
  // Without PayerUrl there is nowhere to answer.
  built.payer_url.clear();
  BOOST_TEST(!fhir::parse_attachment_request(fhir::attachment_request_task_json(built, "2026-11-22T03:00:00Z")).ok());
}

BOOST_AUTO_TEST_CASE(BD_09_the_complete_status_manifest_is_read_and_checked) {
  auto manifest = fhir::parse_bulk_manifest(
      R"({"transactionTime":"2021-01-01T00:00:00Z","request":"https://x/fhir/Group/g/$export","requiresAccessToken":true,
          "output":[{"type":"Patient","url":"https://x/out/p.ndjson","count":2},{"type":"Coverage","url":"https://x/out/c.ndjson"}],
          "error":[{"type":"OperationOutcome","url":"https://x/out/e.ndjson"}],"extension":{"x":1}})");
  BOOST_TEST_REQUIRE(manifest.ok(), why(manifest));
  BOOST_TEST(manifest->requires_access_token);
  BOOST_TEST_REQUIRE(manifest->output.size() == 2u);
  BOOST_TEST(*manifest->output[0].count == 2);
  BOOST_TEST(!manifest->output[1].count.has_value());
  BOOST_TEST(manifest->error[0].type == "OperationOutcome");
  auto missing = fhir::parse_bulk_manifest(R"({"transactionTime":"2021-01-01T00:00:00Z","request":"r","output":[],"error":[]})");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().message.find("requiresAccessToken") != std::string::npos);
  BOOST_TEST(!fhir::parse_bulk_manifest(R"({"transactionTime":"t","request":"r","requiresAccessToken":false,"output":[{"url":"u"}],"error":[]})").ok());
}

BOOST_AUTO_TEST_CASE(BD_01_kick_off_url_carries_type_since_and_format) {
  const auto url = fhir::bulk_kick_off_url({"https://payer.example.org/fhir/", "", false, {}},
                                           {"panel-1", {"Patient", "Coverage"}, "2026-01-01T00:00:00+01:00"});
  BOOST_TEST(url ==
             "https://payer.example.org/fhir/Group/panel-1/$export?_outputFormat=application%2Ffhir%2Bndjson"
             "&_type=Patient,Coverage&_since=2026-01-01T00:00:00%2B01:00");
}

BOOST_AUTO_TEST_SUITE_END()
