#pragma once
// The Da Vinci data export operation (Group/[id]/$davinci-data-export), the
// Bulk Data kick-off with an `exportType` naming what the export is for. The
// one type crdex asks for is Da Vinci ATR's member attribution list
// (conformance row ATR-01): exportType `hl7.fhir.us.davinci-atr`, whose
// `_type` must hold at least Group, Patient and Coverage — the roster itself,
// its members and their coverages. A request that lacks one of them, or names
// another exportType, is refused before any call (400, naming the parameter).

#include <string_view>

#include "crdex/fhir/bulk_export.hpp"
#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

inline constexpr std::string_view kDavinciDataExport = "$davinci-data-export";
inline constexpr std::string_view kAtrExportType = "hl7.fhir.us.davinci-atr";

// true for a plain $export (no exportType) and for a complete ATR request;
// otherwise a 400 Error whose expression is "exportType" or "_type".
Result<bool> check_davinci_export(const BulkExportRequest& request);

}  // namespace crdex::fhir
