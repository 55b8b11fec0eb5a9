#pragma once
// Where crdex keeps its state, from `--store URL` (or the config file's
// `store` key): absent or `sqlite:DIR` is the embedded default, one SQLite
// file per store under DIR (absent: under --data); `postgresql://...` (or
// `postgres://...`) is a PostgreSQL database that any number of crdex-server
// replicas share, reached through libpq. The URL is handed to libpq as
// written, so its own forms work too: `postgresql://user@host:5432/db`,
// `postgresql://user@/db?host=/run/postgresql` (a Unix socket),
// `?sslmode=verify-full`. Anything else is refused with a message naming
// the two forms.

#include <filesystem>
#include <string>
#include <string_view>

#include "crdex/fhir/result.hpp"

namespace crdex::fhir {

struct StoreLocation {
  enum class Kind { sqlite, postgresql };
  Kind kind = Kind::sqlite;
  std::filesystem::path sqlite_dir;  // Kind::sqlite: the directory of the store files
  std::string postgres_url;          // Kind::postgresql: the libpq connection URI

  bool is_postgresql() const { return kind == Kind::postgresql; }
  // For logs: the directory, or the URL with any password replaced by "***".
  std::string describe() const;
};

// `url` empty means the embedded default under `data_dir`.
Result<StoreLocation> parse_store_location(std::string_view url, const std::filesystem::path& data_dir);

}  // namespace crdex::fhir
