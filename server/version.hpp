#pragma once
// What `crdex-server --version` prints: the release, the git commit it was
// built from (baked in at build time; "unknown" outside a git checkout unless
// CRDEX_GIT_COMMIT is set) and the C ABI version of the plugin libcrdex.so
// built from the same sources.

#include <string>

namespace crdex::server {

std::string version_text();

// The release alone ("0.9.0"): the CapabilityStatement's software.version.
std::string version_number();

}  // namespace crdex::server
