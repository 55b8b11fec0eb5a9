// Two push senders (as two replicas run them) on one queue, on both back
// ends: every queued push reaches the payer's server exactly once, whichever
// sender claimed it. The payer here is the test FHIR server, which logs each
// request; it answers slowly so both senders are busy at once.

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <thread>

#include "crdex/cdex/push_sender.hpp"
#include "store/store_backends.hpp"
#include "support/waiting.hpp"
#include "support/fhir_server_process.hpp"

namespace {

using namespace crdex;

std::shared_ptr<cdex::PushQueue> sender_queue(const test::StoreBackend& backend) {
  return test::required_store(cdex::open_push_queue(backend.location()));
}

cdex::PushSenderOptions sender_options(const test::FhirServerProcess& payer) {
  cdex::PushSenderOptions o;
  o.max_attempts = 1;  // whatever the test server answers, one attempt each
  o.allow_plain_http = true;
  o.send_timeout = std::chrono::seconds(10);
  o.route = [url = payer.fhir_url()](std::string_view destination) -> fhir::Result<cdex::OutboxTarget> {
    return cdex::OutboxTarget{url + "/$submit-attachment?push=" + std::string(destination), ""};
  };
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_cdex_push_senders)

CRDEX_STORE_CASE(PUSH_two_senders_on_one_queue_send_each_push_once) {
  test::FhirServerProcess payer;
  payer.set_fault(R"({"delayMs":100})");
  auto queue_a = sender_queue(backend);
  auto queue_b = sender_queue(backend);
  constexpr int kPushes = 8;
  for (int i = 0; i < kPushes; ++i) {
    cdex::PushItem p;
    p.key = "event|Encounter/e1|harbor|summary|" + std::to_string(i);
    p.event = "event";
    p.subject = "Encounter/e1";
    p.payer_id = "harbor";
    p.push_id = "summary";
    p.destination = "item-" + std::to_string(i) + "-end";
    p.what = "DocumentReference/" + std::to_string(i);
    p.parameters = R"({"resourceType":"Parameters"})";
    BOOST_TEST_REQUIRE(queue_a->enqueue(p, 0).ok());
  }
  cdex::PushSender a(queue_a, sender_options(payer));
  cdex::PushSender b(queue_b, sender_options(payer));
  a.start();
  b.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!queue_a->list("queued", kPushes).value().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling a condition, with a deadline
  a.stop();
  b.stop();
  BOOST_TEST_REQUIRE(queue_a->list("queued", kPushes).value().empty());
  const std::string log = payer.request_log();
  BOOST_TEST(test::count_occurrences(log, "$submit-attachment") == static_cast<size_t>(kPushes), log);
  for (int i = 0; i < kPushes; ++i)
    BOOST_TEST(test::count_occurrences(log, "push=item-" + std::to_string(i) + "-end") == 1u, "push " << i << ": " << log);
  // Each item has exactly one attempt recorded, by whichever sender sent it.
  const auto items = queue_b->list("", kPushes).value();  // a copy: the Result is a temporary
  for (const auto& item : items) BOOST_TEST(item.attempts == 1);
}

BOOST_AUTO_TEST_SUITE_END()
