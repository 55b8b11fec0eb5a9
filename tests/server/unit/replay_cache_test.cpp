// The JWT replay cache: each (iss, jti) once until it expires, bounded memory
// that fails closed.

#include <boost/test/unit_test.hpp>

#include "replay_cache.hpp"

using crdex::server::ReplayCache;

BOOST_AUTO_TEST_SUITE(server_replay_cache)

BOOST_AUTO_TEST_CASE(a_jti_is_fresh_once_per_issuer) {
  ReplayCache cache(16);
  BOOST_TEST((cache.remember("iss-a", "jti-1", 200, 100) == ReplayCache::Outcome::fresh));
  BOOST_TEST((cache.remember("iss-a", "jti-1", 200, 101) == ReplayCache::Outcome::replayed));
  BOOST_TEST((cache.remember("iss-b", "jti-1", 200, 101) == ReplayCache::Outcome::fresh));
  BOOST_TEST(cache.size() == 2u);
}

BOOST_AUTO_TEST_CASE(a_full_cache_refuses_until_entries_expire) {
  ReplayCache cache(2);
  BOOST_TEST((cache.remember("iss", "a", 150, 100) == ReplayCache::Outcome::fresh));
  BOOST_TEST((cache.remember("iss", "b", 300, 100) == ReplayCache::Outcome::fresh));
  // Nothing has expired: a third token is refused rather than an old one forgotten.
  BOOST_TEST((cache.remember("iss", "c", 300, 120) == ReplayCache::Outcome::full));
  BOOST_TEST((cache.remember("iss", "a", 150, 120) == ReplayCache::Outcome::replayed));
  // Once "a" has expired the sweep makes room.
  BOOST_TEST((cache.remember("iss", "c", 300, 200) == ReplayCache::Outcome::fresh));
  BOOST_TEST(cache.size() <= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
