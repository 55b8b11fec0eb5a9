#include "crdex/fhir/store_location.hpp"

#include <cctype>

namespace crdex::fhir {

namespace {

bool starts_with_scheme(std::string_view url, std::string_view scheme) {
  if (url.size() < scheme.size()) return false;
  for (size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(url[i])) != scheme[i]) return false;
  return true;
}

Error bad_store(std::string_view url, std::string_view why) {
  return Error{400, IssueType::invalid,
               "--store \"" + std::string(url) + "\": " + std::string(why) +
                   " (use sqlite:DIR for the embedded store, or postgresql://user@host:port/database)",
               ""};
}

}  // namespace

std::string StoreLocation::describe() const {
  if (kind == Kind::sqlite) return "SQLite under " + sqlite_dir.string();
  // postgresql://user:password@host/... -> postgresql://user:***@host/...
  std::string shown = postgres_url;
  const size_t scheme_end = shown.find("://");
  const size_t at = shown.find('@', scheme_end == std::string::npos ? 0 : scheme_end + 3);
  if (scheme_end != std::string::npos && at != std::string::npos) {
    const size_t colon = shown.find(':', scheme_end + 3);
    if (colon != std::string::npos && colon < at) shown.replace(colon + 1, at - colon - 1, "***");
  }
  const size_t password = shown.find("password=");
  if (password != std::string::npos) {
    const size_t end = shown.find('&', password);
    shown.replace(password + 9, (end == std::string::npos ? shown.size() : end) - password - 9, "***");
  }
  return "PostgreSQL at " + shown;
}

Result<StoreLocation> parse_store_location(std::string_view url, const std::filesystem::path& data_dir) {
  StoreLocation location;
  if (url.empty()) {
    location.sqlite_dir = data_dir;
    return location;
  }
  if (starts_with_scheme(url, "sqlite:")) {
    std::string_view dir = url.substr(7);
    if (dir.starts_with("//")) dir.remove_prefix(2);  // sqlite:///var/lib/crdex
    if (dir.empty()) return bad_store(url, "names no directory");
    location.sqlite_dir = std::filesystem::path(dir);
    return location;
  }
  if (starts_with_scheme(url, "postgresql://") || starts_with_scheme(url, "postgres://")) {
    const size_t rest = url.find("://") + 3;
    const std::string_view after = url.substr(rest);
    const size_t path = after.find('/');
    if (path == std::string_view::npos || path + 1 >= after.size() || after[path + 1] == '?')
      return bad_store(url, "names no database");
    for (const char c : url)
      if (static_cast<unsigned char>(c) < 0x21) return bad_store(url, "contains a space or a control character");
    location.kind = StoreLocation::Kind::postgresql;
    location.postgres_url = std::string(url);
    return location;
  }
  return bad_store(url, "is neither an sqlite: nor a postgresql:// URL");
}

}  // namespace crdex::fhir
