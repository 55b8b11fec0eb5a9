#pragma once
// The payer's attachment store (--data DIR/attachments.sqlite): every
// `$submit-attachment` received, as sent, with its attachments, indexed by
// tracking id, member and (once the claim or prior authorization is known)
// claim. A submission whose claim / PA crdex has not seen yet is "held";
// registering the claim attaches the held ones.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/submit_attachment.hpp"
#include "crdex/fhir/sqlite_database.hpp"

namespace crdex::cdex {

struct StoredAttachment {
  int sequence = 0;
  std::string content_type;
  std::string code_json;
  std::vector<std::string> line_items;
};

struct StoredSubmission {
  int64_t id = 0;
  std::string received_at;
  fhir::IdentifierValue tracking_id;
  std::string attach_to;
  fhir::IdentifierValue member_id;
  std::optional<fhir::IdentifierValue> claim_id;  // set once attached
  std::string service_date;
  std::string status;  // "held" | "attached"
  bool final = true;
  std::vector<StoredAttachment> attachments;
};

struct ClaimRegistration {
  fhir::IdentifierValue tracking_id;
  std::string attach_to;  // claim | preauthorization
  fhir::IdentifierValue claim_id;
};

struct AttachmentQuery {
  std::optional<fhir::IdentifierValue> tracking_id;
  std::optional<fhir::IdentifierValue> member_id;
  std::optional<fhir::IdentifierValue> claim_id;
};

class AttachmentStore {
 public:
  static fhir::Result<std::shared_ptr<AttachmentStore>> open(const std::filesystem::path& file);

  // Stores the submission (all or nothing) and says whether it is held.
  fhir::Result<StoredSubmission> add(const fhir::SubmitAttachment& submission, std::string_view parameters_json);
  // Records that the claim / PA with this tracking id has arrived; returns
  // how many held submissions it attached.
  fhir::Result<int> register_claim(const ClaimRegistration& claim);

  fhir::Result<std::vector<StoredSubmission>> find(const AttachmentQuery& query);
  fhir::Result<std::optional<StoredSubmission>> get(int64_t id);
  // The Parameters as received, or one attachment's content resource.
  fhir::Result<std::optional<std::string>> parameters(int64_t id);
  fhir::Result<std::optional<std::string>> content(int64_t id, int sequence);

 private:
  explicit AttachmentStore(std::unique_ptr<fhir::SqliteDatabase> db) : db_(std::move(db)) {}
  fhir::Result<bool> load_attachments(StoredSubmission& submission);

  std::mutex mutex_;
  std::unique_ptr<fhir::SqliteDatabase> db_;
};

}  // namespace crdex::cdex
