#pragma once
// crdex-server's log, in one place: every line goes through spdlog's default
// logger to stderr, in one of two forms chosen by --log-format.
//
//  text (default): spdlog's usual "[time] [level] message", for a person.
//  json: one JSON object per line, for a log pipeline (Loki, Elasticsearch,
//        journald + jq): time (RFC 3339 UTC, milliseconds), level, message,
//        and, on lines written while a request is answered
//        (request_log_context.hpp), request_id, service, payer, status and
//        duration_ms where known. Written with RapidJSON's Writer: strictly
//        escaped, invalid UTF-8 replaced, so one line is always one object.
//
// No line carries a token, a credential or a request body (PHI): messages
// name what happened and identifiers only (docs/operations.md, the
// no-secrets-in-logs test).

#include <spdlog/common.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "request_log_context.hpp"

namespace crdex::server {

enum class LogFormat { text, json };

// "text" or "json"; nullopt for anything else.
std::optional<LogFormat> parse_log_format(std::string_view name);

// Makes the default logger write to stderr in `format` at `level` and above.
void start_server_log(LogFormat format, spdlog::level::level_enum level);

// The format start_server_log chose (text before it is called).
LogFormat server_log_format();

// One JSON log line (with its newline) for a message; `fields` may be null.
std::string json_log_line(std::chrono::system_clock::time_point time, spdlog::level::level_enum level,
                          std::string_view message, const RequestLogFields* fields);

// The access line of an answered request: "[id] GET /path 200 1234us" in the
// text log; in the JSON log the message "GET /path 200" with the request's
// fields, status and duration_ms set on them first.
void log_answer(std::string_view method, std::string_view path, int status, int64_t took_us);

}  // namespace crdex::server
