// The Bulk Data complete-status body (export.md "Response - Complete Status").

#include "crdex/fhir/bulk_export.hpp"
#include "crdex/fhir/json_node.hpp"

namespace crdex::fhir {

namespace {

std::vector<BulkFileRef> read_files(const JsonNode& manifest, std::string_view key, bool required) {
  std::vector<BulkFileRef> files;
  const auto list = required ? std::optional<JsonNode>(manifest.at(key)) : manifest.find(key);
  if (!list) return files;
  if (!list->is_array()) list->fail("must be an array");
  for (const auto& item : list->items()) {
    item.expect_object();
    BulkFileRef ref{std::string(item.at("type").as_non_empty_string()), std::string(item.at("url").as_non_empty_string()),
                    std::nullopt};
    if (const auto count = item.find("count")) ref.count = count->as_int();
    files.push_back(std::move(ref));
  }
  return files;
}

}  // namespace

Result<BulkManifest> parse_bulk_manifest(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS)
    return Error{502, IssueType::processing, "the export manifest is not JSON", ""};
  try {
    const JsonNode manifest(root, "manifest");
    manifest.expect_object();
    BulkManifest out;
    out.transaction_time = std::string(manifest.at("transactionTime").as_non_empty_string());
    out.request = std::string(manifest.at("request").as_non_empty_string());
    out.requires_access_token = manifest.at("requiresAccessToken").as_bool();
    out.output = read_files(manifest, "output", true);
    out.error = read_files(manifest, "error", true);
    out.deleted = read_files(manifest, "deleted", false);
    return out;
  } catch (const JsonShapeError& e) {
    return Error{502, IssueType::processing, std::string("the export manifest is invalid: ") + e.what(), e.path};
  }
}

}  // namespace crdex::fhir
