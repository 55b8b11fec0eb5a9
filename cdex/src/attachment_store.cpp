#include "crdex/cdex/attachment_store.hpp"

#include <simdjson.h>

#include "crdex/fhir/json_writer.hpp"
#include "store_backends.hpp"

namespace crdex::cdex {

AttachmentStore::~AttachmentStore() = default;

fhir::Result<std::shared_ptr<AttachmentStore>> open_attachment_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_attachment_store(location.postgres_url);
  return AttachmentStore::open(location.sqlite_dir / "attachments.sqlite");
}

std::string AttachmentStore::line_items_json(const std::vector<std::string>& items) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartArray();
  for (const auto& item : items) fhir::write_string(w, item);
  w.EndArray();
  return {buffer.GetString(), buffer.GetSize()};
}

std::vector<std::string> AttachmentStore::line_items_from(const std::string& json) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::array items;
  if (parser.parse(json).get(items) != simdjson::SUCCESS) return out;
  for (auto item : items) {
    std::string_view text;
    if (item.get(text) == simdjson::SUCCESS) out.emplace_back(text);
  }
  return out;
}

}  // namespace crdex::cdex
