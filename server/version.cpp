#include "version.hpp"

#include "crdex_build_info.hpp"

namespace crdex::server {

std::string version_text() {
  return std::string("crdex-server ") + build_info::kVersion + "\ncommit " + build_info::kGitCommit +
         "\nplugin ABI " + build_info::kPluginAbi;
}

std::string version_number() { return build_info::kVersion; }

}  // namespace crdex::server
