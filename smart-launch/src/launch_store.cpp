#include "crdex/smart/launch_store.hpp"

#include <openssl/evp.h>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/random_token.hpp"
#include "launch_store_backends.hpp"

namespace crdex::smart {

namespace detail {
fhir::Error no_such_launch(std::string why) {
  return fhir::Error{404, fhir::IssueType::not_found, std::move(why), "launch"};
}
}  // namespace detail

namespace {

std::string launch_id_hash(std::string_view launch_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(launch_id.data(), launch_id.size(), digest, &size, EVP_sha256(), nullptr);
  return base64url_encode(std::span<const uint8_t>(digest, size));
}

}  // namespace

fhir::Result<std::unique_ptr<LaunchStore>> open_launch_store(const fhir::StoreLocation& location,
                                                             LaunchStore::Clock clock) {
  if (location.is_postgresql()) return detail::open_postgres_launch_store(location.postgres_url, std::move(clock));
  return LaunchStore::open(location.sqlite_dir / "launches.sqlite", std::move(clock));
}

LaunchStore::~LaunchStore() = default;

int64_t LaunchStore::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_().time_since_epoch()).count();
}

fhir::Result<IssuedLaunch> LaunchStore::create(const LaunchContext& context, std::chrono::seconds lifetime) {
  auto checked = checked_launch_context(context);
  if (!checked) return checked.error();
  if (lifetime.count() <= 0 || lifetime > std::chrono::hours(24))
    return fhir::Error{400, fhir::IssueType::value, "a launch lives between 1 second and 24 hours", "lifetime"};
  std::string launch_id;
  try {
    launch_id = random_token();
  } catch (const std::exception& e) {
    return fhir::Error{500, fhir::IssueType::exception, e.what(), ""};
  }
  const int64_t now = now_ms();
  const int64_t expires = now + std::chrono::duration_cast<std::chrono::milliseconds>(lifetime).count();
  auto stored = store_launch(launch_id_hash(launch_id), launch_context_json(*checked), checked->client_id, now, expires);
  if (!stored) return stored.error();
  return IssuedLaunch{launch_id, launch_url(checked->app_url, launch_id, checked->iss),
                      std::chrono::system_clock::time_point(std::chrono::milliseconds(expires))};
}

fhir::Result<LaunchContext> LaunchStore::resolve(std::string_view launch_id, std::string_view client_id) {
  if (launch_id.empty() || launch_id.size() > 256) return detail::no_such_launch("no such launch");
  auto taken = take_launch(launch_id_hash(launch_id), client_id);
  if (!taken) return taken.error();
  if (taken->expires_ms <= now_ms()) return detail::no_such_launch("the launch has expired");
  return read_launch_context_json(taken->context_json);
}

}  // namespace crdex::smart
