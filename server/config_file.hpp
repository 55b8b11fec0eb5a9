#pragma once
// crdex-server's configuration file (--config crdex.toml; docs/operations.md).
// The file mirrors the command line: each top-level key is a flag's name
// without its leading "--" (listen = "127.0.0.1:8080", max-body-bytes =
// 1048576, cors-origin = ["https://a", "https://b"], allow-rule-trace = true).
// It is read with toml++ and turned into arguments placed before the command
// line's, skipping every key the command line gives itself, so flags override
// the file (a repeatable flag given on the command line replaces the file's
// whole list). Unknown keys, tables, and values of the wrong kind are refused
// with the key's name and line. Relative paths are relative to the working
// directory, as on the command line.

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::server {

// What the command line accepts, for checking the file's keys.
struct FlagShape {
  bool known = false;
  bool is_flag = false;     // takes no value (true / false in the file)
  bool repeatable = false;  // takes a list in the file
};
using FlagLookup = std::function<FlagShape(std::string_view name)>;

struct ConfigArguments {
  std::vector<std::string> arguments;  // "--name", "value", ... ready for the parser
  std::string error;                   // "crdex.toml:12: unknown key \"x\""; empty when read
};

// Reads `file`; `given` are the flag names ("--listen") on the command line.
ConfigArguments config_file_arguments(const std::filesystem::path& file, const FlagLookup& lookup,
                                      const std::vector<std::string>& given);

// The value of --config FILE / --config=FILE in argv, if any.
std::optional<std::string> config_file_argument(int argc, char** argv);

}  // namespace crdex::server
