#pragma once
// The launch store's back ends, opened by LaunchStore::open (SQLite) and
// open_launch_store (either).

#include <memory>
#include <string>

#include "crdex/smart/launch_store.hpp"

namespace crdex::smart::detail {

fhir::Result<std::unique_ptr<LaunchStore>> open_postgres_launch_store(const std::string& url,
                                                                      LaunchStore::Clock clock);

}  // namespace crdex::smart::detail
