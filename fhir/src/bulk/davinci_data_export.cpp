#include "crdex/fhir/davinci_data_export.hpp"

#include <algorithm>
#include <array>

namespace crdex::fhir {

Result<bool> check_davinci_export(const BulkExportRequest& request) {
  if (request.export_type.empty()) return true;
  if (request.export_type != kAtrExportType)
    return Error{400, IssueType::not_supported,
                 "exportType " + request.export_type + " is not supported (only " + std::string(kAtrExportType) + ")",
                 "exportType"};
  if (request.group_id.empty())
    return Error{400, IssueType::required, "an ATR export is of a Group: the group is required", "group"};
  constexpr std::array<std::string_view, 3> kRoster = {"Group", "Patient", "Coverage"};
  std::string missing;
  for (const auto type : kRoster)
    if (std::find(request.types.begin(), request.types.end(), type) == request.types.end())
      missing += (missing.empty() ? "" : ", ") + std::string(type);
  if (!missing.empty())
    return Error{400, IssueType::required,
                 "exportType " + std::string(kAtrExportType) + " needs _type to include Group, Patient and Coverage; " +
                     "missing: " + missing,
                 "_type"};
  return true;
}

}  // namespace crdex::fhir
