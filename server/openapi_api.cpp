#include "openapi_api.hpp"

namespace crdex::server {

namespace Http = Pistache::Http;

std::vector<Route> OpenApiApi::routes() const {
  return {Route{Http::Method::Get,
                "/openapi.json",
                AccessPolicy::public_access,
                [](const Http::Request&, const PathParams&) {
                  ApiAnswer answer{200, std::string(openapi_document()), false, {}};
                  answer.headers.emplace_back("Cache-Control", "max-age=300");
                  return answer;
                },
                false,
                {}}};
}

}  // namespace crdex::server
