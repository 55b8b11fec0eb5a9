#include "probes.hpp"

#include <sqlite3.h>

#include <map>

#include "crdex/config/rule_catalog.hpp"
#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

namespace {

// Opens `file` as the stores do but never creates it (a removed or replaced
// file is a failure, not a fresh empty store), and reads its schema: the
// file is there, is a database, and is not locked beyond a short wait.
std::optional<std::string> probe_store_file(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  std::optional<std::string> problem;
  if (sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) != SQLITE_OK) {
    problem = db ? sqlite3_errmsg(db) : "cannot open";
  } else {
    sqlite3_busy_timeout(db, 200);
    if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK)
      problem = sqlite3_errmsg(db);
  }
  sqlite3_close(db);
  if (problem) return "store " + file.filename().string() + " unreachable: " + *problem;
  return std::nullopt;
}

}  // namespace

Readiness::Readiness(std::vector<std::filesystem::path> store_files, std::shared_ptr<config::RuleStore> rules,
                     std::shared_ptr<const hooks::Engine> engine)
    : store_files_(std::move(store_files)), rules_(std::move(rules)), engine_(std::move(engine)) {}

std::vector<std::string> Readiness::problems() const {
  std::vector<std::string> found;
  if (shutting_down_) found.emplace_back("draining: the server is shutting down");
  for (const auto& file : store_files_)
    if (auto problem = probe_store_file(file)) found.push_back(std::move(*problem));
  if (rules_ && engine_) {
    std::map<std::string, int> served;
    if (const auto catalog = engine_->rules())
      for (const auto& payer : catalog->payers()) served[payer.payer_id] = payer.version;
    auto stored = rules_->all_current();
    if (!stored) {
      found.push_back("rules: the rule store cannot be read: " + stored.error().message);
    } else {
      for (const auto& set : *stored) {
        const auto it = served.find(set.payer_id);
        if (it == served.end())
          found.push_back("rules: payer " + set.payer_id + " is not loaded");
        else if (it->second != set.version)
          found.push_back("rules: payer " + set.payer_id + " serves version " + std::to_string(it->second) +
                          ", the store's current is " + std::to_string(set.version));
      }
    }
  }
  return found;
}

std::string probe_body(const std::vector<std::string>& problems) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  fhir::write_key(w, "status");
  fhir::write_string(w, problems.empty() ? "pass" : "fail");
  if (!problems.empty()) {
    fhir::write_key(w, "problems");
    w.StartArray();
    for (const auto& problem : problems) fhir::write_string(w, problem);
    w.EndArray();
  }
  w.EndObject();
  return buffer.GetString();
}

std::vector<Route> ProbesApi::routes() const {
  const std::vector<std::pair<std::string, std::string>> no_store{{"Cache-Control", "no-store"}};
  return {
      Route{Http::Method::Get, "/health/live", AccessPolicy::public_access,
            [no_store](const Http::Request&, const PathParams&) {
              return ApiAnswer{200, probe_body({}), false, no_store};
            },
            false, {}},
      Route{Http::Method::Get, "/health/ready", AccessPolicy::public_access,
            [readiness = readiness_, no_store](const Http::Request&, const PathParams&) {
              const auto problems = readiness->problems();
              return ApiAnswer{problems.empty() ? 200 : 503, probe_body(problems), false, no_store};
            },
            // Opens the store files and reads the rule store: on a worker.
            true, {}},
  };
}

}  // namespace crdex::server
