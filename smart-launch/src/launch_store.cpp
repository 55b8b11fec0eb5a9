#include "crdex/smart/launch_store.hpp"

#include <openssl/evp.h>

#include "crdex/smart/base64url.hpp"
#include "crdex/smart/random_token.hpp"

namespace crdex::smart {

using fhir::SqliteStatement;
using fhir::SqliteStep;

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS launches (
  id_hash    TEXT PRIMARY KEY,
  context    TEXT NOT NULL,
  client_id  TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS launches_by_expiry ON launches (expires_ms);
)sql";

fhir::Error no_such_launch(std::string why) {
  return fhir::Error{404, fhir::IssueType::not_found, std::move(why), "launch"};
}

std::string id_hash(std::string_view launch_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(launch_id.data(), launch_id.size(), digest, &size, EVP_sha256(), nullptr);
  return base64url_encode(std::span<const uint8_t>(digest, size));
}

}  // namespace

fhir::Result<std::unique_ptr<LaunchStore>> LaunchStore::open(const std::filesystem::path& file, Clock clock) {
  // WAL: resolves (reads + deletes) never wait on readers; NORMAL is durable
  // across a crash of crdex (only a power loss may drop the last launches,
  // which the EHR then re-creates by asking again).
  auto db = fhir::SqliteDatabase::open(file, kSchema,
                                       {.name = "launch store",
                                        .busy_timeout_ms = 5'000,
                                        .synchronous = fhir::SqliteSync::normal,
                                        .foreign_keys = false});
  if (!db) return db.error();
  std::unique_ptr<LaunchStore> store(new LaunchStore(std::move(db).value(), std::move(clock)));
  if (auto purged = store->purge_expired(); !purged) return purged.error();
  return store;
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
  std::lock_guard lock(mutex_);
  // Expired rows go as new ones come, so the table stays as small as the
  // launches in flight.
  db_->exec(("DELETE FROM launches WHERE expires_ms <= " + std::to_string(now)).c_str());
  SqliteStatement s(*db_, "INSERT INTO launches (id_hash, context, client_id, created_ms, expires_ms) "
                          "VALUES (?, ?, ?, ?, ?)");
  if (!s.ok() || s.bind(1, id_hash(launch_id)).bind(2, launch_context_json(*checked)).bind(3, checked->client_id)
                         .bind(4, now).bind(5, expires).step() != SqliteStep::done)
    return db_->error("cannot store the launch");
  return IssuedLaunch{launch_id, launch_url(checked->app_url, launch_id, checked->iss),
                      std::chrono::system_clock::time_point(std::chrono::milliseconds(expires))};
}

fhir::Result<LaunchContext> LaunchStore::resolve(std::string_view launch_id, std::string_view client_id) {
  if (launch_id.empty() || launch_id.size() > 256) return no_such_launch("no such launch");
  const std::string hash = id_hash(launch_id);
  std::lock_guard lock(mutex_);
  {
    // A launch bound to another client is refused without being consumed.
    SqliteStatement s(*db_, "SELECT client_id FROM launches WHERE id_hash = ?");
    if (!s.ok()) return db_->error("cannot read the launch");
    const SqliteStep step = s.bind(1, hash).step();
    if (step == SqliteStep::done) return no_such_launch("no such launch (unknown, already used or expired)");
    if (step != SqliteStep::row) return db_->error("cannot read the launch");
    const std::string bound = s.text(0);
    if (!bound.empty() && bound != client_id)
      return fhir::Error{403, fhir::IssueType::security, "this launch is bound to another client", "client_id"};
  }
  // Read and delete in one statement: a launch id resolves exactly once.
  SqliteStatement s(*db_, "DELETE FROM launches WHERE id_hash = ? RETURNING context, expires_ms");
  if (!s.ok()) return db_->error("cannot consume the launch");
  const SqliteStep step = s.bind(1, hash).step();
  if (step == SqliteStep::done) return no_such_launch("no such launch (unknown, already used or expired)");
  if (step != SqliteStep::row) return db_->error("cannot consume the launch");
  const std::string json = s.text(0);
  const int64_t expires = s.integer(1);
  if (s.step() != SqliteStep::done) return db_->error("cannot consume the launch");
  if (expires <= now_ms()) return no_such_launch("the launch has expired");
  return read_launch_context_json(json);
}

fhir::Result<int> LaunchStore::purge_expired() {
  std::lock_guard lock(mutex_);
  SqliteStatement s(*db_, "DELETE FROM launches WHERE expires_ms <= ?");
  if (!s.ok() || s.bind(1, now_ms()).step() != SqliteStep::done) return db_->error("cannot purge expired launches");
  return static_cast<int>(db_->changes());
}

}  // namespace crdex::smart
