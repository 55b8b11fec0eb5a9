// CDS Hooks feedback below the server: validation that names the element
// (CH-23), storage once per card and outcome, and the summary per rule (CH-22).
#include <boost/test/unit_test.hpp>

#include "crdex/hooks/audit_log.hpp"
#include "crdex/hooks/audit_store.hpp"
#include "crdex/hooks/feedback.hpp"
#include "crdex/hooks/feedback_store.hpp"
#include "crdex/hooks/timestamps.hpp"
#include "audit_fixtures.hpp"
#include "support/fixtures.hpp"

using namespace crdex;
using namespace crdex::test::audit;

BOOST_AUTO_TEST_SUITE(feedback)

BOOST_AUTO_TEST_CASE(CH_22_feedback_is_stored_once_and_summarised_per_rule) {
  test::TempDir dir;
  const auto file = dir.path() / "audit.sqlite";
  auto log = hooks::AuditLog::open(file);
  auto store = hooks::FeedbackStore::open(file);
  BOOST_TEST_REQUIRE((log.ok() && store.ok()));
  const std::string other_card = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
  (*log)->record(record_of("hi", "p", hooks::now_epoch_ms(),
                           {{kCard, "ServiceRequest/1", "mammo-pa", 2, "coverage-info", "conditional/auth-needed"},
                            {other_card, "ServiceRequest/2", "defaultOutcome", 2, "guideline", "covered/no-auth"}}));
  (*log)->close();
  const std::string body = card_feedback(
      std::string(R"({"card":")") + kCard +
      R"(","outcome":"accepted","acceptedSuggestions":[{"id":"s-1"}],"outcomeTimestamp":"2026-11-22T03:04:05Z"},)" +
      R"({"card":")" + kCard +
      R"(","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:05:00Z","overrideReason":{"reason":{"system":"http://example.org/why","code":"already-done"},"userComment":"done last week"}},)" +
      R"({"card":")" + other_card + R"(","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:06:00Z"},)" +
      R"({"card":"ffffffff-ffff-4fff-8fff-ffffffffffff","outcome":"overridden","outcomeTimestamp":"2026-11-22T03:07:00Z"})");
  auto items = hooks::read_feedback(body);
  BOOST_TEST_REQUIRE(items.ok(), (items.ok() ? "" : items.error().message));
  BOOST_TEST((*items)[0].accepted_suggestions == std::vector<std::string>{"s-1"});
  BOOST_TEST((*items)[1].override_code == "already-done");
  BOOST_TEST((*items)[1].user_comment == "done last week");
  BOOST_TEST((*store)->add("crdex-order-sign", *items).value() == 4);
  BOOST_TEST((*store)->add("crdex-order-sign", *items).value() == 0);  // the same again: tolerated, stored once

  const auto rows = (*store)->summary("").value();
  BOOST_TEST_REQUIRE(rows.size() == 3u);
  BOOST_TEST(rows[0].rule_id == "defaultOutcome");
  BOOST_TEST(rows[0].overridden == 1);
  BOOST_TEST(rows[1].rule_id == "mammo-pa");
  BOOST_TEST(rows[1].accepted == 1);
  BOOST_TEST(rows[1].overridden == 1);
  BOOST_TEST_REQUIRE(rows[1].override_reasons.size() == 1u);
  BOOST_TEST(rows[1].override_reasons[0].code == "already-done");
  BOOST_TEST(rows[2].payer_id.empty());  // a card crdex does not know
  BOOST_TEST(rows[2].overridden == 1);
  BOOST_TEST((*store)->summary("bluestone-health").value().empty());
}

BOOST_AUTO_TEST_CASE(CH_23_feedback_validation_names_the_element) {
  const std::string card = std::string(R"("card":")") + kCard + "\"";
  const std::string when = R"("outcomeTimestamp":"2026-11-22T03:04:05Z")";
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"overridden"})")) ==
             "feedback[0].outcomeTimestamp");
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"accepted",)" + when + "}")) ==
             "feedback[0].acceptedSuggestions");
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"accepted","acceptedSuggestions":[],)" +
                                          when + "}")) == "feedback[0].acceptedSuggestions");
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"accepted","acceptedSuggestions":[{}],)" +
                                          when + "}")) == "feedback[0].acceptedSuggestions[0].id");
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"ignored",)" + when + "}")) ==
             "feedback[0].outcome");
  BOOST_TEST(feedback_error(card_feedback(R"({"card":"not-a-uuid","outcome":"overridden",)" + when + "}")) ==
             "feedback[0].card");
  BOOST_TEST(feedback_error(card_feedback(R"({"outcome":"overridden",)" + when + "}")) == "feedback[0].card");
  BOOST_TEST(feedback_error(card_feedback("{" + card +
                                          R"(,"outcome":"overridden","outcomeTimestamp":"yesterday"})")) ==
             "feedback[0].outcomeTimestamp");
  BOOST_TEST(feedback_error(card_feedback("{" + card + R"(,"outcome":"overridden",)" + when +
                                          R"(,"overrideReason":{"reason":{"system":"s"}}})")) ==
             "feedback[0].overrideReason.reason.code");
  BOOST_TEST(feedback_error(card_feedback("{" + card +
                                          R"(,"outcome":"accepted","acceptedSuggestions":[{"id":"s"}],)" + when +
                                          R"(,"overrideReason":{"userComment":"x"}})")) ==
             "feedback[0].overrideReason");
  BOOST_TEST(feedback_error(R"({"feedback":[]})") == "feedback");
  BOOST_TEST(feedback_error(R"({"cards":[]})") == "feedback");
  BOOST_TEST(!hooks::read_feedback("not json").ok());
  // Valid: overridden with only a comment, an offset timestamp.
  BOOST_TEST(hooks::read_feedback(card_feedback("{" + card +
                                                R"(,"outcome":"overridden","outcomeTimestamp":"2026-11-22T03:04:05.25-05:00","overrideReason":{"userComment":"not now"}})"))
                 .ok());
}

BOOST_AUTO_TEST_SUITE_END()
