#pragma once
// Test inputs: the CRD guide's example files (tests/fixtures/crd-ig, CC0) and
// the project's example rules, read from the source tree.

#include <filesystem>
#include <string>

namespace crdex::test {

std::filesystem::path source_dir();
std::filesystem::path fixture_path(const std::string& relative);  // under tests/fixtures/
std::filesystem::path example_rules_dir();                        // examples/rules
std::filesystem::path server_executable();

std::string read_file(const std::filesystem::path& path);
std::string read_fixture(const std::string& relative);

// A fresh directory under the system temp dir, removed when destroyed.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace crdex::test
