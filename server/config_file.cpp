#include "config_file.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <sstream>

namespace crdex::server {

namespace {

std::string config_where(const std::filesystem::path& file, const toml::source_region& source) {
  return file.filename().string() + ":" + std::to_string(source.begin.line);
}

// One scalar as the command line would spell it; nullopt for other kinds.
std::optional<std::string> config_scalar_text(const toml::node& node) {
  if (const auto* text = node.as_string()) return text->get();
  if (const auto* number = node.as_integer()) return std::to_string(number->get());
  return std::nullopt;
}

}  // namespace

std::optional<std::string> config_file_argument(int argc, char** argv) {
  std::optional<std::string> file;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--config" && i + 1 < argc) file = argv[++i];
    else if (arg.starts_with("--config=")) file = std::string(arg.substr(9));
  }
  return file;
}

ConfigArguments config_file_arguments(const std::filesystem::path& file, const FlagLookup& lookup,
                                      const std::vector<std::string>& given) {
  ConfigArguments out;
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    out.error = config_where(file, e.source()) + ": " + std::string(e.description());
    return out;
  } catch (const std::exception& e) {
    out.error = file.string() + ": " + e.what();
    return out;
  }
  for (const auto& [key, node] : table) {
    const std::string name(key.str());
    const std::string where = config_where(file, key.source());
    const FlagShape shape = lookup(name);
    if (!shape.known || name == "config" || name == "help" || name == "version") {
      out.error = where + ": unknown key \"" + name + "\" (keys are crdex-server's flags without \"--\")";
      return out;
    }
    const std::string flag = "--" + name;
    if (std::find(given.begin(), given.end(), flag) != given.end()) continue;  // the command line wins
    if (shape.is_flag) {
      const auto* value = node.as_boolean();
      if (!value) {
        out.error = where + ": \"" + name + "\" takes true or false";
        return out;
      }
      if (value->get()) out.arguments.push_back(flag);
      continue;
    }
    if (const auto* list = node.as_array()) {
      if (!shape.repeatable) {
        out.error = where + ": \"" + name + "\" takes one value, not a list";
        return out;
      }
      for (const auto& element : *list) {
        const auto text = config_scalar_text(element);
        if (!text) {
          out.error = where + ": \"" + name + "\" takes a list of strings";
          return out;
        }
        out.arguments.push_back(flag);
        out.arguments.push_back(*text);
      }
      continue;
    }
    const auto text = config_scalar_text(node);
    if (!text) {
      out.error = where + ": \"" + name + "\" takes a string or an integer" +
                  (node.is_table() ? " (tables are not used: write the flag names at the top level)" : "");
      return out;
    }
    out.arguments.push_back(flag);
    out.arguments.push_back(*text);
  }
  return out;
}

}  // namespace crdex::server
