#include "crdex/cdex/push_queue.hpp"

#include "store_backends.hpp"

namespace crdex::cdex {

PushQueue::~PushQueue() = default;

fhir::Result<std::shared_ptr<PushQueue>> open_push_queue(const fhir::StoreLocation& location) {
  if (location.is_postgresql()) return detail::open_postgres_push_queue(location.postgres_url);
  return PushQueue::open(location.sqlite_dir / "push.sqlite");
}

}  // namespace crdex::cdex
