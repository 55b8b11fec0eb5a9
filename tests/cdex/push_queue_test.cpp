// crdex::cdex: the durable push queue (one item per idempotency key, attempts
// recorded, state kept across a reopen) and the sender's backoff (issue 22).
#include <sys/stat.h>

#include <boost/test/unit_test.hpp>

#include "crdex/cdex/push_queue.hpp"
#include "crdex/cdex/push_sender.hpp"
#include "support/fixtures.hpp"

using namespace crdex;

namespace {

cdex::PushItem push_item(const std::string& what) {
  cdex::PushItem p;
  p.key = "encounter-discharge|Encounter/e1|harbor-health|discharge-summary|" + what;
  p.event = "encounter-discharge";
  p.subject = "Encounter/e1";
  p.payer_id = "harbor-health";
  p.push_id = "discharge-summary";
  p.destination = "harbor";
  p.what = what;
  p.parameters = R"({"resourceType":"Parameters"})";
  return p;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cdex_push_queue)

BOOST_AUTO_TEST_CASE(PUSH_the_same_key_is_queued_once_and_the_file_is_private) {
  test::TempDir dir;
  auto queue = cdex::PushQueue::open(dir.path() / "push.sqlite");
  BOOST_TEST_REQUIRE(queue.ok());
  auto first = (*queue)->enqueue(push_item("DocumentReference/ds"), 0);
  auto second = (*queue)->enqueue(push_item("DocumentReference/ds"), 0);
  BOOST_TEST_REQUIRE((first.ok() && second.ok()));
  BOOST_TEST(first->added);
  BOOST_TEST(!second->added);
  BOOST_TEST(first->id == second->id);
  BOOST_TEST((*queue)->list("", 10)->size() == 1u);
  struct stat st{};
  BOOST_TEST_REQUIRE(::stat((dir.path() / "push.sqlite").c_str(), &st) == 0);
  BOOST_TEST((st.st_mode & 0777) == 0600u);
}

BOOST_AUTO_TEST_CASE(PUSH_attempts_are_recorded_and_state_survives_a_reopen) {
  test::TempDir dir;
  int64_t id = 0;
  {
    auto queue = cdex::PushQueue::open(dir.path() / "push.sqlite");
    BOOST_TEST_REQUIRE(queue.ok());
    id = (*queue)->enqueue(push_item("DocumentReference/ds"), 1000)->id;
    BOOST_TEST((*queue)->due(999, 10)->empty());
    BOOST_TEST_REQUIRE((*queue)->due(1000, 10)->size() == 1u);
    BOOST_TEST((*queue)->record_attempt(id, {1, "2026-12-06T00:00:00Z", 503, "busy"}, "queued", 5000).value());
    BOOST_TEST(*(*queue)->next_due_ms().value() == 5000);
  }
  auto queue = cdex::PushQueue::open(dir.path() / "push.sqlite");
  BOOST_TEST_REQUIRE(queue.ok());
  auto item = (*queue)->get(id);
  BOOST_TEST_REQUIRE((item.ok() && item->has_value()));
  BOOST_TEST((*item)->state == "queued");
  BOOST_TEST((*item)->attempts == 1);
  BOOST_TEST((*item)->last_error == "busy");
  BOOST_TEST((*queue)->record_attempt(id, {2, "2026-12-06T00:00:05Z", 200, ""}, "sent", 0).value());
  // A sent item is never due again, and a second outcome for it changes nothing.
  BOOST_TEST((*queue)->due(1'000'000, 10)->empty());
  BOOST_TEST(!(*queue)->next_due_ms().value().has_value());
  BOOST_TEST(!(*queue)->record_attempt(id, {3, "2026-12-06T00:00:09Z", 503, "x"}, "queued", 0).value());
  item = (*queue)->get(id);
  BOOST_TEST((*item)->state == "sent");
  BOOST_TEST(!(*item)->sent_at.empty());
  BOOST_TEST_REQUIRE((*item)->history.size() == 2u);
  BOOST_TEST((*item)->history[0].status == 503);
  BOOST_TEST((*item)->history[1].status == 200);
}

BOOST_AUTO_TEST_CASE(PUSH_a_failed_item_can_be_queued_again) {
  test::TempDir dir;
  auto queue = cdex::PushQueue::open(dir.path() / "push.sqlite");
  BOOST_TEST_REQUIRE(queue.ok());
  const auto id = (*queue)->enqueue(push_item("DocumentReference/ds"), 0)->id;
  BOOST_TEST(!(*queue)->retry(id, 0).value());  // only failed items
  BOOST_TEST((*queue)->record_attempt(id, {1, "2026-12-06T00:00:00Z", 0, "no answer"}, "failed", 0).value());
  BOOST_TEST((*queue)->list("failed", 10)->size() == 1u);
  BOOST_TEST((*queue)->retry(id, 42).value());
  auto item = (*queue)->get(id);
  BOOST_TEST((*item)->state == "queued");
  BOOST_TEST((*item)->attempts == 0);
  BOOST_TEST((*item)->history.size() == 1u);
}

BOOST_AUTO_TEST_CASE(PUSH_backoff_doubles_up_to_its_cap_and_honours_retry_after) {
  cdex::PushSenderOptions o;
  o.initial_backoff = std::chrono::milliseconds(100);
  o.max_backoff = std::chrono::milliseconds(1000);
  using ms = std::chrono::milliseconds;
  BOOST_TEST(cdex::PushSender::backoff(o, 1, std::nullopt).count() == 100);
  BOOST_TEST(cdex::PushSender::backoff(o, 2, std::nullopt).count() == 200);
  BOOST_TEST(cdex::PushSender::backoff(o, 4, std::nullopt).count() == 800);
  BOOST_TEST(cdex::PushSender::backoff(o, 9, std::nullopt).count() == 1000);
  BOOST_TEST(cdex::PushSender::backoff(o, 1, std::chrono::seconds(3)) == ms(3000));
  BOOST_TEST(cdex::PushSender::backoff(o, 4, std::chrono::seconds(0)) == ms(800));
}

BOOST_AUTO_TEST_SUITE_END()
