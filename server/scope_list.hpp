#pragma once
// An OAuth 2.0 `scope` value (RFC 6749 §3.3: scope tokens separated by
// spaces) split into its tokens; read the same way from a JWT access token's
// claim and from an introspection answer (RFC 7662 §2.2).

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace crdex::server {

inline std::vector<std::string> split_scope_list(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < text.size()) {
    const auto end = std::min(text.find(' ', start), text.size());
    if (end > start) out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace crdex::server
