#pragma once
// Writes a --destinations file (server/destinations.hpp) for tests that make
// crdex-server send somewhere: the outbox, the CDex consumer, Bulk exports.

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace crdex::test {

// {"destinations":[{"name", "url", <extra>}...]} in `dir`/`file_name`;
// returns {"--destinations", path} to append to a ServerProcess's arguments.
// `extra` is JSON members added to every destination (e.g. a token_file).
inline std::vector<std::string> destinations_args(const std::filesystem::path& dir,
                                                  const std::vector<std::pair<std::string, std::string>>& named,
                                                  const std::string& file_name = "destinations.json",
                                                  const std::string& extra = {}) {
  const auto path = dir / file_name;
  std::ofstream out(path);
  out << R"({"destinations":[)";
  for (size_t i = 0; i < named.size(); ++i)
    out << (i ? "," : "") << R"({"name":")" << named[i].first << R"(","url":")" << named[i].second << '"' << extra
        << '}';
  out << "]}";
  return {"--destinations", path.string()};
}

}  // namespace crdex::test
