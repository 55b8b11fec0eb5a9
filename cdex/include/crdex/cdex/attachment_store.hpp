#pragma once
// The payer's attachment store (--data DIR/attachments.sqlite, or the
// PostgreSQL database replicas share with `--store postgresql://...`, tables
// attachment_*): every `$submit-attachment` received, as sent, with its
// attachments, indexed by tracking id, member and (once the claim or prior
// authorization is known) claim. A submission whose claim / PA crdex has not
// seen yet is "held"; registering the claim attaches the held ones, whichever
// replica received either. Each attachment's content is the FHIR resource as
// JSON text (binary data travels base64 inside it), so both back ends keep it
// as text. A back end only stores and reads rows
// (attachment_store_sqlite.cpp, attachment_store_postgres.cpp).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crdex/fhir/result.hpp"
#include "crdex/fhir/store_location.hpp"
#include "crdex/fhir/submit_attachment.hpp"

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
  // The SQLite store in `file` (created, or migrated in place, when needed).
  static fhir::Result<std::shared_ptr<AttachmentStore>> open(const std::filesystem::path& file);
  virtual ~AttachmentStore();
  AttachmentStore(const AttachmentStore&) = delete;
  AttachmentStore& operator=(const AttachmentStore&) = delete;

  // Stores the submission (all or nothing) and says whether it is held.
  virtual fhir::Result<StoredSubmission> add(const fhir::SubmitAttachment& submission,
                                             std::string_view parameters_json) = 0;
  // Records that the claim / PA with this tracking id has arrived; returns
  // how many held submissions it attached.
  virtual fhir::Result<int> register_claim(const ClaimRegistration& claim) = 0;

  virtual fhir::Result<std::vector<StoredSubmission>> find(const AttachmentQuery& query) = 0;
  virtual fhir::Result<std::optional<StoredSubmission>> get(int64_t id) = 0;
  // The Parameters as received, or one attachment's content resource.
  virtual fhir::Result<std::optional<std::string>> parameters(int64_t id) = 0;
  virtual fhir::Result<std::optional<std::string>> content(int64_t id, int sequence) = 0;

 protected:
  AttachmentStore() = default;
  // An attachment's line items as stored (a JSON array of strings), and back.
  static std::string line_items_json(const std::vector<std::string>& items);
  static std::vector<std::string> line_items_from(const std::string& json);
};

// The attachment store `--store` names: attachments.sqlite under the SQLite
// directory, or the PostgreSQL database.
fhir::Result<std::shared_ptr<AttachmentStore>> open_attachment_store(const fhir::StoreLocation& location);

}  // namespace crdex::cdex
