#include "log_format.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>

#include "crdex/fhir/json_writer.hpp"
#include "crdex/hooks/timestamps.hpp"

namespace crdex::server {

namespace {

std::atomic<LogFormat> chosen_log_format{LogFormat::text};

// The length of the well-formed UTF-8 sequence at the start of `s` (1 to 4),
// or 0 when it is not one (overlong forms, surrogates, beyond U+10FFFF).
size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) length = 2;
  else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i)
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  return length;
}

// `text` with every byte that is not part of well-formed UTF-8 replaced by
// U+FFFD, so the JSON line stays valid whatever a message quotes.
std::string as_valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const size_t length = utf8_sequence_length(text);
    if (length == 0) {
      out += "\xEF\xBF\xBD";
      text.remove_prefix(1);
    } else {
      out.append(text.substr(0, length));
      text.remove_prefix(length);
    }
  }
  return out;
}

void write_log_text(fhir::JsonWriter& w, std::string_view key, std::string_view value) {
  if (value.empty()) return;
  fhir::write_key(w, key);
  fhir::write_string(w, as_valid_utf8(value));
}

// spdlog calls this on the thread that logs (its sinks are synchronous), so
// the thread's request fields are those of the line's request.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view message(msg.payload.data(), msg.payload.size());
    const std::string line = json_log_line(msg.time, msg.level, message, current_request_log_fields());
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonLogFormatter>(); }
};

}  // namespace

std::optional<LogFormat> parse_log_format(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

LogFormat server_log_format() { return chosen_log_format.load(); }

void start_server_log(LogFormat format, spdlog::level::level_enum level) {
  chosen_log_format = format;
  std::shared_ptr<spdlog::logger> logger;
  if (format == LogFormat::json) {
    // No colours: escape codes would break the JSON.
    logger = spdlog::stderr_logger_mt("crdex");
    logger->set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    logger = spdlog::stderr_color_mt("crdex");
  }
  spdlog::set_default_logger(std::move(logger));
  spdlog::set_level(level);
}

std::string json_log_line(std::chrono::system_clock::time_point time, spdlog::level::level_enum level,
                          std::string_view message, const RequestLogFields* fields) {
  fhir::JsonBuffer buffer;
  fhir::JsonWriter w(buffer);
  w.StartObject();
  const auto epoch_ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  write_log_text(w, "time", hooks::format_rfc3339_ms(epoch_ms));
  const auto level_name = spdlog::level::to_string_view(level);
  write_log_text(w, "level", std::string_view(level_name.data(), level_name.size()));
  fhir::write_key(w, "message");
  fhir::write_string(w, as_valid_utf8(message));
  if (fields) {
    write_log_text(w, "request_id", fields->request_id);
    write_log_text(w, "service", fields->service);
    write_log_text(w, "payer", fields->payer);
    if (fields->status != 0) {
      fhir::write_key(w, "status");
      w.Int(fields->status);
    }
    if (fields->duration_ms) {
      fhir::write_key(w, "duration_ms");
      w.Double(*fields->duration_ms);
    }
  }
  w.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line += '\n';
  return line;
}

void log_answer(std::string_view method, std::string_view path, int status, int64_t took_us) {
  RequestLogFields* fields = current_request_log_fields();
  if (server_log_format() == LogFormat::json) {
    if (fields) {
      fields->status = status;
      fields->duration_ms = static_cast<double>(took_us) / 1000.0;
    }
    spdlog::info("{} {} {}", method, path, status);
    return;
  }
  spdlog::info("[{}] {} {} {} {}us", fields ? std::string_view(fields->request_id) : std::string_view("-"), method,
               path, status, took_us);
}

}  // namespace crdex::server
