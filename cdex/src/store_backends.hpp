#pragma once
// The PostgreSQL back ends of the CDex stores, opened by open_task_store,
// open_attachment_store and open_push_queue when `--store` names a
// PostgreSQL database (the SQLite ones open through each store's open()).

#include <memory>
#include <string>

#include "crdex/cdex/attachment_store.hpp"
#include "crdex/cdex/push_queue.hpp"
#include "crdex/cdex/task_store.hpp"

namespace crdex::cdex::detail {

fhir::Result<std::shared_ptr<TaskStore>> open_postgres_task_store(const std::string& url);
fhir::Result<std::shared_ptr<AttachmentStore>> open_postgres_attachment_store(const std::string& url);
fhir::Result<std::shared_ptr<PushQueue>> open_postgres_push_queue(const std::string& url);

}  // namespace crdex::cdex::detail
