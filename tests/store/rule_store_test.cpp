// The rule store on both back ends: versions, the current pointer per payer,
// publish and rollback as one transaction, the change generation, publisher
// tokens, and two connections (two replicas) on one store.

#include <boost/test/unit_test.hpp>

#include "crdex/config/rule_store.hpp"
#include "store/store_backends.hpp"

namespace {

std::unique_ptr<crdex::config::RuleStore> open_rules_for_test(const crdex::test::StoreBackend& backend) {
  auto store = crdex::config::open_rule_store(backend.location());
  BOOST_TEST_REQUIRE(store.ok(), (store.ok() ? "" : store.error().message));
  return std::move(store).value();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(store_rules)

CRDEX_STORE_CASE(publish_numbers_versions_and_moves_the_current_pointer) {
  auto store = open_rules_for_test(backend);
  BOOST_TEST(*store->empty());
  auto first = store->publish("acme", R"({"v":1})", "alice", "first");
  BOOST_TEST_REQUIRE(first.ok());
  BOOST_TEST(first->version == 1);
  BOOST_TEST(first->checksum == crdex::config::sha256_checksum(R"({"v":1})"));
  auto second = store->publish("acme", R"({"v":2})", "bob", "second");
  BOOST_TEST_REQUIRE(second.ok());
  BOOST_TEST(second->version == 2);
  BOOST_TEST(!*store->empty());

  auto current = store->current("acme");
  BOOST_TEST_REQUIRE(current.ok());
  BOOST_TEST(current->version == 2);
  BOOST_TEST(current->document == R"({"v":2})");
  BOOST_TEST(current->current);

  auto versions = store->versions("acme");
  BOOST_TEST_REQUIRE(versions.ok());
  BOOST_TEST_REQUIRE(versions->size() == 2u);
  BOOST_TEST((*versions)[0].version == 2);  // newest first
  BOOST_TEST((*versions)[0].current);
  BOOST_TEST(!(*versions)[1].current);
  BOOST_TEST((*versions)[1].author == "alice");
  BOOST_TEST((*versions)[1].document.empty());  // listings carry no documents

  auto one = store->version("acme", 1);
  BOOST_TEST_REQUIRE(one.ok());
  BOOST_TEST(one->document == R"({"v":1})");
  BOOST_TEST(one->comment == "first");
  BOOST_TEST(store->version("acme", 3).error().http_status == 404);
  BOOST_TEST(store->current("nobody").error().http_status == 404);
}

CRDEX_STORE_CASE(rollback_points_back_and_refuses_unknown_versions) {
  auto store = open_rules_for_test(backend);
  BOOST_TEST_REQUIRE(store->publish("acme", "one", "a", "").ok());
  BOOST_TEST_REQUIRE(store->publish("acme", "two", "a", "").ok());
  auto back = store->make_current("acme", 1, "carol");
  BOOST_TEST_REQUIRE(back.ok());
  BOOST_TEST(back->version == 1);
  BOOST_TEST(back->current);
  BOOST_TEST(store->current("acme")->document == "one");
  const auto before = *store->generation();
  auto missing = store->make_current("acme", 7, "carol");
  BOOST_TEST_REQUIRE(!missing.ok());
  BOOST_TEST(missing.error().http_status == 404);
  // The refused rollback changed nothing, not even the generation.
  BOOST_TEST(*store->generation() == before);
  BOOST_TEST(store->current("acme")->version == 1);
}

CRDEX_STORE_CASE(publish_all_is_one_transaction_and_every_change_advances_the_generation) {
  auto store = open_rules_for_test(backend);
  const auto start = *store->generation();
  std::vector<crdex::config::StoredRuleSet> sets(2);
  sets[0].payer_id = "acme";
  sets[0].document = "a1";
  sets[1].payer_id = "bluestone";
  sets[1].document = "b1";
  auto stored = store->publish_all(sets);
  BOOST_TEST_REQUIRE(stored.ok());
  BOOST_TEST(stored->size() == 2u);
  BOOST_TEST(*store->generation() > start);
  auto all = store->all_current();
  BOOST_TEST_REQUIRE(all.ok());
  BOOST_TEST_REQUIRE(all->size() == 2u);
  BOOST_TEST((*all)[0].payer_id == "acme");
  BOOST_TEST((*all)[1].payer_id == "bluestone");

  const auto after_seed = *store->generation();
  BOOST_TEST_REQUIRE(store->publish("acme", "a2", "a", "").ok());
  const auto after_publish = *store->generation();
  BOOST_TEST(after_publish > after_seed);
  BOOST_TEST_REQUIRE(store->make_current("acme", 1, "a").ok());
  BOOST_TEST(*store->generation() > after_publish);
}

CRDEX_STORE_CASE(publisher_tokens_are_kept_as_hashes) {
  auto store = open_rules_for_test(backend);
  const std::string token = crdex::config::new_publisher_token();
  BOOST_TEST(token.size() == 64u);
  BOOST_TEST_REQUIRE(store->set_publisher_token("acme", token).ok());
  BOOST_TEST(store->payer_of_token(token)->value_or("") == "acme");
  BOOST_TEST(!store->payer_of_token("another token").value().has_value());
  const std::string replaced = crdex::config::new_publisher_token();
  BOOST_TEST_REQUIRE(store->set_publisher_token("acme", replaced).ok());
  BOOST_TEST(!store->payer_of_token(token).value().has_value());
  BOOST_TEST(store->payer_of_token(replaced)->value_or("") == "acme");
}

CRDEX_STORE_CASE(two_connections_share_versions_and_number_them_without_collisions) {
  // Two replicas: what one publishes the other reads, and publishes through
  // either continue one sequence of versions.
  auto a = open_rules_for_test(backend);
  auto b = open_rules_for_test(backend);
  BOOST_TEST_REQUIRE(a->publish("acme", "from a", "a", "").ok());
  auto seen = b->current("acme");
  BOOST_TEST_REQUIRE(seen.ok());
  BOOST_TEST(seen->document == "from a");
  BOOST_TEST(*a->generation() == *b->generation());
  auto from_b = b->publish("acme", "from b", "b", "");
  BOOST_TEST_REQUIRE(from_b.ok());
  BOOST_TEST(from_b->version == 2);
  BOOST_TEST(a->current("acme")->document == "from b");
}

BOOST_AUTO_TEST_SUITE_END()
