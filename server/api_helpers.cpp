#include "api_helpers.hpp"

#include <cctype>

#include "crdex/fhir/json_writer.hpp"

namespace crdex::server {

std::optional<std::string> query_parameter(const Pistache::Http::Request& request, const std::string& name) {
  auto value = request.query().get(name);
  if (!value) return std::nullopt;
  // Pistache leaves the query percent-encoded.
  std::string decoded;
  const std::string& raw = *value;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      decoded.push_back(static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
      i += 2;
    } else {
      decoded.push_back(raw[i] == '+' ? ' ' : raw[i]);
    }
  }
  return decoded;
}

fhir::IdentifierValue token_identifier(const std::string& token) {
  const auto bar = token.find('|');
  if (bar == std::string::npos) return {"", token};
  return {token.substr(0, bar), token.substr(bar + 1)};
}

bool has_json_body(const Pistache::Http::Request& request) {
  auto header = request.headers().tryGet<Pistache::Http::Header::ContentType>();
  if (!header) return false;
  std::string media = header->mime().toString();
  if (auto semicolon = media.find(';'); semicolon != std::string::npos) media.resize(semicolon);
  while (!media.empty() && media.back() == ' ') media.pop_back();
  for (auto& c : media) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return media == "application/json" || media == "application/fhir+json";
}

}  // namespace crdex::server
