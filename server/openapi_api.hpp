#pragma once
// GET /openapi.json: the OpenAPI 3.1 description of crdex's whole HTTP API
// (docs/openapi.json, embedded into the binary at build time by
// cmake/embed_text.cmake, so the served document is the one the binary was
// built with and nothing has to be installed beside it). Public: it says what
// the routes are and which credential each needs, nothing about any caller.
//
// tests/server/openapi_test.cpp checks that every route of the table is in the
// document and that real answers of a running server match it.

#include <string_view>
#include <vector>

#include "api_module.hpp"

namespace crdex::server {

// The document's text (generated source: crdex_openapi_document.cpp).
std::string_view openapi_document();

class OpenApiApi final : public ApiModule {
 public:
  std::vector<Route> routes() const override;
};

}  // namespace crdex::server
