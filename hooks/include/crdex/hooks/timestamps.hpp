#pragma once
// RFC 3339 date-times (CDS Hooks feedback outcomeTimestamp, the audit log's
// time-range queries) to and from milliseconds since the Unix epoch.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace crdex::hooks {

// "2026-11-22T03:04:05Z", with optional fraction and "+hh:mm"/"-hh:mm" offset
// (RFC 3339 §5.6). nullopt for anything else, including impossible dates.
std::optional<int64_t> parse_rfc3339_ms(std::string_view text);

// "2026-11-22T03:04:05.678Z" (UTC, milliseconds).
std::string format_rfc3339_ms(int64_t epoch_ms);

// Now, in milliseconds since the epoch.
int64_t now_epoch_ms();

}  // namespace crdex::hooks
