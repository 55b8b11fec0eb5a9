// The CDex stores on both back ends, each read back through a second
// connection (as another replica reads it): Data Source Tasks and their
// expected-status moves, Data Consumer requests, attachment submissions held
// and attached, and the push queue with its attempts.

#include <boost/test/unit_test.hpp>

#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/push_queue.hpp"
#include "crdex/cdex/task_store.hpp"
#include "store/store_backends.hpp"

namespace {

using namespace crdex;

cdex::ConsumerRequestRow cdex_request_row(const std::string& id, int64_t next_poll_ms) {
  cdex::ConsumerRequestRow row;
  row.id = id;
  row.source = "https://ehr.example.org/fhir";
  row.remote_id = "remote-" + id;
  row.status = "requested";
  row.created_ms = 1000;
  row.next_poll_ms = next_poll_ms;
  row.task = R"({"resourceType":"Task"})";
  row.outputs = "[]";
  return row;
}

fhir::SubmitAttachment attach_submission(const std::string& tracking) {
  fhir::SubmitAttachment s;
  s.tracking_id = {"http://provider.example.org/tracking", tracking};
  s.attach_to = "claim";
  s.member_id = {"http://payer.example.org/member", "M-1"};
  s.service_date = "2026-12-01";
  s.attachments.push_back({{"1", "2"}, R"({"text":"discharge"})", R"({"resourceType":"DocumentReference"})",
                           "DocumentReference"});
  s.attachments.push_back({{}, "", R"({"resourceType":"QuestionnaireResponse"})", "QuestionnaireResponse"});
  return s;
}

cdex::PushItem push_queue_item(const std::string& what) {
  cdex::PushItem p;
  p.key = "encounter-discharge|Encounter/e1|harbor|summary|" + what;
  p.event = "encounter-discharge";
  p.subject = "Encounter/e1";
  p.payer_id = "harbor";
  p.push_id = "summary";
  p.destination = "harbor";
  p.what = what;
  p.parameters = R"({"resourceType":"Parameters"})";
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cdex)

CRDEX_STORE_CASE(CDEX_source_tasks_move_only_from_the_status_read) {
  auto a = test::required_store(cdex::open_task_store(backend.location()));
  auto b = test::required_store(cdex::open_task_store(backend.location()));
  BOOST_TEST(a->insert_source({"t1", "accepted", R"({"id":"t1"})"}).value());
  BOOST_TEST(a->insert_source({"t2", "on-hold", R"({"id":"t2"})"}).value());
  BOOST_TEST(!b->insert_source({"t1", "accepted", "{}"}).ok());  // ids are unique
  auto read = b->source("t1");
  BOOST_TEST_REQUIRE((read.ok() && read->has_value()));
  BOOST_TEST((*read)->document == R"({"id":"t1"})");
  BOOST_TEST(!b->source("nope").value().has_value());
  // Two replicas moving t1 from "accepted": one wins.
  BOOST_TEST(a->update_source({"t1", "in-progress", R"({"v":2})"}, "accepted").value());
  BOOST_TEST(!b->update_source({"t1", "in-progress", R"({"v":3})"}, "accepted").value());
  BOOST_TEST(b->source("t1").value()->document == R"({"v":2})");
  BOOST_TEST(b->sources().value().size() == 2u);
  auto held = b->sources("on-hold");
  BOOST_TEST_REQUIRE(held.ok());
  BOOST_TEST_REQUIRE(held->size() == 1u);
  BOOST_TEST(held->front().id == "t2");
}

CRDEX_STORE_CASE(CDEX_consumer_requests_round_trip) {
  auto a = test::required_store(cdex::open_task_store(backend.location()));
  auto b = test::required_store(cdex::open_task_store(backend.location()));
  BOOST_TEST(a->save_request(cdex_request_row("r2", 9000)).value());
  BOOST_TEST(a->save_request(cdex_request_row("r1", 5000)).value());
  auto done = cdex_request_row("r3", 0);
  done.status = "completed";
  done.outputs = R"([{"resourceType":"Bundle"}])";
  done.polls = 3;
  done.last_poll_offset_ms = 1234;
  done.problem = "none";
  BOOST_TEST(a->save_request(done).value());
  auto read = b->request("r3");
  BOOST_TEST_REQUIRE((read.ok() && read->has_value()));
  BOOST_TEST((*read)->outputs == done.outputs);
  BOOST_TEST((*read)->polls == 3);
  BOOST_TEST((*read)->last_poll_offset_ms == 1234);
  BOOST_TEST((*read)->created_ms == 1000);
  BOOST_TEST((*read)->remote_id == "remote-r3");
  auto followed = b->followed_requests();
  BOOST_TEST_REQUIRE(followed.ok());
  BOOST_TEST_REQUIRE(followed->size() == 2u);
  BOOST_TEST(followed->front().id == "r1");  // soonest first
  BOOST_TEST(b->next_claimable_ms().value().value() == 5000);
  // Saving again replaces the fields.
  auto r1 = cdex_request_row("r1", 0);
  r1.status = "rejected";
  BOOST_TEST(b->save_request(r1).value());
  BOOST_TEST(a->request("r1").value()->status == "rejected");
  BOOST_TEST(a->followed_requests().value().size() == 1u);
}

CRDEX_STORE_CASE(ATTACH_submissions_are_held_until_their_claim_arrives) {
  auto a = test::required_store(cdex::open_attachment_store(backend.location()));
  auto b = test::required_store(cdex::open_attachment_store(backend.location()));
  auto stored = a->add(attach_submission("T-1"), R"({"resourceType":"Parameters","n":1})");
  BOOST_TEST_REQUIRE(stored.ok(), (stored.ok() ? "" : stored.error().message));
  BOOST_TEST(stored->status == "held");
  BOOST_TEST(stored->final);
  BOOST_TEST_REQUIRE(stored->attachments.size() == 2u);
  BOOST_TEST(stored->attachments[0].sequence == 1);
  BOOST_TEST((stored->attachments[0].line_items == std::vector<std::string>{"1", "2"}));
  BOOST_TEST(stored->attachments[1].content_type == "QuestionnaireResponse");
  auto other = attach_submission("T-2");
  other.final = false;
  BOOST_TEST_REQUIRE(a->add(other, "{}").ok());

  // Found through the other connection, by tracking id (any system) and by member.
  auto by_tracking = b->find({fhir::IdentifierValue{"", "T-1"}, std::nullopt, std::nullopt});
  BOOST_TEST_REQUIRE(by_tracking.ok());
  BOOST_TEST_REQUIRE(by_tracking->size() == 1u);
  BOOST_TEST(by_tracking->front().id == stored->id);
  BOOST_TEST(b->find({std::nullopt, fhir::IdentifierValue{"http://payer.example.org/member", "M-1"}, std::nullopt})
                 .value()
                 .size() == 2u);
  BOOST_TEST(b->find({std::nullopt, fhir::IdentifierValue{"http://elsewhere", "M-1"}, std::nullopt}).value().empty());
  BOOST_TEST(b->parameters(stored->id).value().value() == R"({"resourceType":"Parameters","n":1})");
  BOOST_TEST(b->content(stored->id, 2).value().value() == R"({"resourceType":"QuestionnaireResponse"})");
  BOOST_TEST(!b->content(stored->id, 3).value().has_value());
  BOOST_TEST(!b->get(stored->id + 100).value().has_value());

  // The claim registered through b attaches what a received, once.
  const cdex::ClaimRegistration claim{{"http://provider.example.org/tracking", "T-1"}, "claim",
                                      {"http://payer.example.org/claim", "C-9"}};
  BOOST_TEST(b->register_claim(claim).value() == 1);
  BOOST_TEST(a->register_claim(claim).value() == 0);
  auto got = a->get(stored->id);
  BOOST_TEST_REQUIRE((got.ok() && got->has_value()));
  BOOST_TEST((*got)->status == "attached");
  BOOST_TEST((*got)->claim_id->value == "C-9");
  BOOST_TEST((*got)->attachments.size() == 2u);
  auto by_claim = a->find({std::nullopt, std::nullopt, fhir::IdentifierValue{"", "C-9"}});
  BOOST_TEST_REQUIRE(by_claim.ok());
  BOOST_TEST_REQUIRE(by_claim->size() == 1u);
  BOOST_TEST(by_claim->front().tracking_id.value == "T-1");
  auto t2 = a->find({fhir::IdentifierValue{"", "T-2"}, std::nullopt, std::nullopt});
  BOOST_TEST_REQUIRE((t2.ok() && t2->size() == 1u));
  BOOST_TEST(t2->front().status == "held");
  BOOST_TEST(!t2->front().final);
}

CRDEX_STORE_CASE(PUSH_queue_round_trip_across_connections) {
  auto a = test::required_store(cdex::open_push_queue(backend.location()));
  auto b = test::required_store(cdex::open_push_queue(backend.location()));
  auto first = a->enqueue(push_queue_item("DocumentReference/ds"), 1000);
  auto again = b->enqueue(push_queue_item("DocumentReference/ds"), 1000);
  BOOST_TEST_REQUIRE((first.ok() && again.ok()));
  BOOST_TEST(first->added);
  BOOST_TEST(!again->added);
  BOOST_TEST(first->id == again->id);
  BOOST_TEST(b->due(999, 10).value().empty());
  BOOST_TEST_REQUIRE(b->due(1000, 10).value().size() == 1u);
  BOOST_TEST(b->next_due_ms().value().value() == 1000);
  BOOST_TEST(b->record_attempt(first->id, {1, "2026-12-06T00:00:00Z", 503, "busy"}, "queued", 5000).value());
  BOOST_TEST(a->next_due_ms().value().value() == 5000);
  BOOST_TEST(a->record_attempt(first->id, {2, "2026-12-06T00:00:05Z", 200, ""}, "sent", 0).value());
  BOOST_TEST(!b->record_attempt(first->id, {3, "2026-12-06T00:00:09Z", 503, "x"}, "queued", 0).value());
  BOOST_TEST(!b->next_due_ms().value().has_value());
  auto item = b->get(first->id);
  BOOST_TEST_REQUIRE((item.ok() && item->has_value()));
  BOOST_TEST((*item)->state == "sent");
  BOOST_TEST((*item)->attempts == 2);
  BOOST_TEST((*item)->parameters == R"({"resourceType":"Parameters"})");
  BOOST_TEST(!(*item)->sent_at.empty());
  BOOST_TEST_REQUIRE((*item)->history.size() == 2u);
  BOOST_TEST((*item)->history[0].error == "busy");
  BOOST_TEST((*item)->history[1].status == 200);

  const auto failed = a->enqueue(push_queue_item("DocumentReference/op"), 0)->id;
  BOOST_TEST(!b->retry(failed, 0).value());
  BOOST_TEST(a->record_attempt(failed, {1, "2026-12-06T00:00:00Z", 0, "no answer"}, "failed", 0).value());
  BOOST_TEST(b->list("failed", 10).value().size() == 1u);
  BOOST_TEST(b->list("", 10).value().front().id == failed);  // newest first
  BOOST_TEST(b->retry(failed, 42).value());
  BOOST_TEST(a->get(failed).value()->state == "queued");
  BOOST_TEST(a->get(failed).value()->attempts == 0);
}

BOOST_AUTO_TEST_SUITE_END()
