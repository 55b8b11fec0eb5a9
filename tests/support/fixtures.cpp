#include "support/fixtures.hpp"

#include <stdlib.h>

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace crdex::test {

std::filesystem::path source_dir() { return CRDEX_SOURCE_DIR; }
std::filesystem::path fixture_path(const std::string& relative) { return source_dir() / "tests/fixtures" / relative; }
std::filesystem::path example_rules_dir() { return source_dir() / "examples/rules"; }
std::filesystem::path server_executable() { return CRDEX_SERVER_PATH; }

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_fixture(const std::string& relative) { return read_file(fixture_path(relative)); }

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "crdex-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace crdex::test
