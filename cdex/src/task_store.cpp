#include "crdex/cdex/task_store.hpp"

#include "store_backends.hpp"

namespace crdex::cdex {

TaskStore::~TaskStore() = default;

fhir::Result<std::shared_ptr<TaskStore>> open_task_store(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_task_store(location.postgres_url);
  return TaskStore::open(location.sqlite_dir / "cdex.sqlite");
}

}  // namespace crdex::cdex
