#include "crdex/hooks/audit_store.hpp"

#include <set>
#include <tuple>

#include "audit_store_backends.hpp"
#include "crdex/fhir/identifiers.hpp"
#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::hooks {

namespace {

std::string hex_of(const std::string& bytes) {
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (const char c : bytes) {
    out += hex[static_cast<unsigned char>(c) >> 4];
    out += hex[static_cast<unsigned char>(c) & 0x0f];
  }
  return out;
}

// A card uuid as stored: its 16 bytes, or the text when it is not a UUID.
std::string card_key(const std::string& uuid) {
  auto bytes = fhir::uuid_bytes(uuid);
  return bytes ? std::move(*bytes) : uuid;
}

}  // namespace

fhir::Result<std::unique_ptr<AuditStore>> open_audit_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_audit_store(location.postgres_url);
  return AuditStore::open(location.sqlite_dir / "audit.sqlite");
}

AuditStore::~AuditStore() = default;

// A compact record's response as the admin API has always shown it:
// {"bodiesKept":false,"request":{"sha256","bytes"},"response":{...}}.
// Compact records of earlier releases kept that JSON as their response text.
AuditEntry AuditStore::entry_of(CallRow row) {
  std::string response;
  if (!row.response && row.compact) {
    fhir::JsonBuffer buffer;
    fhir::JsonWriter w(buffer);
    w.StartObject();
    fhir::write_key(w, "bodiesKept");
    w.Bool(false);
    for (const auto& [name, hash, bytes] : {std::tuple{"request", &row.request_sha256, row.request_bytes},
                                            std::tuple{"response", &row.response_sha256, row.response_bytes}}) {
      fhir::write_key(w, name);
      w.StartObject();
      fhir::write_key(w, "sha256");
      fhir::write_string(w, hex_of(*hash));
      fhir::write_key(w, "bytes");
      w.Int64(bytes);
      w.EndObject();
    }
    w.EndObject();
    response.assign(buffer.GetString(), buffer.GetSize());
  } else {
    response = row.response.value_or("");
  }
  return {row.id,
          format_rfc3339_ms(row.recorded_ms),
          std::move(row.service),
          std::move(row.hook),
          std::move(row.hook_instance),
          std::move(row.patient),
          std::move(row.payer),
          static_cast<int>(row.status),
          row.duration_us,
          row.request.value_or(""),
          std::move(response),
          std::move(row.request_id)};
}

fhir::Result<size_t> AuditStore::write(const std::vector<AuditRecord>& batch) {
  // The terms the batch names that are not known yet, numbered first (on
  // their own: a term without its call is harmless, and a replica adding the
  // same term waits only for that, not for another's whole batch).
  std::set<std::string> wanted;
  for (const auto& record : batch)
    for (const auto& origin : record.cards)
      for (const auto* term : {&origin.rule_id, &origin.card_type, &origin.decision})
        if (!term->empty()) wanted.insert(*term);
  std::map<std::string, int64_t> terms;
  {
    std::lock_guard lock(terms_mutex_);
    std::vector<std::string> missing;
    for (const auto& term : wanted)
      if (!terms_.count(term)) missing.push_back(term);
    if (!missing.empty()) {
      auto added = term_ids(missing);
      if (!added) return added.error();
      if (added->size() != missing.size())
        return fhir::Error{500, fhir::IssueType::exception, "audit store: cannot number a card origin's terms", ""};
      terms_.merge(*added);
    }
    terms = terms_;
  }

  std::vector<CallRow> rows;
  rows.reserve(batch.size());
  for (const auto& queued : batch) {
    // A compact record is normally hashed by the request thread; one that
    // was not (a caller of the store itself) is hashed here.
    const AuditRecord* record = &queued;
    AuditRecord hashed;
    if (!queued.keep_bodies && !queued.hashed) {
      hashed = queued;
      make_compact(hashed);
      record = &hashed;
    }
    // Parsed again only when the body is kept (it is stored redacted) or
    // nobody read the searchable fields yet.
    RedactedRequest request;
    if (record->keep_bodies) request = redact_request(record->request_body);
    if (!record->keep_bodies || record->fields_read) {
      request.hook = record->hook;
      request.hook_instance = record->hook_instance;
      request.patient_id = record->patient_id;
    }
    CallRow row;
    row.recorded_ms = record->received_ms;
    row.service = record->service_id;
    row.hook = std::move(request.hook);
    row.hook_instance = std::move(request.hook_instance);
    row.patient = std::move(request.patient_id);
    row.payer = record->payer_id;
    row.status = record->status;
    row.duration_us = record->duration_us;
    row.request_id = record->request_id;
    if (!record->keep_bodies) {
      row.compact = true;
      row.request_sha256 = record->request_sha256;
      row.response_sha256 = record->response_sha256;
      row.request_bytes = record->request_bytes;
      row.response_bytes = record->response_bytes;
    } else {
      if (!request.json.empty()) row.request = std::move(request.json);
      row.response = record->response_body;
    }
    for (const auto& origin : record->cards)
      row.cards.push_back({card_key(origin.card_uuid), int64_t{origin.rule_set_version}, terms.at(origin.rule_id),
                           terms.at(origin.card_type), origin.decision.empty() ? 0 : terms.at(origin.decision),
                           origin.order});
    rows.push_back(std::move(row));
  }
  auto stored = store_calls(rows);
  if (!stored) return stored.error();
  return batch.size();
}

fhir::Result<std::vector<AuditEntry>> AuditStore::find(const AuditQuery& query) {
  auto rows = find_calls(query);
  if (!rows) return rows.error();
  std::vector<AuditEntry> out;
  out.reserve(rows->size());
  for (auto& row : *rows) out.push_back(entry_of(std::move(row)));
  return out;
}

fhir::Result<std::vector<AuditEntry>> AuditStore::last_answered(const std::string& payer_id, int count) {
  auto rows = last_answered_calls(payer_id, count);
  if (!rows) return rows.error();
  std::vector<AuditEntry> out;
  out.reserve(rows->size());
  for (auto& row : *rows) out.push_back(entry_of(std::move(row)));
  return out;
}

}  // namespace crdex::hooks
